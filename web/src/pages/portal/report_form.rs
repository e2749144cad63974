//! `/portal/report`: the fault report form. State and rules live in
//! [`form_state`](super::form_state); this is the view and the send.
//!
//! Phone first (one column, 44 px targets), every input labelled, hints and errors linked
//! with `aria-describedby`; a failed send moves focus to the first field in error, and a
//! summary is announced. The send button is disabled while a send is under way; the draft's
//! `Idempotency-Key` makes a retry (or a double tap that got through) file one report. The
//! draft is kept across a reload ([`super::draft`]); the phone field starts with the number
//! Tampuuri has for the resident, when it has one.

use std::cell::Cell;
use std::rc::Rc;

use rappu_shared::report::{
    DESCRIPTION_MAX, LOCATION_MAX, PETS_MAX, PHOTOS_MAX, ReportTopic, TITLE_MAX,
};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

use super::draft;
use super::form_state::{FormAction, FormState, PhotoData, PickProblem, SendFailure, TextKey};
use super::photo_state::PICK_BYTES_MAX;
use super::photos::on_pick;
use crate::api;
use crate::app::Route;
use crate::components::{FieldMessage, Notice, NoticeKind, TextField, described_by, use_title};
use crate::hooks::{use_i18n, use_session};
use crate::i18n::{Texts, fill, messages};
use crate::router::use_navigator;
use crate::url::random_uuid;

fn pick_problem(t: &Texts, problem: &PickProblem) -> String {
    let mb = (PICK_BYTES_MAX / (1024 * 1024)).to_string();
    match problem {
        PickProblem::TooLarge(name) => format!("{name}: {}", fill(t.err_photo_size, &[("n", &mb)])),
        PickProblem::NotAPhoto(name) => format!("{name}: {}", t.err_photo_type),
        PickProblem::Unreadable(name) => format!("{name}: {}", t.err_photo_read),
        PickProblem::Empty(name) => format!("{name}: {}", t.err_photo_empty),
        PickProblem::TooMany => fill(t.err_photos_count, &[("n", &PHOTOS_MAX.to_string())]),
    }
}

/// `1.4 MB` or `312 kB` (integer arithmetic: float formatting costs kilobytes of wasm).
fn size_text(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10).div_ceil(MB);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} kB", bytes.div_ceil(1024))
    }
}

/// The form page.
#[component]
pub fn ReportFormPage() -> Html {
    let t = use_i18n().t;
    use_title(t.form_title.into());
    let form = use_reducer(|| draft::load().unwrap_or_else(|| FormState::new(random_uuid())));
    let session = use_session();
    let navigator = use_navigator();
    let form_ref = use_node_ref();
    let photo_ids = use_memo((), |()| Rc::new(Cell::new(1_u32)));

    // After a refused send, focus goes to the first field in error.
    {
        let form_ref = form_ref.clone();
        use_effect_with(form.focus_errors, move |&n| {
            if n > 0
                && let Some(form) = form_ref.cast::<HtmlElement>()
                && let Ok(Some(first)) = form.query_selector("[aria-invalid=true]")
                && let Ok(first) = first.dyn_into::<HtmlElement>()
            {
                let _ = first.focus();
            }
        });
    }
    // Every change is kept for a reload (a new state is a new allocation: a cheap test).
    {
        let kept = form.clone();
        let revision = std::ptr::from_ref::<FormState>(&form) as usize;
        use_effect_with(revision, move |_| draft::save(&kept));
    }
    // The phone Tampuuri has for the resident, while the field is empty.
    {
        let dispatch = form.dispatcher();
        use_effect_with((), move |()| {
            yew::platform::spawn_local(async move {
                if let Ok(contact) = api::my_contact().await
                    && let Some(phone) = contact.phone
                {
                    dispatch.dispatch(FormAction::SuggestPhone(phone));
                }
            });
        });
    }
    // A send that found the session gone: ask again (the page turns into sign-in).
    {
        let session = session.clone();
        use_effect_with(form.failure.clone(), move |failure| {
            if *failure == Some(SendFailure::SignedOut) {
                session.refresh();
            }
        });
    }

    let text = |key: TextKey| {
        let dispatch = form.dispatcher();
        Callback::from(move |value: String| dispatch.dispatch(FormAction::Text(key, value)))
    };
    let blur = |key: TextKey| {
        let dispatch = form.dispatcher();
        Callback::from(move |()| dispatch.dispatch(FormAction::Blur(key)))
    };
    let error = |key: TextKey| form.error(key).map(|e| messages::field_message(t, &e));

    let onsubmit = {
        let form = form.clone();
        let navigator = navigator.clone();
        move |e: SubmitEvent| {
            e.prevent_default();
            let Some((report, key)) = form.ready() else {
                if !form.sending && !form.reading() {
                    form.dispatch(FormAction::ShowErrors);
                }
                return;
            };
            form.dispatch(FormAction::Sending);
            let dispatch = form.dispatcher();
            let navigator = navigator.clone();
            yew::platform::spawn_local(async move {
                match api::file_report(&key, &report).await {
                    Ok(filed) => {
                        draft::clear();
                        let id = filed.id.clone();
                        dispatch.dispatch(FormAction::Sent {
                            report: Box::new(filed),
                            next_key: random_uuid(),
                        });
                        navigator.push_with_query(Route::Report { id }, "filed=1");
                    }
                    Err(error) => dispatch.dispatch(FormAction::Failed {
                        error,
                        new_key: random_uuid(),
                    }),
                }
            });
        }
    };

    let topic = |value: ReportTopic, label: &'static str, id: &'static str| {
        let dispatch = form.dispatcher();
        let onchange = move |_: Event| dispatch.dispatch(FormAction::Topic(value));
        html! {
            <div class="radio">
                <input type="radio" name="topic" {id} checked={form.topic == value} {onchange} />
                <label for={id}>{ label }</label>
            </div>
        }
    };
    let on_master_key = {
        let dispatch = form.dispatcher();
        move |e: Event| {
            let checked = e
                .target_dyn_into::<HtmlInputElement>()
                .is_some_and(|i| i.checked());
            dispatch.dispatch(FormAction::MasterKey(checked));
        }
    };
    let on_photos = {
        let dispatch = form.dispatcher();
        let ids = (*photo_ids).clone();
        move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                on_pick(&input, &ids, &dispatch);
            }
        }
    };

    let (photos_error, each_photo_error) = form.photo_errors();
    let mut photo_messages: Vec<String> = form
        .pick_problems
        .iter()
        .map(|p| pick_problem(t, p))
        .collect();
    if let Some(e) = &photos_error {
        photo_messages.push(messages::field_message(t, e));
    }
    let photos_invalid = !photo_messages.is_empty() || !each_photo_error.is_empty();
    let failure = form.failure.as_ref().map(|f| match f {
        SendFailure::KeyReused => t.key_reused.to_owned(),
        SendFailure::SignedOut => t.error_session_expired.to_owned(),
        SendFailure::Other(e) => messages::api_error(t, e),
    });
    let error_count = form.error_count();
    let apartment = form.topic == ReportTopic::Apartment;

    html! {
        <form class="report-form" novalidate=true {onsubmit} ref={form_ref} aria-labelledby="form-title">
            <h1 id="form-title">{ t.form_title }</h1>
            <p class="muted">{ t.form_intro }</p>
            if form.attempted && error_count > 0 {
                <Notice kind={NoticeKind::Error}>
                    { fill(t.form_has_errors, &[("n", &error_count.to_string())]) }
                </Notice>
            }
            <fieldset class="field topics">
                <legend>{ t.field_topic }<span class="required" aria-hidden="true">{ " *" }</span></legend>
                { topic(ReportTopic::Apartment, t.topic_apartment, "topic-apartment") }
                { topic(ReportTopic::CommonAreas, t.topic_common_areas, "topic-common-areas") }
                { topic(ReportTopic::Outdoors, t.topic_outdoors, "topic-outdoors") }
            </fieldset>
            <TextField id="title" label={t.field_title} value={form.title.clone()} required=true
                hint={t.hint_title} max_chars={TITLE_MAX} error={error(TextKey::Title)}
                oninput={text(TextKey::Title)} onblur={blur(TextKey::Title)} />
            <TextField id="description" label={t.field_description} value={form.description.clone()}
                required=true multiline=true hint={t.hint_description} max_chars={DESCRIPTION_MAX}
                error={error(TextKey::Description)}
                oninput={text(TextKey::Description)} onblur={blur(TextKey::Description)} />
            <TextField id="location" label={t.field_location} value={form.location.clone()}
                hint={t.hint_location} max_chars={LOCATION_MAX} error={error(TextKey::Location)}
                oninput={text(TextKey::Location)} onblur={blur(TextKey::Location)} />
            if apartment {
                <div class="field checkbox">
                    <input type="checkbox" id="master_key_allowed" name="master_key_allowed"
                        checked={form.master_key_allowed} onchange={on_master_key}
                        aria-describedby="master_key_allowed-hint" />
                    <label for="master_key_allowed">{ t.field_master_key }</label>
                    <p id="master_key_allowed-hint" class="hint">{ t.hint_master_key }</p>
                </div>
                <TextField id="pets" label={t.field_pets} value={form.pets.clone()}
                    hint={t.hint_pets} max_chars={PETS_MAX} error={error(TextKey::Pets)}
                    oninput={text(TextKey::Pets)} onblur={blur(TextKey::Pets)} />
            }
            <TextField id="contact_phone" label={t.field_phone} value={form.phone.clone()}
                required=true input_type="tel" autocomplete="tel" hint={t.hint_phone}
                error={error(TextKey::Phone)}
                oninput={text(TextKey::Phone)} onblur={blur(TextKey::Phone)} />
            <div class={classes!("field", "photos", photos_invalid.then_some("invalid"))}>
                <label for="photos">{ t.field_photos }</label>
                <p id="photos-hint" class="hint">
                    { fill(t.hint_photos, &[("max", &PHOTOS_MAX.to_string())]) }
                </p>
                // The native picker says "no file chosen" once read: a button look instead.
                <div class="file-picker">
                    <input type="file" id="photos" name="photos" multiple=true
                        accept="image/*"
                        aria-invalid={if photos_invalid { "true" } else { "false" }}
                        aria-describedby={described_by("photos", true, !photo_messages.is_empty(), false)}
                        onchange={on_photos} />
                    <span class="file-button" aria-hidden="true">{ t.photo_add }</span>
                </div>
                if !photo_messages.is_empty() {
                    <FieldMessage id="photos-error" text={photo_messages.join(" ")} />
                }
                if !form.photos.is_empty() {
                    <ul class="photo-list" aria-label={t.photo_list}>
                        { for form.photos.iter().enumerate().map(|(i, photo)| {
                            let remove = {
                                let dispatch = form.dispatcher();
                                let id = photo.id;
                                move |_: MouseEvent| dispatch.dispatch(FormAction::RemovePhoto(id))
                            };
                            let problem = each_photo_error
                                .iter()
                                .find(|(index, _)| *index == i)
                                .map(|(_, e)| messages::field_message(t, e));
                            html! {
                                <li key={photo.id.to_string()} class={classes!(problem.is_some().then_some("invalid"))}>
                                    if let Some(preview) = &photo.preview {
                                        <img src={preview.0.clone()} alt={photo.name.clone()} />
                                    }
                                    <span class="photo-name">{ &photo.name }</span>
                                    <span class="photo-size">
                                        { if photo.data == PhotoData::Reading { t.photo_reading.to_owned() } else { size_text(photo.size) } }
                                    </span>
                                    if let Some(problem) = problem {
                                        <FieldMessage id={format!("photo-{}-error", photo.id)} text={problem} />
                                    }
                                    <button type="button" class="link-button" onclick={remove}
                                        aria-label={fill(t.photo_remove, &[("name", &photo.name)])}>
                                        { "✕" }
                                    </button>
                                </li>
                            }
                        }) }
                    </ul>
                }
            </div>
            // A failed send is told where the resident is looking: by the button.
            if let Some(text) = failure {
                <Notice kind={NoticeKind::Error}>{ text }</Notice>
            }
            <button type="submit" class="primary" disabled={form.sending || form.reading()}>
                { if form.sending { t.sending } else { t.submit } }
            </button>
        </form>
    }
}
