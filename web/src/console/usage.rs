//! `/console/usage`: this month's Tampuuri calls per day as an SVG bar chart (no chart
//! library: [`super::chart`] lays it out), with the rest of the month at the pace so far and
//! the budget line; the projection and its bill on the configured package; calls by route;
//! the last 12 months.

use rappu_shared::console::UsageMonth;
use yew::prelude::*;

use super::chart::{self, BOTTOM, HEIGHT, LEFT, WIDTH};
use super::{Load, RefreshButton, api, error_notice, use_load, use_texts};
use crate::components::use_title;
use crate::i18n::fill;

/// `1 234 567`, grouped by thousands as both languages write it (narrow no-break spaces).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    out
}

/// Euros with two decimals and a decimal comma (`1 234,50`), without float formatting.
pub fn euros(eur: f64) -> String {
    let cents = (eur * 100.0).round().max(0.0) as u64;
    format!("{},{:02}", grouped(cents / 100), cents % 100)
}

/// The page.
#[component]
pub fn UsagePage() -> Html {
    let c = use_texts();
    use_title(c.usage_title.into());
    let version = use_state(|| 0u32);
    let loaded = use_load(|| Box::pin(api::usage()), *version);
    html! {
        <>
            <h1>{ c.usage_title }</h1>
            <p class="muted">{ c.usage_intro }</p>
            <RefreshButton version={version.clone()} />
            { match &loaded {
                Load::Loading => html! { <p class="muted">{ c.loading }</p> },
                Load::Failed(e) => error_notice(c, e),
                Load::Ready(usage) => html! { <Usage usage={usage.clone()} /> },
            } }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct UsageProps {
    usage: UsageMonth,
}

#[component]
fn Usage(props: &UsageProps) -> Html {
    let c = use_texts();
    let u = &props.usage;
    // The budget guard's own verdict first (spent: only writes go to Tampuuri), then the
    // pace against the line.
    let (verdict, class) = if u.budget_over {
        (c.usage_budget_spent, "state state-bad")
    } else if u.projected_calls > u.budget_calls {
        (c.usage_over_budget, "state state-bad")
    } else if u.budget_warn {
        (c.usage_budget_warn, "state state-warn")
    } else {
        (c.usage_within_budget, "state state-ok")
    };
    let summary = fill(
        c.usage_chart_label,
        &[
            ("month", &u.month),
            ("calls", &grouped(u.calls)),
            ("projected", &grouped(u.projected_calls)),
            ("budget", &grouped(u.budget_calls)),
        ],
    );
    html! {
        <>
            <dl class="figures">
                <div><dt>{ c.usage_calls_so_far }</dt><dd>{ grouped(u.calls) }</dd></div>
                <div><dt>{ c.usage_projected }</dt><dd>{ grouped(u.projected_calls) }</dd></div>
                <div><dt>{ c.usage_budget }</dt><dd>{ grouped(u.budget_calls) }</dd></div>
                <div>
                    <dt>{ fill(c.usage_bill, &[("package", &u.projected_bill.package)]) }</dt>
                    <dd>{ euros(u.projected_bill.total_eur) }{ " €" }</dd>
                </div>
            </dl>
            <p class={class}>{ verdict }</p>
            <Chart usage={u.clone()} label={summary} />
            <h2>{ c.usage_by_route }</h2>
            <div class="table-wrap">
                <table>
                    <thead><tr><th scope="col">{ c.col_route }</th><th scope="col" class="num">{ c.col_calls }</th></tr></thead>
                    <tbody>
                        { for u.routes.iter().map(|r| html! {
                            <tr><th scope="row"><code>{ r.route.clone() }</code></th><td class="num">{ grouped(r.calls) }</td></tr>
                        }) }
                    </tbody>
                </table>
            </div>
            <h2>{ c.usage_history }</h2>
            <div class="table-wrap">
                <table>
                    <thead><tr>
                        <th scope="col">{ c.col_month }</th>
                        <th scope="col" class="num">{ c.col_calls }</th>
                        <th scope="col" class="num">{ c.col_eur }</th>
                    </tr></thead>
                    <tbody>
                        { for u.history.iter().rev().map(|b| html! {
                            <tr>
                                <th scope="row">{ b.month.clone() }</th>
                                <td class="num">{ grouped(b.calls) }</td>
                                <td class="num">{ euros(b.total_eur) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ChartProps {
    usage: UsageMonth,
    label: String,
}

#[component]
fn Chart(props: &ChartProps) -> Html {
    let c = use_texts();
    let laid = chart::layout(&props.usage);
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    let (budget_y, _) = laid.budget;
    html! {
        <figure class="usage-chart">
            <svg viewBox={view_box} role="img" aria-label={props.label.clone()} preserveAspectRatio="xMidYMid meet">
                { for laid.ticks.iter().map(|tick| html! {
                    <g class="tick">
                        <line x1={LEFT.to_string()} x2={WIDTH.to_string()} y1={tick.y.to_string()} y2={tick.y.to_string()} />
                        <text x={(LEFT - 6).to_string()} y={(tick.y + 4).to_string()} text-anchor="end">{ grouped(tick.value) }</text>
                    </g>
                }) }
                { for laid.bars.iter().map(|bar| html! {
                    <g>
                        <rect class={if bar.projected { "bar projected" } else { "bar" }}
                            x={bar.x.to_string()} y={bar.y.to_string()}
                            width={bar.width.to_string()} height={bar.height.to_string()}>
                            <title>{ format!("{}: {}", bar.day, grouped(bar.calls)) }</title>
                        </rect>
                        if bar.day == 1 || bar.day % 5 == 0 {
                            <text class="day" x={(bar.x + bar.width / 2).to_string()} y={(HEIGHT - BOTTOM + 16).to_string()} text-anchor="middle">{ bar.day }</text>
                        }
                    </g>
                }) }
                <line class="budget" x1={LEFT.to_string()} x2={WIDTH.to_string()} y1={budget_y.to_string()} y2={budget_y.to_string()} />
                <line class="axis" x1={LEFT.to_string()} x2={WIDTH.to_string()} y1={laid.base.to_string()} y2={laid.base.to_string()} />
            </svg>
            <figcaption>
                <span class="legend legend-calls">{ c.legend_calls }</span>
                <span class="legend legend-projected">{ c.legend_projected }</span>
                <span class="legend legend-budget">{ c.legend_budget }</span>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_euros_have_a_decimal_comma() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(40_000), "40\u{202f}000");
        assert_eq!(grouped(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(euros(330.0), "330,00");
        assert_eq!(euros(1_234.5), "1\u{202f}234,50");
    }
}
