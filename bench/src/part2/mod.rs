//! Part 2: the reference fleet of issue 14 for a month in compressed time, and what it
//! costs in Tampuuri calls: 500 buildings in 250 housing companies, 1,000 displays, 5,000
//! portal users, two maintenance partners, the month's change mix; the mirror's cadences
//! divided by `k` and the changes made `k` times as often, the simulator's call count
//! extrapolated to a 30-day month and set beside `rappu plan`'s estimate. Also a lost
//! webhook, a restart, a day of Tampuuri outage, and the polling mode.
//!
//! - [`fleet`]: who is who in the simulated fleet.
//! - [`month`]: the schedule of changes and visits, and the driver that makes them.
//! - [`load`]: displays (polling and SSE) and partners as load.
//! - [`observe`]: answers and SSE latencies.
//! - [`calls`]: calls by kind, `rappu plan`, the bills.
//! - [`phases`]: compressed settings, settling, lost webhooks, restart, outage.

mod calls;
mod fleet;
mod load;
mod month;
mod observe;
pub(crate) mod phases;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;

use crate::plan::Plan;
use crate::report::{Summary, euros, latency_line, secs, secs_ms, thousands, thousands_f};
use crate::stack::{self, Env, Gateway, Sim, random_secret};

use calls::{PlanInput, by_kind};
use fleet::Fleet;
use load::Load;
use month::{Book, Driver, Rates, Schedule};
use observe::{Answers, Tracker};

/// What part 2 needs from the month with webhooks.
struct MonthRun {
    sim: Sim,
    gateway: Gateway,
    secret: String,
    /// Calls a 30-day month by kind (extrapolated), restarts not included.
    month: BTreeMap<&'static str, f64>,
}

/// Runs part 2.
pub async fn run(env: &Env, plan: &Plan, summary: &mut Summary) -> anyhow::Result<()> {
    println!("\n== Part 2: Tampuuri calls of the reference fleet (issue 14) in compressed time ==");
    let fleet = Fleet::new(plan)?;
    println!(
        "  simulator: rappu sim --properties {} --buildings-per-property {}: {}",
        plan.fleet_properties,
        plan.fleet_buildings_per_property,
        fleet.describe()
    );
    println!(
        "  (issue 14's fleet: 500 buildings in 250 companies, ~10,000 apartments, ~15,000 resident parties; the simulator's generator gives ~19 apartments a building and ~2 resident parties an apartment, former and future ones included)"
    );
    println!(
        "  clients: {} displays (two a building; {} on SSE, the rest polling every {} s with If-None-Match), {} portal users ({} visits a month each: /me, their reports, their phone), {} maintenance partners on the work-order API (the companies with the most open reports)",
        thousands(plan.displays as u64),
        plan.sse_displays,
        plan.poll_every.as_secs(),
        thousands(plan.portal_users as u64),
        plan.portal_opens_per_month,
        fleet.partners.len()
    );
    let mix = rappu_gateway::plan::ChangeMix::of(plan.changes_per_month);
    println!(
        "  a month's changes ({} notifications, divided as rappu plan divides them): {} moves (half out, half in), {} privacy (turvakielto / hide), {} announcement changes (40 % new, 30 % edited, 30 % removed), {} reports filed in the portal, {} report state changes in Tampuuri's UI, {} partner transitions",
        thousands(plan.changes_per_month),
        mix.moves,
        mix.privacy,
        mix.announcements,
        mix.new_reports,
        mix.report_changes,
        mix.transitions
    );

    let mut used = 0;
    let month = month_with_webhooks(env, plan, &fleet, &mut used, summary).await?;
    let MonthRun {
        sim,
        gateway,
        secret,
        month: measured,
    } = month;

    // 2b: a restart.
    println!("\n-- 2b: a restart with an existing mirror.db --");
    let (gateway, restart) =
        phases::restart(env, &sim, gateway, fleet.buildings[0], &secret).await?;
    println!(
        "  the gateway stopped (SIGTERM) and started again with the same data directory and the default cadences: first feed answered 200 after {}, the start's reconciliation done after {}; {} calls:",
        secs_ms(restart.first_feed),
        secs_ms(restart.settled),
        thousands(restart.calls.total)
    );
    phases::print_routes(&restart.calls, "    ");
    let registry_again = calls::by_kind(&restart.calls)["registry sweeps"];
    summary.check(
        registry_again == 0,
        "part 2b: a restart does not read the registry again",
        format!("{registry_again} registry calls"),
    );

    // 2c: a day of outage.
    let (gateway, outage, catch_up) = outage_day(
        env, plan, &fleet, &sim, gateway, &secret, &mut used, summary,
    )
    .await?;
    drop(gateway);
    drop(sim);

    // 2d: polling.
    let polling = polling_mode(env, plan, &fleet, &mut used, summary).await?;

    // 2e: next to rappu plan.
    println!("\n-- 2e: measured next to rappu plan (same fleet, default cadences) --");
    let config = env.scratch("plan")?.join("rappu.toml");
    std::fs::write(
        &config,
        format!(
            "# The gateway's default cadences (the bench ran them divided by its time compression)\n{}",
            toml_mirror()?
        ),
    )
    .context("writing the plan's configuration")?;
    let restarts = 4;
    let input = PlanInput {
        buildings: fleet.buildings.len() as u64,
        properties: fleet.properties as u64,
        apartments: fleet.apartments.len() as u64,
        residents: fleet.resident_connections,
        displays: plan.displays as u64,
        portal_users: plan.portal_users as u64,
        announcements: fleet.announcements.len() as u64,
        changes_per_month: plan.changes_per_month,
        restarts_per_month: restarts,
        webhooks: true,
    };
    let announcements = input.announcements;
    let with = calls::run_plan(&env.rappu, &config, &input)?;
    let without = calls::run_plan(
        &env.rappu,
        &config,
        &PlanInput {
            webhooks: false,
            ..input.clone()
        },
    )?;
    println!("  {}", with.command);
    let mut measured_month = measured.clone();
    measured_month.insert(
        "restarts",
        (restarts * calls::by_kind(&restart.calls).values().sum::<u64>()) as f64,
    );
    println!(
        "  with webhooks (measured: the month extrapolated, plus {restarts} restarts as measured in 2b, as plan assumes):"
    );
    calls::print_comparison(&measured_month, &with, announcements);
    let total: f64 = measured_month.values().sum();
    let diff = calls::diff_pct(total, with.total as f64);
    println!(
        "  without webhooks (polling every {} s; the measured month has no restart):",
        rappu_gateway::config::MirrorSettings::default().poll_secs
    );
    let polling_month: f64 = polling.values().sum();
    calls::print_comparison(&polling, &without, announcements);
    let polling_diff = calls::diff_pct(polling_month, without.total as f64);
    println!(
        "  (plan reads the reports sweep as one page for its own guess of open reports, the fleet has {} not completed; it counts ⌈30/7⌉ = 5 registry sweeps a month, a month has 4.3)",
        fleet.unclosed.len()
    );

    // The summary.
    let bills = calls::bills(total.round() as u64);
    let bill_line = bills
        .iter()
        .map(|(p, e)| format!("{p} {}", euros(*e)))
        .collect::<Vec<_>>()
        .join(", ");
    summary.figure(format!(
        "part 2 fleet with webhooks: {} Tampuuri calls a month measured (incl. {restarts} restarts), rappu plan {} ({diff:+.1} %); bill {bill_line}",
        thousands_f(total),
        thousands(with.total)
    ));
    summary.figure(format!(
        "part 2 polling mode (every {} s, no webhooks): {} calls a month measured, rappu plan {} ({polling_diff:+.1} %)",
        rappu_gateway::config::MirrorSettings::default().poll_secs,
        thousands_f(polling_month),
        thousands(without.total)
    ));
    summary.figure(format!(
        "part 2 restart with mirror.db: {} calls (rappu plan {} a restart), first feed after {}",
        thousands(restart.calls.total),
        with.by_kind.get("restarts").copied().unwrap_or(0) / restarts,
        secs_ms(restart.first_feed)
    ));
    summary.figure(format!(
        "part 2 a day of outage: {} calls in the compressed day, ≤ {} in a real day (breaker probes), {} after it to catch up",
        thousands(outage.during.total),
        thousands(phases::breaker_day(5, Duration::from_secs(15))),
        thousands(catch_up)
    ));
    summary.target(
        total <= 25_000.0,
        "part 2: the reference fleet with webhooks ≤ 25,000 Tampuuri calls a month",
        format!("{} measured", thousands_f(total)),
    );
    summary.target(
        diff.abs() <= 15.0,
        "part 2: rappu plan within 15 % of the measurement (webhooks)",
        format!("{diff:+.1} %"),
    );
    summary.target(
        polling_diff.abs() <= 15.0,
        "part 2: rappu plan within 15 % of the measurement (polling)",
        format!("{polling_diff:+.1} %"),
    );
    Ok(())
}

/// The `[mirror]` section of the defaults, as TOML.
fn toml_mirror() -> anyhow::Result<String> {
    let d = rappu_gateway::config::MirrorSettings::default();
    Ok(format!(
        "[mirror]\nreconcile_secs = {}\npoll_secs = {}\nnews_secs = {}\nregistry_secs = {}\nbatch_ms = {}\n",
        d.reconcile_secs, d.poll_secs, d.news_secs, d.registry_secs, d.batch_ms
    ))
}

/// Prints the answers of every client kind and checks none was refused.
fn check_answers(tag: &str, answers: &[&Answers], summary: &mut Summary) {
    for a in answers {
        for kind in a.kinds() {
            let c = a.counts(kind);
            let p50 = crate::report::percentile(&c.latencies, 50.0).map_or("-".into(), secs_ms);
            let p99 = crate::report::percentile(&c.latencies, 99.0).map_or("-".into(), secs_ms);
            println!("    {kind:<8} {} (p50 {p50}, p99 {p99})", c.line());
            summary.check(
                c.bad() == 0 && c.errors == 0,
                format!("part {tag}: every {kind} request answered 2xx or 304"),
                format!("{}; {}", c.line(), a.first_error().unwrap_or_default()),
            );
        }
    }
}

/// 2a: the month with webhooks, and two lost webhooks in it.
async fn month_with_webhooks(
    env: &Env,
    plan: &Plan,
    fleet: &Fleet,
    used: &mut usize,
    summary: &mut Summary,
) -> anyhow::Result<MonthRun> {
    let k = plan.month_k;
    println!(
        "\n-- 2a: {} simulated days with webhooks, time ×{k} ({} real) --",
        plan.month_days,
        secs(plan.month_window())
    );
    phases::print_cadences(k, false);
    let sim = Sim::start_shaped(
        env,
        plan.fleet_properties,
        Some(plan.fleet_buildings_per_property),
    )
    .await?;
    fleet.check(&sim.summary(env).await?)?;
    let secret = random_secret();
    let started = Utc::now();
    let gateway =
        Gateway::start(env, &sim, &phases::settings(Some(k), Some(&secret), false)).await?;
    stack::subscribe_webhooks(env, &sim, &gateway, &secret).await?;
    println!("  gateway settings:");
    gateway.print_settings("    ");
    println!(
        "    (the pace and the budget raised so neither slows or stops a compressed month; the gateway is the simulator's webhook listener)"
    );
    let load_time = phases::settle(
        env,
        &sim,
        &gateway,
        &["registry", "people", "reports", "news"],
        started,
        Duration::from_millis(500),
        Duration::from_secs(300),
    )
    .await?;
    let loaded_at = Instant::now();
    let first = sim.calls(env).await?;
    println!(
        "  first start (empty mirror): {} calls, loaded in {}:",
        thousands(first.total),
        secs(load_time)
    );
    phases::print_routes(&first, "    ");

    // Clients.
    let (residents, partners) = Driver::tokens(&gateway, fleet)?;
    let window = plan.month_window();
    let grace = Duration::from_secs(5);
    // Load::start puts its SSE displays on the first buildings.
    let tracker = Arc::new(Tracker::new(
        fleet
            .buildings
            .iter()
            .copied()
            .take(plan.sse_displays)
            .collect(),
    ));
    // Half a day after the first load: each daily sweep falls in the middle of one of the
    // window's days, not on its edges (and the weekly registry sweeps at 6.5 and 13.5 days).
    let start = loaded_at + Duration::from_secs_f64(0.5 * 86_400.0 / k as f64);
    let end = start + window;
    let mut load = Load::start(
        &gateway,
        fleet,
        plan.displays,
        plan.sse_displays,
        plan.poll_every,
        end + grace,
        Some(tracker.clone()),
    )
    .await?;
    let driver = Driver {
        env,
        sim: &sim,
        gateway: &gateway,
        fleet,
        book: Arc::new(Book::new(fleet, 7)),
        answers: Arc::new(Answers::default()),
        tracker: Some(tracker.clone()),
        residents: Arc::new(residents),
        partners: Arc::new(partners),
    };
    load.partners(&driver, Duration::from_secs(5), end + grace);
    let schedule = Schedule::new(
        fleet,
        Rates {
            changes_per_month: plan.changes_per_month,
            visits_per_month: plan.portal_users as f64 * plan.portal_opens_per_month,
            writes: true,
        },
        plan.month_days,
        1,
        used,
        "a",
    );
    let lost_who = fleet
        .shown
        .get(*used)
        .copied()
        .context("no resident left for the lost webhook")?;
    *used += 1;
    println!(
        "  scheduled: {} changes ({}), {} portal visits",
        thousands(schedule.events.len() as u64),
        schedule
            .counts()
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        thousands(schedule.visits.len() as u64)
    );
    tokio::time::sleep_until(start.into()).await;
    sim.reset_calls(env).await?;
    let cpu0 = crate::machine::cpu_ticks(gateway.proc.pid())?;
    let lost_at = start + Duration::from_secs_f64(0.5 * 86_400.0 / k as f64);
    let lost = async {
        tokio::time::sleep_until(lost_at.into()).await;
        phases::lost_webhooks(env, &sim, &gateway, fleet, lost_who, "a", end).await
    };
    let (made, lost) = tokio::join!(driver.run(&schedule, start, k as f64, end), lost);
    tokio::time::sleep_until(end.into()).await;
    let window_calls = sim.calls(env).await?;
    let cpu = crate::machine::cpu_ticks(gateway.proc.pid())?.saturating_sub(cpu0) as f64
        / crate::machine::clock_ticks();
    let (watched, displays) = (load.watched.len(), load.answers.clone());
    let outcome = load.finish().await;

    // Report.
    println!(
        "  made: {}{}",
        made.made
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        if made.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; not made: {}",
                made.skipped
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if let Some(e) = &made.first_error {
        println!("    first failure: {e}");
    }
    summary.check(
        made.first_error.is_none(),
        "part 2a: every change was made",
        made.first_error.clone().unwrap_or_default(),
    );
    let factor = 30.0 / plan.month_days;
    let kinds = by_kind(&window_calls);
    println!(
        "  Tampuuri calls in the {} simulated days (×{factor:.2} for a 30-day month):",
        plan.month_days
    );
    phases::print_routes(&window_calls, "    ");
    let sweeps = |calls: u64, per: u64| calls as f64 / per.max(1) as f64;
    let people_pages = rappu_gateway::mirror::costs::people_sweep(fleet.kept_connections);
    println!(
        "    sweeps made: people {:.1} ({} pages each; due {:.1}), registry {:.1} (due {:.1})",
        sweeps(kinds["people sweeps"], people_pages),
        people_pages,
        plan.month_days,
        sweeps(kinds["registry sweeps"], 1 + fleet.properties as u64),
        plan.month_days / 7.0
    );
    let month: BTreeMap<&'static str, f64> = kinds
        .iter()
        .map(|(k, n)| (*k, *n as f64 * factor))
        .collect();
    let total: f64 = month.values().sum();
    println!("  a 30-day month by kind:");
    for (kind, n) in &month {
        if *n > 0.0 {
            println!("    {:>8}  {kind}", thousands_f(*n));
        }
    }
    println!("    {:>8}  total", thousands_f(total));
    println!("  clients' answers in the window:");
    check_answers("2a", &[&displays, &driver.answers], summary);
    let seen = tracker.seen();
    println!(
        "  changes on SSE-watched buildings ({} displays on SSE, {} feed events): {} of {} on screen after an event; change → event {}",
        watched,
        thousands(outcome.events),
        seen.latencies.len(),
        seen.made,
        latency_line(&seen.latencies)
    );
    for f in &outcome.failed_watchers {
        summary.check(false, "part 2a: SSE display", f.clone());
    }
    summary.check(
        seen.latencies.len() == seen.made,
        "part 2a: every change on a watched building reached its SSE display",
        format!("{} of {}", seen.latencies.len(), seen.made),
    );
    if let Some(p50) = crate::report::percentile(&seen.latencies, 50.0) {
        summary.figure(format!(
            "part 2a webhook change → SSE display: p50 {}, max {}",
            secs_ms(p50),
            seen.latencies
                .iter()
                .max()
                .map_or("-".into(), |m| secs_ms(*m))
        ));
    }
    match lost {
        Ok(list) => {
            for l in list {
                let uncompressed = l.repaired.map(|d| d.mul_f64(k as f64));
                println!(
                    "  a lost webhook, {}: on the display after {} real, {} uncompressed",
                    l.what,
                    phases::maybe(l.repaired),
                    uncompressed
                        .map_or("-".into(), |d| format!("{:.1} h", d.as_secs_f64() / 3600.0))
                );
                summary.figure(format!(
                    "part 2a lost webhook, {}: repaired after {} (uncompressed; bound: its sweep's cadence)",
                    l.what,
                    uncompressed.map_or("not within the run".into(), |d| format!("{:.1} h", d.as_secs_f64() / 3600.0))
                ));
                summary.check(
                    l.repaired.is_some(),
                    format!("part 2a: a lost webhook ({}) was repaired", l.what),
                    "not within the run".to_owned(),
                );
            }
        }
        Err(e) => summary.check(false, "part 2a: the lost-webhook probe", format!("{e:#}")),
    }
    let (bundles, attempts, undelivered, first) = phases::deliveries(env, &sim).await?;
    println!(
        "  webhook bundles: {} ({} attempts), {} never answered 2xx",
        thousands(bundles as u64),
        thousands(attempts as u64),
        undelivered
    );
    summary.check(
        undelivered == 0,
        "part 2a: every webhook bundle was answered 2xx",
        first,
    );
    let mut sim = sim;
    let alive = sim.proc.ensure_running();
    summary.check(
        alive.is_ok(),
        "part 2a: the simulator kept running",
        alive.err().map(|e| format!("{e:#}")).unwrap_or_default(),
    );
    let (rss, _) = crate::machine::rss_kib(gateway.proc.pid())?;
    println!(
        "  gateway: {cpu:.1} s CPU in the window ({:.0} % of a core), VmRSS {:.1} MB",
        cpu * 100.0 / window.as_secs_f64(),
        rss as f64 / 1024.0
    );
    Ok(MonthRun {
        sim,
        gateway,
        secret,
        month,
    })
}

/// 2c: a day of Tampuuri outage (after a second restart, with a day compressed into
/// `plan.outage_day`).
#[allow(clippy::too_many_arguments)]
async fn outage_day(
    env: &Env,
    plan: &Plan,
    fleet: &Fleet,
    sim: &Sim,
    gateway: Gateway,
    secret: &str,
    used: &mut usize,
    summary: &mut Summary,
) -> anyhow::Result<(Gateway, phases::Outage, u64)> {
    let k = (86_400.0 / plan.outage_day.as_secs_f64()).round() as u64;
    println!(
        "\n-- 2c: a day of Tampuuri outage ({} real, time ×{k}) --",
        secs(plan.outage_day)
    );
    phases::print_cadences(k, true);
    let restarted = Utc::now();
    let gateway = gateway
        .restart(sim, &phases::settings(Some(k), Some(secret), true))
        .await?;
    phases::settle(
        env,
        sim,
        &gateway,
        &["people", "reports", "news"],
        restarted,
        Duration::from_secs(1),
        Duration::from_secs(120),
    )
    .await?;
    let (residents, partners) = Driver::tokens(&gateway, fleet)?;
    let driver = Driver {
        env,
        sim,
        gateway: &gateway,
        fleet,
        book: Arc::new(Book::new(fleet, 11)),
        answers: Arc::new(Answers::default()),
        tracker: None,
        residents: Arc::new(residents),
        partners: Arc::new(partners),
    };
    let schedule = Schedule::new(
        fleet,
        Rates {
            changes_per_month: plan.changes_per_month,
            visits_per_month: plan.portal_users as f64 * plan.portal_opens_per_month,
            writes: false,
        },
        1.0,
        3,
        used,
        "c",
    );
    let load_end = Instant::now() + plan.outage_day + Duration::from_secs(1_300);
    let load = Load::start(
        &gateway,
        fleet,
        50,
        0,
        Duration::from_secs(2),
        load_end,
        None,
    )
    .await?;
    let start = Instant::now();
    let stop = start + plan.outage_day;
    let outage = phases::outage(env, sim, &gateway, plan.outage_day, async {
        let made = driver.run(&schedule, start, k as f64, stop).await;
        println!(
            "  during it: {} changes made in Tampuuri (webhooks delivered), {} portal visits",
            made.made.values().sum::<usize>(),
            schedule.visits.len()
        );
    })
    .await?;
    let display = load.answers.counts("display");
    load.abort();
    println!(
        "  calls during the compressed day: {} (the circuit opened {} times; calls at {})",
        thousands(outage.during.total),
        outage.times_opened,
        outage
            .timeline
            .iter()
            .map(|(t, n)| format!("{t:.1} s +{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  a real day: the breaker lets one probe through per open period (15 s, doubling to 120 s): ≤ {} calls however long the cadences",
        thousands(phases::breaker_day(5, Duration::from_secs(15)))
    );
    // Catching up waits for the mirror's retry of a failed reconciliation (5 s doubling up
    // to 15 minutes, real time): meanwhile the compressed cadence runs kinds that are
    // already back again. Those extra sweeps are no cost of the outage.
    let kinds = by_kind(&outage.after);
    let people_pages = rappu_gateway::mirror::costs::people_sweep(fleet.kept_connections);
    let report_pages = rappu_gateway::mirror::costs::reports_sweep(fleet.unclosed.len() as u64);
    let news_pages = rappu_gateway::mirror::costs::news_read(fleet.announcements.len() as u64);
    let extra = |calls: u64, pages: u64, expected: u64| {
        let sweeps = (calls as f64 / pages.max(1) as f64).round() as u64;
        sweeps.saturating_sub(expected) * pages
    };
    // A catch-up never reads the registry: a registry sweep after the outage is the
    // compressed weekly cadence coming due while the mirror waits to retry.
    let extras = extra(kinds["people sweeps"], people_pages, 1)
        + extra(kinds["report sweeps"], report_pages, 1)
        + extra(kinds["announcement reads"], news_pages, 2)
        + kinds["registry sweeps"];
    println!(
        "  after it: caught up in {} real (the mirror retries a failed reconciliation of each kind after 5 s, doubling up to 15 min, in real time), {} calls, of which {} the compressed cadence's own sweeps meanwhile; the catch-up itself: {} calls (one reconciliation of people, reports and news, and a fetch of each thing notified during the outage):",
        secs(outage.caught_up),
        thousands(outage.after.total),
        thousands(extras),
        thousands(outage.after.total.saturating_sub(extras))
    );
    phases::print_routes(&outage.after, "    ");
    println!(
        "  displays during the outage and after (50 polling every 2 s): {}",
        display.line()
    );
    summary.check(
        display.bad() == 0 && display.errors == 0,
        "part 2c: displays are served through an outage",
        display.line(),
    );
    check_answers("2c", &[&driver.answers], summary);
    drop(driver);
    let catch_up = outage.after.total.saturating_sub(extras);
    Ok((gateway, outage, catch_up))
}

/// 2d: the polling mode (no webhooks), its own simulator and gateway.
async fn polling_mode(
    env: &Env,
    plan: &Plan,
    fleet: &Fleet,
    used: &mut usize,
    summary: &mut Summary,
) -> anyhow::Result<BTreeMap<&'static str, f64>> {
    let k = plan.polling_k;
    println!(
        "\n-- 2d: {} simulated hours without webhooks, time ×{k} ({} real) --",
        plan.polling_hours,
        secs(plan.polling_window())
    );
    phases::print_cadences(k, false);
    let sim = Sim::start_shaped(
        env,
        plan.fleet_properties,
        Some(plan.fleet_buildings_per_property),
    )
    .await?;
    let started = Utc::now();
    let gateway = Gateway::start(env, &sim, &phases::settings(Some(k), None, false)).await?;
    phases::settle(
        env,
        &sim,
        &gateway,
        &["registry", "people", "reports", "news"],
        started,
        Duration::from_millis(500),
        Duration::from_secs(300),
    )
    .await?;
    let (residents, partners) = Driver::tokens(&gateway, fleet)?;
    let window = plan.polling_window();
    let start = Instant::now() + Duration::from_secs(2);
    let end = start + window;
    let mut load = Load::start(
        &gateway,
        fleet,
        plan.polling_displays,
        0,
        plan.poll_every,
        end,
        None,
    )
    .await?;
    let driver = Driver {
        env,
        sim: &sim,
        gateway: &gateway,
        fleet,
        book: Arc::new(Book::new(fleet, 13)),
        answers: Arc::new(Answers::default()),
        tracker: None,
        residents: Arc::new(residents),
        partners: Arc::new(partners),
    };
    load.partners(&driver, Duration::from_secs(5), end);
    let schedule = Schedule::new(
        fleet,
        Rates {
            changes_per_month: plan.changes_per_month,
            visits_per_month: plan.portal_users as f64 * plan.portal_opens_per_month,
            writes: true,
        },
        plan.polling_hours / 24.0,
        5,
        used,
        "d",
    );
    tokio::time::sleep_until(start.into()).await;
    sim.reset_calls(env).await?;
    let made = driver.run(&schedule, start, k as f64, end).await;
    tokio::time::sleep_until(end.into()).await;
    let calls = sim.calls(env).await?;
    let displays = load.answers.clone();
    load.finish().await;
    println!(
        "  made: {} changes, {} portal visits; Tampuuri calls in the window:",
        made.made.values().sum::<usize>(),
        schedule.visits.len()
    );
    phases::print_routes(&calls, "    ");
    let factor = 30.0 * 24.0 / plan.polling_hours;
    let month: BTreeMap<&'static str, f64> = by_kind(&calls)
        .into_iter()
        .map(|(k, n)| (k, n as f64 * factor))
        .collect();
    println!(
        "  a 30-day month: {} calls (×{factor:.0}; the weekly registry sweep falls outside so short a window: ~1,100 a month)",
        thousands_f(month.values().sum())
    );
    println!("  clients' answers:");
    check_answers("2d", &[&displays, &driver.answers], summary);
    Ok(month)
}
