//! `/portal/reports/{id}`: one report with its details and timeline, refreshed every 10
//! seconds and when the resident comes back to the page, so the maintenance company's
//! progress shows up by itself. `?filed=1` (after sending the form) adds a thank-you note.
//! The state says what it means (and what a waiting job waits for); the resident's own
//! photos show, served only to them while they are kept.

use rappu_shared::report::FaultReport;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::{Notice, NoticeKind, StatusBadge, Timeline, use_title};
use crate::hooks::{use_i18n, use_refresh, use_session};
use crate::i18n::{date_time, fill, messages, plural};
use crate::router::Link;
use crate::url::query_param;

/// Refresh period, in milliseconds.
const REFRESH_MS: u32 = 10_000;
/// Days the gateway keeps the resident's copy of each photo.
const PHOTO_DAYS: u32 = 180;

/// The report's photos, served to the resident only; one no longer kept hides itself.
fn photos(t: &crate::i18n::Texts, r: &FaultReport) -> Html {
    let total = r.photo_count.to_string();
    let hide = |e: Event| {
        if let Some(img) = e.target_dyn_into::<web_sys::Element>() {
            let _ = img.set_attribute("hidden", "");
        }
    };
    html! {
        <>
            <ul class="report-photos">
                { for (1..=r.photo_count).map(|n| html! {
                    <li>
                        <img src={api::photo_url(&r.id, n)} loading="lazy" onerror={hide}
                            alt={fill(t.photo_alt, &[("n", &n.to_string()), ("total", &total)])} />
                    </li>
                }) }
            </ul>
            <p class="hint">{ fill(t.photos_gone, &[("days", &PHOTO_DAYS.to_string())]) }</p>
        </>
    }
}

/// Props of [`ReportDetailPage`].
#[derive(Properties, PartialEq)]
pub struct ReportDetailProps {
    /// Rappu's id of the report.
    pub id: String,
}

/// The report page.
#[component]
pub fn ReportDetailPage(props: &ReportDetailProps) -> Html {
    let t = use_i18n().t;
    let session = use_session();
    let refresh = use_refresh(REFRESH_MS);
    let report = use_state(|| None::<FaultReport>);
    let error = use_state(|| None::<ApiError>);
    let filed = use_memo((), |()| query_param("filed").is_some());
    let title = report
        .as_ref()
        .map_or(t.loading, |r| r.title.as_str())
        .to_owned();
    use_title(title.into());
    {
        let (report, error) = (report.clone(), error.clone());
        use_effect_with((props.id.clone(), refresh), move |(id, _)| {
            let id = id.clone();
            yew::platform::spawn_local(async move {
                match api::get_report(&id).await {
                    Ok(r) => {
                        report.set(Some(r));
                        error.set(None);
                    }
                    Err(ApiError::Unauthorized) => session.refresh(),
                    Err(e) => error.set(Some(e)),
                }
            });
        });
    }
    let back = html! {
        <p class="back">
            <Link to={Route::Reports}>{ t.back_to_list }</Link>
        </p>
    };
    let Some(r) = &*report else {
        return html! {
            <>
                { back }
                { match &*error {
                    Some(ApiError::NotFound) => html! {
                        <><h1>{ t.not_found_title }</h1><p>{ t.report_not_found }</p></>
                    },
                    Some(e) => html! {
                        <><h1>{ t.reports_title }</h1><Notice kind={NoticeKind::Error}>{ messages::api_error(t, e) }</Notice></>
                    },
                    None => html! { <p class="loading" role="status">{ t.loading }</p> },
                } }
            </>
        };
    };
    let yes_no = |b: bool| if b { t.yes } else { t.no };
    html! {
        <article class="report" data-status={messages::status(t, r.status)}>
            { back }
            if *filed {
                <Notice kind={NoticeKind::Success}>{ t.sent_notice }</Notice>
            }
            if let Some(e) = &*error {
                <Notice kind={NoticeKind::Error}>{ messages::api_error(t, e) }</Notice>
            }
            <h1>{ &r.title }</h1>
            <p class="report-status">
                <StatusBadge status={r.status} />
                <span class="report-meta">
                    { fill(t.report_filed, &[("date", &date_time(t, r.created_at))]) }
                    if let Some(number) = &r.number {
                        { " · " }
                        { messages::report_number(t, number) }
                    }
                </span>
            </p>
            <p class="status-meaning">
                if let Some(reason) = messages::waiting_reason(r) {
                    <strong>{ fill(t.waiting_for, &[("reason", reason)]) }</strong>{ " " }
                }
                { messages::meaning(t, r.status) }
            </p>
            <section aria-labelledby="timeline-title">
                <h2 id="timeline-title">{ t.detail_timeline }</h2>
                <Timeline entries={r.timeline.clone()} />
            </section>
            <section aria-labelledby="details-title">
                <h2 id="details-title">{ t.detail_details }</h2>
                <dl class="details">
                    <dt>{ t.detail_description }</dt><dd class="description">{ &r.description }</dd>
                    <dt>{ t.detail_topic }</dt><dd>{ messages::topic(t, r.topic) }</dd>
                    if let Some(location) = &r.location {
                        <dt>{ t.detail_location }</dt><dd>{ location }</dd>
                    }
                    if r.topic == rappu_shared::report::ReportTopic::Apartment {
                        <dt>{ t.detail_master_key }</dt><dd>{ yes_no(r.master_key_allowed) }</dd>
                        if let Some(pets) = &r.pets {
                            <dt>{ t.detail_pets }</dt><dd>{ pets }</dd>
                        }
                    }
                    <dt>{ t.detail_phone }</dt><dd>{ &r.contact_phone }</dd>
                    if r.photo_count > 0 {
                        <dt>{ t.field_photos }</dt>
                        <dd>{ plural(t.report_photos_one, t.report_photos, u64::from(r.photo_count)) }</dd>
                    }
                </dl>
            </section>
            if r.photo_count > 0 {
                <section aria-labelledby="photos-title">
                    <h2 id="photos-title">{ t.field_photos }</h2>
                    { photos(t, r) }
                </section>
            }
        </article>
    }
}
