//! `/console/upstream`: each account's circuit, the account mirror (its reconciliations,
//! changes not yet fetched, failing fetches, the budget holding it back), which buildings
//! are shown stale data, the latest failed Tampuuri calls (route and outcome only) and
//! response times by route.

use rappu_shared::console::{ConsoleMirror, UpstreamHealth};
use yew::prelude::*;

use super::{Load, RefreshButton, api, error_notice, use_load, use_texts};
use crate::components::use_title;
use crate::hooks::{use_i18n, use_refresh};
use crate::i18n::{date_time, fill};

/// Milliseconds as whole numbers (`< 1` for the first bucket).
fn ms(value: f64) -> String {
    if value < 1.0 {
        "< 1".into()
    } else if value.is_finite() {
        (value.round() as u64).to_string()
    } else {
        "> 30000".into()
    }
}

/// The page; refreshed every 10 seconds.
#[component]
pub fn UpstreamPage() -> Html {
    let c = use_texts();
    use_title(c.upstream_title.into());
    let version = use_state(|| 0u32);
    let tick = use_refresh(10_000);
    let loaded = use_load(
        || Box::pin(api::upstream()),
        version.wrapping_mul(1_000_003).wrapping_add(tick),
    );
    html! {
        <>
            <h1>{ c.upstream_title }</h1>
            <p class="muted">{ c.upstream_intro }</p>
            <RefreshButton version={version.clone()} />
            { match &loaded {
                Load::Loading => html! { <p class="muted">{ c.loading }</p> },
                Load::Failed(e) => error_notice(c, e),
                Load::Ready(health) => html! { <Health health={health.clone()} /> },
            } }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct HealthProps {
    health: UpstreamHealth,
}

#[component]
fn Health(props: &HealthProps) -> Html {
    let c = use_texts();
    let t = use_i18n().t;
    let h = &props.health;
    html! {
        <>
            <h2>{ c.circuit }</h2>
            <ul class="plain">
                { for h.circuits.iter().map(|circuit| {
                    let (text, class) = match circuit.state.as_str() {
                        "open" => (c.circuit_open, "state state-bad"),
                        "half_open" => (c.circuit_half_open, "state state-warn"),
                        _ => (c.circuit_closed, "state state-ok"),
                    };
                    html! {
                        <li>
                            <strong>{ circuit.account.clone() }</strong>{ ": " }
                            <span class={class}>{ text }</span>
                            if let Some(secs) = circuit.retry_in_secs {
                                { " " }{ fill(c.circuit_retry_in, &[("secs", &secs.to_string())]) }
                            }
                        </li>
                    }
                }) }
            </ul>
            if let Some(mirror) = &h.mirror {
                <Mirror mirror={mirror.clone()} />
            }
            <h2>{ c.stale_title }</h2>
            if h.stale_feeds.is_empty() {
                <p class="state state-ok">{ c.stale_none }</p>
            } else {
                <div class="table-wrap"><table>
                    <thead><tr>
                        <th scope="col">{ c.col_building }</th>
                        <th scope="col">{ c.col_staircase }</th>
                        <th scope="col">{ c.col_time }</th>
                    </tr></thead>
                    <tbody>{ for h.stale_feeds.iter().map(|s| html! {
                        <tr>
                            <th scope="row">{ s.building }</th>
                            <td>{ s.staircase.map_or_else(|| "–".to_owned(), |v| v.to_string()) }</td>
                            <td>{ fill(c.stale_since, &[("time", &date_time(t, s.data_as_of))]) }</td>
                        </tr>
                    }) }</tbody>
                </table></div>
            }
            <h2>{ c.failures_title }</h2>
            if h.recent_failures.is_empty() {
                <p>{ c.failures_none }</p>
            } else {
                <div class="table-wrap"><table>
                    <thead><tr>
                        <th scope="col">{ c.col_time }</th>
                        <th scope="col">{ c.col_route }</th>
                        <th scope="col">{ c.col_status }</th>
                    </tr></thead>
                    <tbody>{ for h.recent_failures.iter().map(|f| html! {
                        <tr>
                            <th scope="row">{ date_time(t, f.at) }</th>
                            <td><code>{ f.route.clone() }</code></td>
                            <td>{ f.status.clone() }</td>
                        </tr>
                    }) }</tbody>
                </table></div>
            }
            <h2>{ c.latency_title }</h2>
            <div class="table-wrap"><table>
                <thead><tr>
                    <th scope="col">{ c.col_route }</th>
                    <th scope="col" class="num">{ c.col_calls }</th>
                    <th scope="col" class="num">{ c.col_p50 }</th>
                    <th scope="col" class="num">{ c.col_p95 }</th>
                </tr></thead>
                <tbody>{ for h.latency.iter().map(|l| html! {
                    <tr>
                        <th scope="row"><code>{ l.route.clone() }</code></th>
                        <td class="num">{ l.calls }</td>
                        <td class="num">{ ms(l.p50_ms) }</td>
                        <td class="num">{ ms(l.p95_ms) }</td>
                    </tr>
                }) }</tbody>
            </table></div>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct MirrorProps {
    mirror: ConsoleMirror,
}

/// The account mirror's health.
#[component]
fn Mirror(props: &MirrorProps) -> Html {
    let c = use_texts();
    let t = use_i18n().t;
    let m = &props.mirror;
    let kind = |k: &str| match k {
        "registry" => c.mirror_kind_registry,
        "people" => c.mirror_kind_people,
        "reports" => c.mirror_kind_reports,
        "news" => c.mirror_kind_news,
        _ => "–",
    };
    html! {
        <>
            <h2>{ c.mirror_title }</h2>
            <p class="muted">{ c.mirror_intro }</p>
            <ul class="plain">
                if let Some(since) = m.failing_since {
                    <li class="state state-bad">{ fill(c.mirror_failing, &[
                        ("time", &date_time(t, since)),
                        ("error", m.last_error.as_deref().unwrap_or("–")),
                    ]) }</li>
                } else {
                    <li class="state state-ok">{ c.mirror_ok }</li>
                }
                if m.held_back {
                    <li class="state state-bad">{ c.mirror_held_back }</li>
                }
                <li>{ fill(c.mirror_pending, &[("count", &m.pending.to_string())]) }</li>
            </ul>
            <div class="table-wrap"><table>
                <thead><tr>
                    <th scope="col">{ c.col_kind }</th>
                    <th scope="col">{ c.col_synced }</th>
                    <th scope="col" class="num">{ c.col_calls }</th>
                </tr></thead>
                <tbody>{ for m.syncs.iter().map(|s| html! {
                    <tr>
                        <th scope="row">{ kind(&s.kind) }</th>
                        <td>{ date_time(t, s.at) }</td>
                        <td class="num">{ s.calls }</td>
                    </tr>
                }) }</tbody>
            </table></div>
        </>
    }
}
