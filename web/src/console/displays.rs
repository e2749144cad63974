//! `/console`: the displays with where they are, when each was last seen, online or
//! offline and the feed version; pairing one by the code its screen shows, a one-time link
//! with its QR code, removing one.

use rappu_shared::console::ConsoleDisplay;
use rappu_shared::session::{NewEnrolment, OneTimeLink};
use yew::prelude::*;

use super::api::{self, Pairing};
use super::{Load, RefreshButton, error_notice, use_load, use_texts};
use crate::api::ApiError;
use crate::components::{Notice, NoticeKind, use_title};
use crate::hooks::use_i18n;
use crate::i18n::{date_time, fill};

/// The value of the input `id`, trimmed.
pub fn input_value(id: &str) -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(e).ok())
        .map(|i| i.value().trim().to_owned())
        .unwrap_or_default()
}

/// An optional whole number from input `id`: `Err` when something else was typed.
pub fn number_value(id: &str) -> Result<Option<u64>, ()> {
    let text = input_value(id);
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| ())
}

/// The page.
#[component]
pub fn DisplaysPage() -> Html {
    let c = use_texts();
    let t = use_i18n().t;
    use_title(c.displays_title.into());
    let version = use_state(|| 0u32);
    let loaded = use_load(|| Box::pin(api::displays()), *version);
    let done = use_state(|| None::<&'static str>);
    let failed = use_state(|| None::<ApiError>);
    let unpair = |id: String| {
        let (version, done, failed) = (version.clone(), done.clone(), failed.clone());
        Callback::from(move |_: MouseEvent| {
            let (id, version, done, failed) =
                (id.clone(), version.clone(), done.clone(), failed.clone());
            yew::platform::spawn_local(async move {
                match api::unpair(&id).await {
                    Ok(()) => {
                        done.set(Some(texts_now().unpaired));
                        version.set(*version + 1);
                    }
                    Err(e) => failed.set(Some(e)),
                }
            });
        })
    };
    let row = |d: &ConsoleDisplay| {
        let name = d
            .label
            .clone()
            .or_else(|| d.id.clone())
            .unwrap_or_else(|| "–".into());
        html! {
            <tr>
                <th scope="row">{ name }</th>
                <td>{ d.building }</td>
                <td>{ d.staircase.map_or_else(|| "–".to_owned(), |s| s.to_string()) }</td>
                <td>{ d.last_seen_at.map_or_else(|| c.never.to_owned(), |at| date_time(t, at)) }</td>
                <td>
                    <span class={if d.online { "state state-ok" } else { "state state-bad" }}>
                        { if d.online { c.online } else { c.offline } }
                    </span>
                </td>
                <td>
                    <code>{ d.feed_version.as_deref().map(|v| v.chars().take(12).collect::<String>()).unwrap_or_else(|| "–".into()) }</code>
                    if d.feed_stale { { " " }<span class="state state-warn">{ c.stale }</span> }
                </td>
                <td>
                    if let Some(id) = &d.id {
                        <button type="button" class="secondary" onclick={unpair(id.clone())}>{ c.unpair }</button>
                    }
                </td>
            </tr>
        }
    };
    html! {
        <>
            <h1>{ c.displays_title }</h1>
            <p class="muted">{ c.displays_intro }</p>
            if let Some(message) = *done { <Notice kind={NoticeKind::Success}>{ message }</Notice> }
            if let Some(e) = &*failed { { error_notice(c, e) } }
            <RefreshButton version={version.clone()} />
            { match &loaded {
                Load::Loading => html! { <p class="muted">{ c.loading }</p> },
                Load::Failed(e) => error_notice(c, e),
                Load::Ready(list) if list.is_empty() => html! { <p>{ c.displays_none }</p> },
                Load::Ready(list) => html! {
                    <div class="table-wrap">
                        <table>
                            <thead><tr>
                                <th scope="col">{ c.col_display }</th>
                                <th scope="col">{ c.col_building }</th>
                                <th scope="col">{ c.col_staircase }</th>
                                <th scope="col">{ c.col_last_seen }</th>
                                <th scope="col">{ c.col_state }</th>
                                <th scope="col">{ c.col_feed }</th>
                                <th scope="col"><span class="visually-hidden">{ c.unpair }</span></th>
                            </tr></thead>
                            <tbody>{ for list.iter().map(row) }</tbody>
                        </table>
                    </div>
                },
            } }
            <PairForm version={version.clone()} />
            <EnrolForm />
        </>
    }
}

/// The texts outside a component (for callbacks): the language is read from storage as the
/// provider does, so a message set after a switch is in the new language.
fn texts_now() -> &'static super::texts::ConsoleTexts {
    let lang = crate::storage::get("rappu.lang")
        .and_then(|code| crate::i18n::Lang::from_code(&code))
        .unwrap_or_default();
    super::texts::texts(lang)
}

#[derive(Properties, PartialEq)]
struct PairFormProps {
    version: UseStateHandle<u32>,
}

#[component]
fn PairForm(props: &PairFormProps) -> Html {
    let c = use_texts();
    let done = use_state(|| false);
    let failed = use_state(|| None::<ApiError>);
    let invalid = use_state(|| false);
    let onsubmit = {
        let (done, failed, invalid, version) = (
            done.clone(),
            failed.clone(),
            invalid.clone(),
            props.version.clone(),
        );
        move |e: SubmitEvent| {
            e.prevent_default();
            let (Ok(Some(building)), Ok(staircase)) = (
                number_value("pair-building"),
                number_value("pair-staircase"),
            ) else {
                invalid.set(true);
                return;
            };
            invalid.set(false);
            let label = Some(input_value("pair-label")).filter(|l| !l.is_empty());
            let pairing = Pairing {
                code: input_value("pair-code"),
                building,
                staircase,
                label,
            };
            let (done, failed, version) = (done.clone(), failed.clone(), version.clone());
            yew::platform::spawn_local(async move {
                match api::pair(&pairing).await {
                    Ok(_) => {
                        done.set(true);
                        failed.set(None);
                        version.set(*version + 1);
                    }
                    Err(e) => failed.set(Some(e)),
                }
            });
        }
    };
    html! {
        <section aria-labelledby="pair-title" class="console-section">
            <h2 id="pair-title">{ c.pair_title }</h2>
            <p class="muted">{ c.pair_intro }</p>
            if *done { <Notice kind={NoticeKind::Success}>{ c.paired }</Notice> }
            if let Some(e) = &*failed { { error_notice(c, e) } }
            if *invalid { <Notice kind={NoticeKind::Error}>{ c.invalid_number }</Notice> }
            <form class="console-form" {onsubmit}>
                <label for="pair-code">{ c.field_code }</label>
                <input id="pair-code" name="code" required=true autocomplete="off" />
                <label for="pair-building">{ c.field_building }</label>
                <input id="pair-building" name="building" required=true inputmode="numeric" />
                <label for="pair-staircase">{ c.field_staircase }</label>
                <input id="pair-staircase" name="staircase" inputmode="numeric" />
                <label for="pair-label">{ c.field_label }</label>
                <input id="pair-label" name="label" maxlength="100" />
                <button type="submit">{ c.pair_submit }</button>
            </form>
        </section>
    }
}

#[component]
fn EnrolForm() -> Html {
    let c = use_texts();
    let t = use_i18n().t;
    let link = use_state(|| None::<(OneTimeLink, Option<String>)>);
    let failed = use_state(|| None::<ApiError>);
    let invalid = use_state(|| false);
    let onsubmit = {
        let (link, failed, invalid) = (link.clone(), failed.clone(), invalid.clone());
        move |e: SubmitEvent| {
            e.prevent_default();
            let (Ok(Some(building)), Ok(staircase)) = (
                number_value("enrol-building"),
                number_value("enrol-staircase"),
            ) else {
                invalid.set(true);
                return;
            };
            invalid.set(false);
            let body = NewEnrolment {
                building,
                staircase,
                label: Some(input_value("enrol-label")).filter(|l| !l.is_empty()),
            };
            let (link, failed) = (link.clone(), failed.clone());
            yew::platform::spawn_local(async move {
                match api::enrolment(&body).await {
                    Ok(made) => {
                        let qr = api::link_qr(&made.url)
                            .await
                            .ok()
                            .and_then(|svg| svg_url(&svg));
                        link.set(Some((made, qr)));
                        failed.set(None);
                    }
                    Err(e) => failed.set(Some(e)),
                }
            });
        }
    };
    html! {
        <section aria-labelledby="enrol-title" class="console-section">
            <h2 id="enrol-title">{ c.enrol_title }</h2>
            <p class="muted">{ c.enrol_intro }</p>
            if let Some(e) = &*failed { { error_notice(c, e) } }
            if *invalid { <Notice kind={NoticeKind::Error}>{ c.invalid_number }</Notice> }
            <form class="console-form" {onsubmit}>
                <label for="enrol-building">{ c.field_building }</label>
                <input id="enrol-building" name="building" required=true inputmode="numeric" />
                <label for="enrol-staircase">{ c.field_staircase }</label>
                <input id="enrol-staircase" name="staircase" inputmode="numeric" />
                <label for="enrol-label">{ c.field_label }</label>
                <input id="enrol-label" name="label" maxlength="100" />
                <button type="submit">{ c.enrol_submit }</button>
            </form>
            if let Some((made, qr)) = &*link {
                <div class="enrol-link" role="status">
                    <p>{ c.enrol_link }{ ": " }<code class="token">{ made.url.clone() }</code></p>
                    <p class="muted">{ fill(c.enrol_valid_until, &[("time", &date_time(t, made.expires_at))]) }</p>
                    if let Some(src) = qr {
                        <img class="enrol-qr" src={src.clone()} alt={c.enrol_qr_alt} width="200" height="200" />
                    }
                </div>
            }
        </section>
    }
}

/// A `blob:` URL of an SVG image (the CSP allows `blob:` images, not `data:`).
fn svg_url(svg: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(svg));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}
