//! `/console/reports`: fault reports Tampuuri does not have yet, with their attempts and last
//! error; a refused one can be sent again.

use yew::prelude::*;

use super::api::{self, Undelivered};
use super::{Load, RefreshButton, error_notice, use_load, use_texts};
use crate::api::ApiError;
use crate::components::{Notice, NoticeKind, use_title};
use crate::hooks::use_i18n;
use crate::i18n::date_time;

/// The page.
#[component]
pub fn ReportsPage() -> Html {
    let c = use_texts();
    let t = use_i18n().t;
    use_title(c.reports_title.into());
    let version = use_state(|| 0u32);
    let loaded = use_load(|| Box::pin(api::undelivered()), *version);
    let retried = use_state(|| false);
    let failed = use_state(|| None::<ApiError>);
    let retry = |id: String| {
        let (version, retried, failed) = (version.clone(), retried.clone(), failed.clone());
        Callback::from(move |_: MouseEvent| {
            let (id, version, retried, failed) =
                (id.clone(), version.clone(), retried.clone(), failed.clone());
            yew::platform::spawn_local(async move {
                match api::retry(&id).await {
                    Ok(()) => {
                        retried.set(true);
                        failed.set(None);
                        version.set(*version + 1);
                    }
                    Err(e) => failed.set(Some(e)),
                }
            });
        })
    };
    let row = |r: &Undelivered| {
        let refused = r.delivery == "failed";
        html! {
            <tr>
                <th scope="row"><code>{ r.id.chars().take(13).collect::<String>() }</code></th>
                <td>{ date_time(t, r.created_at) }</td>
                <td>
                    <span class={if refused { "state state-bad" } else { "state state-warn" }}>
                        { if refused { c.delivery_failed } else { c.delivery_pending } }
                    </span>
                </td>
                <td class="num">{ r.attempts }</td>
                <td>{ r.last_error.clone().unwrap_or_else(|| "–".into()) }</td>
                <td>
                    if refused {
                        <button type="button" class="secondary" onclick={retry(r.id.clone())}>{ c.retry }</button>
                    }
                </td>
            </tr>
        }
    };
    html! {
        <>
            <h1>{ c.reports_title }</h1>
            <p class="muted">{ c.reports_intro }</p>
            if *retried { <Notice kind={NoticeKind::Success}>{ c.retried }</Notice> }
            if let Some(e) = &*failed { { error_notice(c, e) } }
            <RefreshButton version={version.clone()} />
            { match &loaded {
                Load::Loading => html! { <p class="muted">{ c.loading }</p> },
                Load::Failed(e) => error_notice(c, e),
                Load::Ready(list) if list.is_empty() => html! { <p class="state state-ok">{ c.reports_none }</p> },
                Load::Ready(list) => html! {
                    <div class="table-wrap"><table>
                        <thead><tr>
                            <th scope="col">{ c.col_report }</th>
                            <th scope="col">{ c.col_filed }</th>
                            <th scope="col">{ c.col_delivery }</th>
                            <th scope="col" class="num">{ c.col_attempts }</th>
                            <th scope="col">{ c.col_error }</th>
                            <th scope="col"><span class="visually-hidden">{ c.retry }</span></th>
                        </tr></thead>
                        <tbody>{ for list.iter().map(row) }</tbody>
                    </table></div>
                },
            } }
        </>
    }
}
