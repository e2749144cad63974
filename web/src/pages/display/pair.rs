//! `/display/pair`: a caretaker pairs screens from a phone. Opened first with the
//! caretaker link (`?link=...`, exchanged for the phone's own HttpOnly cookie and taken off
//! the address bar), then by scanning a screen's QR code (`?code=...` fills the code in),
//! or by typing the code. The caretaker picks the building (of the link's) and the
//! staircase; the screen turns into that display within a second.

use rappu_shared::FieldError;
use rappu_shared::pairing::{ApprovePairing, CaretakerSession, PairedDisplay};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::{FieldMessage, Notice, NoticeKind, TextField, use_title};
use crate::hooks::use_i18n;
use crate::i18n::{PairTexts, Texts, date, fill, messages};
use crate::router::use_navigator;
use crate::url::query_param;

#[derive(Debug, Clone, PartialEq)]
enum Phone {
    Loading,
    /// No caretaker session on this phone (or the link was used or expired).
    SignedOut {
        link_failed: bool,
    },
    Ready(CaretakerSession),
    Failed(ApiError),
}

/// A pairing code's message in the reader's language.
fn code_message(t: &Texts, p: &PairTexts, error: &FieldError) -> String {
    if error.message.starts_with("no display shows") {
        p.pair_err_no_display.to_owned()
    } else if error.message.starts_with("must be the") || error.message == "is not a pairing code" {
        p.pair_err_code.to_owned()
    } else {
        messages::field_message(t, error)
    }
}

fn select_value(e: &Event) -> String {
    e.target_dyn_into::<HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

/// The caretaker's pairing page.
#[component]
pub fn PairPage() -> Html {
    let i18n = use_i18n();
    let (t, p) = (i18n.t, i18n.lang.pair_texts());
    use_title(p.pair_title.into());
    let navigator = use_navigator();
    let phone = use_state(|| Phone::Loading);
    let code = use_state(String::new);
    let building = use_state(|| None::<u64>);
    let staircase = use_state(|| None::<u64>);
    let label = use_state(String::new);
    let errors = use_state(Vec::<FieldError>::new);
    let sending = use_state(|| false);
    let failure = use_state(|| None::<ApiError>);
    let paired = use_state(|| None::<PairedDisplay>);
    {
        let (phone, code, building) = (phone.setter(), code.setter(), building.setter());
        use_effect_with((), move |()| {
            let link = query_param("link");
            if let Some(c) = query_param("code") {
                code.set(c);
            }
            // The link's code is secret until used: off the address bar first.
            navigator.replace(Route::DisplayPair);
            yew::platform::spawn_local(async move {
                let link_failed = match link {
                    Some(link) => api::open_caretaker_link(&link).await.is_err(),
                    None => false,
                };
                phone.set(match api::caretaker_session().await {
                    Ok(session) => {
                        if let [only] = session.buildings.as_slice() {
                            building.set(Some(only.id));
                        }
                        Phone::Ready(session)
                    }
                    Err(ApiError::Unauthorized) => Phone::SignedOut { link_failed },
                    Err(error) => Phone::Failed(error),
                });
            });
        });
    }

    let onsubmit = {
        let (code, building, staircase, label) = (
            code.clone(),
            building.clone(),
            staircase.clone(),
            label.clone(),
        );
        let (errors, sending, failure, paired) = (
            errors.clone(),
            sending.clone(),
            failure.clone(),
            paired.clone(),
        );
        move |e: SubmitEvent| {
            e.prevent_default();
            if *sending {
                return;
            }
            let Some(b) = *building else {
                errors.set(vec![FieldError::new("building", "is required")]);
                return;
            };
            let body = ApprovePairing {
                code: (*code).clone(),
                building: b,
                staircase: *staircase,
                label: Some((*label).clone()).filter(|l| !l.trim().is_empty()),
            };
            if let Err(found) = body.validate() {
                errors.set(found);
                return;
            }
            errors.set(Vec::new());
            failure.set(None);
            sending.set(true);
            let (code, label) = (code.clone(), label.clone());
            let (errors, sending, failure, paired) = (
                errors.clone(),
                sending.clone(),
                failure.clone(),
                paired.clone(),
            );
            yew::platform::spawn_local(async move {
                match api::approve_pairing(&body).await {
                    Ok(display) => {
                        paired.set(Some(display));
                        code.set(String::new());
                        label.set(String::new());
                    }
                    Err(ApiError::Validation(found)) => errors.set(found),
                    Err(error) => failure.set(Some(error)),
                }
                sending.set(false);
            });
        }
    };

    let body = match &*phone {
        Phone::Loading => html! { <p class="loading" role="status">{ t.loading }</p> },
        Phone::SignedOut { link_failed } => html! {
            <>
                if *link_failed {
                    <Notice kind={NoticeKind::Error}>{ p.pair_link_invalid }</Notice>
                }
                <p>{ p.pair_signed_out }</p>
            </>
        },
        Phone::Failed(error) => html! {
            <Notice kind={NoticeKind::Error}>{ messages::api_error(t, error) }</Notice>
        },
        Phone::Ready(session) => {
            let error_of = |field: &str| errors.iter().find(|e| e.field == field).cloned();
            let code_error = error_of("code").map(|e| code_message(t, p, &e));
            let building_error = error_of("building").map(|e| messages::field_message(t, &e));
            let staircase_error = error_of("staircase").map(|e| messages::field_message(t, &e));
            let chosen = session.buildings.iter().find(|b| Some(b.id) == *building);
            let on_building = {
                let (building, staircase) = (building.clone(), staircase.clone());
                move |e: Event| {
                    building.set(select_value(&e).parse().ok());
                    staircase.set(None);
                }
            };
            let on_staircase = {
                let staircase = staircase.clone();
                move |e: Event| staircase.set(select_value(&e).parse().ok())
            };
            let set = |state: &UseStateHandle<String>| {
                let state = state.clone();
                Callback::from(move |v: String| state.set(v))
            };
            let success = paired.as_ref().map(|done| {
                let place = session
                    .buildings
                    .iter()
                    .find(|b| b.id == done.building)
                    .map(|b| {
                        let stair = done
                            .staircase
                            .and_then(|s| b.staircases.iter().find(|x| x.id == s));
                        match stair {
                            Some(s) => format!(
                                "{}, {}",
                                b.address.street,
                                fill(t.display_staircase, &[("name", &s.name)])
                            ),
                            None => b.address.street.clone(),
                        }
                    })
                    .unwrap_or_default();
                fill(p.pair_done, &[("place", &place)])
            });
            html! {
                <>
                    <p class="muted">
                        { fill(p.pair_session, &[
                            ("who", session.label.as_deref().unwrap_or("")),
                            ("date", &date(t, session.expires_at)),
                        ]) }
                    </p>
                    if let Some(text) = success {
                        <Notice kind={NoticeKind::Success}>{ text }</Notice>
                    }
                    <form class="pair-form" novalidate=true {onsubmit}>
                        <TextField id="code" label={p.pair_code} value={(*code).clone()} required=true
                            hint={p.pair_code_hint} error={code_error} autocomplete="off"
                            oninput={set(&code)} />
                        <div class={classes!("field", building_error.is_some().then_some("invalid"))}>
                            <label for="building">{ p.pair_building }<span class="required" aria-hidden="true">{ " *" }</span></label>
                            <select id="building" onchange={on_building}
                                aria-invalid={if building_error.is_some() { "true" } else { "false" }}
                                aria-describedby={building_error.as_ref().map(|_| "building-error")}>
                                <option value="" selected={building.is_none()}>{ p.pair_choose }</option>
                                { for session.buildings.iter().map(|b| html! {
                                    <option value={b.id.to_string()} selected={Some(b.id) == *building}>
                                        { format!("{} ({})", b.address.street, b.name) }
                                    </option>
                                }) }
                            </select>
                            if let Some(text) = building_error {
                                <FieldMessage id="building-error" {text} />
                            }
                        </div>
                        <div class={classes!("field", staircase_error.is_some().then_some("invalid"))}>
                            <label for="staircase">{ p.pair_staircase }</label>
                            <select id="staircase" onchange={on_staircase}
                                aria-describedby={staircase_error.as_ref().map(|_| "staircase-error")}>
                                <option value="" selected={staircase.is_none()}>{ p.pair_whole_building }</option>
                                { for chosen.into_iter().flat_map(|b| b.staircases.iter()).map(|s| html! {
                                    <option value={s.id.to_string()} selected={Some(s.id) == *staircase}>
                                        { fill(t.display_staircase, &[("name", &s.name)]) }
                                    </option>
                                }) }
                            </select>
                            if let Some(text) = staircase_error {
                                <FieldMessage id="staircase-error" {text} />
                            }
                        </div>
                        <TextField id="label" label={p.pair_label} value={(*label).clone()}
                            hint={p.pair_label_hint} oninput={set(&label)} />
                        if let Some(error) = &*failure {
                            <Notice kind={NoticeKind::Error}>{ messages::api_error(t, error) }</Notice>
                        }
                        <button type="submit" class="primary" disabled={*sending}>
                            { if *sending { t.sending } else { p.pair_submit } }
                        </button>
                    </form>
                </>
            }
        }
    };
    html! {
        <main id="main" class="page pair-page">
            <h1>{ p.pair_title }</h1>
            { body }
        </main>
    }
}
