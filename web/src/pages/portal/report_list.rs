//! `/portal/reports`: the resident's reports, newest first, refreshed every 15 seconds and
//! whenever the resident comes back to the page, so a change of state shows by itself.

use rappu_shared::report::{FaultReport, ReportPage};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::{Notice, NoticeKind, StatusBadge, use_title};
use crate::hooks::{use_i18n, use_refresh, use_session};
use crate::i18n::{date_time, fill, messages, plural, time_of_day, utc_from_millis};
use crate::router::Link;

/// Reports shown at first, and added by "show more".
const PAGE: u64 = 20;
/// The gateway's largest page (`limit`); longer lists are read page by page.
const MAX_LIMIT: u64 = 100;

/// The newest `count` reports, read in pages the gateway accepts.
async fn newest(count: u64) -> Result<ReportPage<FaultReport>, ApiError> {
    let mut all = api::list_reports(0, count.min(MAX_LIMIT)).await?;
    while (all.items.len() as u64) < count.min(all.total) {
        let offset = all.items.len() as u64;
        let next = api::list_reports(offset, (count - offset).min(MAX_LIMIT)).await?;
        if next.items.is_empty() {
            break;
        }
        all.items.extend(next.items);
    }
    all.limit = count;
    Ok(all)
}
/// Refresh period, in milliseconds.
const REFRESH_MS: u32 = 15_000;

/// What the list shows.
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    page: ReportPage<FaultReport>,
    at: f64,
}

/// The list page.
#[component]
pub fn ReportListPage() -> Html {
    let t = use_i18n().t;
    use_title(t.reports_title.into());
    let session = use_session();
    let refresh = use_refresh(REFRESH_MS);
    let limit = use_state(|| PAGE);
    let loaded = use_state(|| None::<Loaded>);
    let error = use_state(|| None::<ApiError>);
    {
        let (loaded, error) = (loaded.clone(), error.clone());
        use_effect_with((refresh, *limit), move |&(_, limit)| {
            yew::platform::spawn_local(async move {
                match newest(limit).await {
                    Ok(page) => {
                        loaded.set(Some(Loaded {
                            page,
                            at: js_sys::Date::now(),
                        }));
                        error.set(None);
                    }
                    Err(ApiError::Unauthorized) => session.refresh(),
                    // The last list stays; the error shows above it.
                    Err(e) => error.set(Some(e)),
                }
            });
        });
    }
    let more = {
        let limit = limit.clone();
        move |_: MouseEvent| limit.set(*limit + PAGE)
    };
    html! {
        <>
            <h1>{ t.reports_title }</h1>
            <p class="muted">{ t.reports_intro }</p>
            if let Some(e) = &*error {
                <Notice kind={NoticeKind::Error}>{ messages::api_error(t, e) }</Notice>
            }
            { match &*loaded {
                None if error.is_none() => html! { <p class="loading" role="status">{ t.loading }</p> },
                None => html! {},
                Some(Loaded { page, .. }) if page.items.is_empty() => html! {
                    <p>
                        { t.reports_empty }{ " " }
                        <Link to={Route::NewReport}>{ t.nav_new_report }</Link>
                    </p>
                },
                Some(Loaded { page, at }) => html! {
                    <>
                        <ul class="report-list">
                            { for page.items.iter().map(|r| html! {
                                <li key={r.id.clone()} data-report-id={r.id.clone()}>
                                    <Link to={Route::Report { id: r.id.clone() }} classes="report-link">
                                        <span class="report-title">{ &r.title }</span>
                                    </Link>
                                    <StatusBadge status={r.status} />
                                    if let Some(reason) = messages::waiting_reason(r) {
                                        <span class="report-reason">{ fill(t.waiting_for, &[("reason", reason)]) }</span>
                                    }
                                    <span class="report-meta">
                                        { fill(t.report_filed, &[("date", &date_time(t, r.created_at))]) }
                                        if let Some(number) = &r.number {
                                            { " · " }
                                            { messages::report_number(t, number) }
                                        }
                                    </span>
                                </li>
                            }) }
                        </ul>
                        <p class="muted">
                            { plural(t.reports_total_one, t.reports_total, page.total) }{ " " }
                            { fill(t.auto_refresh, &[("time", &time_of_day(t, utc_from_millis(*at)))]) }
                        </p>
                        if page.total > *limit {
                            <button type="button" onclick={more}>{ t.load_more }</button>
                        }
                    </>
                },
            } }
        </>
    }
}
