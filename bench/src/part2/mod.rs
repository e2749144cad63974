//! Part 2: upstream calls while 1,000 simulated displays over 100 buildings poll every 10 s
//! for 60 s and the data changes every 3 s, with webhook invalidation and with the polling
//! fallback, next to what direct polling of Tampuuri would cost.
//!
//! - [`world`]: which buildings, which residents to rename, the schedule of changes.
//! - [`load`]: the displays, the SSE watchers, the change driver.
//! - [`observe`]: what the displays saw and when.

mod load;
mod observe;
mod variant;
mod world;

use crate::cost::{self, CostRow};
use crate::plan::Plan;
use crate::report::{Summary, thousands};
use crate::stack::Env;

use variant::Mode;

/// Runs part 2: both variants, then the cost comparison.
pub async fn run(env: &Env, plan: &Plan, summary: &mut Summary) -> anyhow::Result<()> {
    println!(
        "\n== Part 2: upstream calls with {} polling displays ==",
        thousands(plan.displays as u64)
    );
    let changes = (plan.window.as_secs_f64() / plan.change_every.as_secs_f64()).floor() as usize;
    let world = world::plan(plan.buildings, changes, plan.sse_buildings)?;
    println!(
        "  {} displays over {} buildings ({} per building), each polling GET /api/v1/display/feed with If-None-Match every {} s at a random phase, for {} s (+{} s more, uncounted, so the last changes can be seen)",
        thousands(plan.displays as u64),
        world.buildings.len(),
        plan.displays / world.buildings.len().max(1),
        plan.poll_every.as_secs(),
        plan.window.as_secs(),
        plan.grace.as_secs()
    );
    println!(
        "  displays start with the current ETag (they have been running); one change every {} s through the simulator's admin API, alternating: rename a displayed resident / add an announcement ({} changes on {} buildings)",
        plan.change_every.as_secs(),
        world.changes.len(),
        world.changes.len().div_ceil(2)
    );
    println!(
        "  simulator: rappu sim --properties {} ({} buildings used); SSE watchers on {} changed buildings; gateway rate limits at their defaults",
        world.properties,
        world.buildings.len(),
        world.sse_buildings.len()
    );
    let webhooks = variant::run(env, plan, &world, Mode::Webhooks, summary).await?;
    let polling = variant::run(env, plan, &world, Mode::Polling, summary).await?;

    // Direct polling: every display poll would rebuild the feed from Tampuuri.
    let per_feed = webhooks.cold_calls;
    if polling.cold_calls != per_feed {
        println!(
            "  note: one cold feed took {per_feed} calls in 2a and {} in 2b",
            polling.cold_calls
        );
    }
    let minutes = plan.window.as_secs_f64() / 60.0;
    let direct = plan.displays as f64 * plan.polls_per_minute() * per_feed as f64;
    println!(
        "\n-- Cost: direct polling of Tampuuri vs Rappu (Normal package: 240 € incl. 40,000 calls, 0.009 €/extra call; 30-day month) --"
    );
    println!(
        "  direct polling = {} displays × {} polls/min × {} calls per feed (one cold feed build, counted above)",
        thousands(plan.displays as u64),
        plan.polls_per_minute(),
        per_feed
    );
    println!(
        "  Rappu's rows extrapolate the {} s window's calls to a month; for webhooks that assumes the same change rate ({:.0} changes/min over {} buildings) all month",
        plan.window.as_secs(),
        world.changes.len() as f64 / minutes,
        world.buildings.len()
    );
    let rows = [
        CostRow {
            label: "direct polling of Tampuuri by the displays".into(),
            calls_per_minute: direct,
        },
        CostRow {
            label: "Rappu, webhook invalidation".into(),
            calls_per_minute: webhooks.window_calls as f64 / minutes,
        },
    ];
    let measured = plan.polling_refresh.as_secs();
    let default = rappu_gateway::Settings::default().feeds.refresh_secs;
    let polling_per_minute = polling.window_calls as f64 / minutes;
    let mut rows = rows.to_vec();
    rows.push(CostRow {
        label: format!("Rappu, polling fallback, refresh {measured} s (run)"),
        calls_per_minute: polling_per_minute,
    });
    if default != measured && default > 0 {
        rows.push(CostRow {
            label: format!("Rappu, polling fallback, refresh {default} s (default)"),
            calls_per_minute: polling_per_minute * measured as f64 / default as f64,
        });
        println!(
            "  the polling fallback refetches what the polled feeds use once per feeds.refresh_secs, whatever changes: its calls scale as 1/refresh, so the default row is the run's × {measured}/{default}"
        );
    }
    cost::print_table(&rows);
    if webhooks.changes > 0 {
        let per_change = webhooks.window_calls as f64 / webhooks.changes as f64;
        println!(
            "  with webhooks Rappu's calls follow the changes, not the displays: {per_change:.1} calls per change here, so Normal's {} included calls cover ~{} changes a month",
            crate::report::thousands_f(cost::NORMAL_INCLUDED_CALLS),
            crate::report::thousands_f(cost::NORMAL_INCLUDED_CALLS / per_change.max(0.01))
        );
    }
    for row in &rows {
        let month = row.calls_per_minute * cost::MINUTES_PER_MONTH;
        summary.figure(format!(
            "{}: {} calls/min, {} calls/month, {}/month",
            row.label,
            crate::report::thousands_f(row.calls_per_minute),
            crate::report::thousands_f(month),
            crate::report::euros(cost::normal_price(month))
        ));
    }
    Ok(())
}
