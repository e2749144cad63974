//! One run of part 2: a fresh simulator and gateway, webhook invalidation or the polling
//! fallback, the displays, the changes, and what it all cost upstream.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use rand::Rng as _;
use reqwest::header::ETAG;
use serde_json::Value;

use super::load::{self, Clock, Display, Watcher};
use super::observe::{Answers, Tracker};
use super::world::World;
use crate::machine;
use crate::plan::Plan;
use crate::report::{Summary, latency_line, percentile, secs_ms, thousands};
use crate::stack::{self, Env, Gateway, Sim, building_ids, random_secret, route_calls};

/// How the gateway learns about changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tampuuri's webhooks invalidate the cached data.
    Webhooks,
    /// No webhooks: data is refetched every `feeds.refresh_secs`.
    Polling,
}

/// What the cost comparison needs from a run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Upstream calls to build one building's feed from a cold cache.
    pub cold_calls: u64,
    /// Upstream calls in the counted window.
    pub window_calls: u64,
    /// Changes made in the window.
    pub changes: usize,
}

/// Runs one variant.
pub async fn run(
    env: &Env,
    plan: &Plan,
    world: &World,
    mode: Mode,
    summary: &mut Summary,
) -> anyhow::Result<Outcome> {
    let (tag, title) = match mode {
        Mode::Webhooks => ("2a", "webhook invalidation"),
        Mode::Polling => (
            "2b",
            "polling fallback (no webhooks; feeds.refresh_secs shortened, see the cost section)",
        ),
    };
    println!("\n-- {tag}: {title} --");
    let mut sim = Sim::start(env, world.properties).await?;
    let ids = building_ids(&sim.summary(env).await?);
    if ids.get(..world.buildings.len()) != Some(&world.buildings[..]) {
        bail!(
            "the simulator child's buildings differ from the in-process copy (did the date change?)"
        );
    }
    let secret = random_secret();
    let extra: Vec<(&str, String)> = match mode {
        Mode::Webhooks => vec![("RAPPU_WEBHOOKS__SECRET", secret.clone())],
        Mode::Polling => vec![(
            "RAPPU_FEEDS__REFRESH_SECS",
            plan.polling_refresh.as_secs().to_string(),
        )],
    };
    let mut gateway = Gateway::start(env, &sim, &extra).await?;
    if mode == Mode::Webhooks {
        stack::subscribe_webhooks(env, &sim, &gateway, &secret).await?;
        println!(
            "  the gateway is the simulator's webhook listener for account demo (X-Rappu-Webhook-Secret)"
        );
    }
    println!("  gateway settings:");
    gateway.print_settings("    ");

    // One feed from a cold cache: what a display polling Tampuuri directly would cost.
    let first = world.buildings[0];
    let token = gateway.display_token(first, "bench-cold")?;
    sim.reset_calls(env).await?;
    let first_etag = get_etag(env, &gateway, &token).await?;
    let cold = sim.calls(env).await?;
    let (cold_routes, cold_calls) = route_calls(&cold);
    let list: Vec<String> = cold_routes
        .iter()
        .map(|(r, n)| format!("{r} ×{n}"))
        .collect();
    println!(
        "  one feed built from a cold cache: {cold_calls} upstream calls ({})",
        list.join(", ")
    );

    // The rest of the buildings, as if the displays had been running.
    let mut etags: HashMap<i64, String> = HashMap::from([(first, first_etag)]);
    let rest = &world.buildings[1..];
    let tokens: Vec<(i64, String)> = rest
        .iter()
        .map(|b| Ok((*b, gateway.display_token(*b, "bench-warm")?)))
        .collect::<anyhow::Result<_>>()?;
    let gw = &gateway;
    let warmed: Vec<anyhow::Result<(i64, String)>> = futures::stream::iter(tokens)
        .map(|(b, t)| async move { Ok((b, get_etag(env, gw, &t).await?)) })
        .buffer_unordered(16)
        .collect()
        .await;
    for w in warmed {
        let (b, e) = w?;
        etags.insert(b, e);
    }
    let warm_calls = sim.calls(env).await?.total;
    println!(
        "  warming all {} buildings' feeds: {} upstream calls in all",
        world.buildings.len(),
        thousands(warm_calls)
    );

    // The displays, the watchers, the changes.
    let per_building = plan.displays / world.buildings.len().max(1);
    let mut rng = rand::rng();
    let mut displays = Vec::with_capacity(plan.displays);
    for d in 0..plan.displays {
        let building = world.buildings[d % world.buildings.len()];
        displays.push(Display {
            token: gateway.display_token(building, &format!("bench-display-{d}"))?,
            building,
            etag: etags
                .get(&building)
                .cloned()
                .context("a building without an ETag")?,
            phase: plan.poll_every.mul_f64(rng.random_range(0.0..1.0)),
        });
    }
    let tracker = Arc::new(Tracker::new(&world.changes, per_building));
    let answers = Arc::new(Answers::default());
    let lead_in = match mode {
        Mode::Webhooks => Duration::ZERO,
        Mode::Polling => plan.polling_lead_in,
    };
    let start = Instant::now() + Duration::from_secs(2);
    let window_start = start + lead_in;
    let clock = Clock {
        start,
        window_start,
        window_end: window_start + plan.window,
        end: window_start + plan.window + plan.grace,
    };
    if !lead_in.is_zero() {
        println!(
            "  the displays poll {} s before the counted window, so that the cached data turns {} s old inside it",
            lead_in.as_secs(),
            plan.polling_refresh.as_secs()
        );
    }
    let http = stack::client(Duration::from_secs(10), plan.displays + 64)?;
    let sse_http = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .build()?;
    let mut watchers = Vec::new();
    let mut connected = Vec::new();
    for (i, b) in world.sse_buildings.iter().enumerate() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let w = Watcher {
            sse_http: sse_http.clone(),
            http: http.clone(),
            base: gateway.url.clone(),
            token: gateway.display_token(*b, &format!("bench-sse-{i}"))?,
            building: *b,
            clock,
            tracker: tracker.clone(),
        };
        watchers.push(tokio::spawn(load::watch_events(w, tx)));
        connected.push(rx);
    }
    for rx in connected {
        tokio::time::timeout(Duration::from_secs(2), rx)
            .await
            .context("an SSE watcher did not connect within 2 s")?
            .context("an SSE watcher failed to connect")?;
    }
    let url: Arc<str> = Arc::from(gateway.feed_url());
    let tasks: Vec<_> = displays
        .into_iter()
        .map(|d| {
            tokio::spawn(load::poll(
                http.clone(),
                url.clone(),
                d,
                plan.poll_every,
                clock,
                tracker.clone(),
                answers.clone(),
            ))
        })
        .collect();
    tokio::time::sleep_until(clock.window_start.into()).await;
    sim.reset_calls(env).await?;
    let cpu0 = machine::cpu_ticks(gateway.proc.pid())?;
    let made = load::drive_changes(
        env,
        &sim,
        &world.changes,
        plan.change_every,
        clock,
        &tracker,
    )
    .await?;
    tokio::time::sleep_until(clock.window_end.into()).await;
    let window = sim.calls(env).await?;
    let cpu1 = machine::cpu_ticks(gateway.proc.pid())?;
    for t in tasks {
        t.await.context("a display task failed")?;
    }
    let mut events = 0;
    for w in watchers {
        match w.await.context("an SSE watcher panicked")? {
            Ok(n) => events += n,
            Err(e) => summary.check(false, format!("part {tag}: SSE watcher"), format!("{e:#}")),
        }
    }

    // What it cost and what the displays saw.
    let (routes, window_calls) = route_calls(&window);
    println!(
        "  upstream calls in the {} s window ({} changes made):",
        plan.window.as_secs(),
        made
    );
    for (route, n) in &routes {
        println!("    {n:>7}  {route}");
    }
    match mode {
        Mode::Webhooks => println!(
            "    {:>7}  total ({:.1} per change)",
            thousands(window_calls),
            window_calls as f64 / made.max(1) as f64
        ),
        Mode::Polling => println!(
            "    {:>7}  total: refetches of every polled feed's data once it is {} s old, whatever changed",
            thousands(window_calls),
            plan.polling_refresh.as_secs()
        ),
    }
    let counts = answers.counts();
    let show = |m: &std::collections::BTreeMap<u16, u64>| {
        m.iter()
            .map(|(s, n)| format!("{s} × {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let total: u64 = counts.window.values().sum();
    println!(
        "  display requests in the window: {} ({}); response time p50 {}, p99 {}",
        thousands(total),
        show(&counts.window),
        percentile(&counts.latencies, 50.0).map_or("-".into(), secs_ms),
        percentile(&counts.latencies, 99.0).map_or("-".into(), secs_ms)
    );
    println!(
        "  outside the window (lead-in and after): {}; transport errors: {}",
        show(&counts.grace),
        counts.errors
    );
    let bad: u64 = counts
        .window
        .iter()
        .chain(counts.grace.iter())
        .filter(|(s, _)| !matches!(**s, 200 | 304))
        .map(|(_, n)| n)
        .sum();
    summary.check(
        bad == 0,
        format!("part {tag}: every display answer is 200 or 304"),
        show(&counts.window),
    );
    summary.check(
        counts.errors == 0,
        format!("part {tag}: no transport errors"),
        counts.first_error.clone().unwrap_or_default(),
    );
    let due_by = clock.end - plan.poll_every - Duration::from_secs(1);
    let v = tracker.visibility(&world.sse_buildings, due_by);
    println!(
        "  changes seen by the polling displays (a display polls every {} s, so this is bounded by the poll interval{}):",
        plan.poll_every.as_secs(),
        if mode == Mode::Polling {
            " plus feeds.refresh_secs"
        } else {
            ""
        }
    );
    println!(
        "    first display of the building: {} of {} changes; {}",
        v.first.len(),
        v.made,
        latency_line(&v.first)
    );
    println!(
        "    all {per_building} displays of the building: {} of {} changes; {}",
        v.all.len(),
        v.made,
        latency_line(&v.all)
    );
    println!(
        "  SSE ({} watchers, {} feed events): {} of {} changes on watched buildings announced; change → event {}",
        world.sse_buildings.len(),
        events,
        v.sse.len(),
        v.sse_made,
        latency_line(&v.sse)
    );
    if mode == Mode::Webhooks {
        summary.check(
            v.due_seen == v.due,
            "part 2a: with webhooks every change reached every display of its building within a poll interval",
            format!(
                "{} of {} changes made ≥ {} s before the end",
                v.due_seen,
                v.due,
                plan.poll_every.as_secs() + 1
            ),
        );
        summary.check(
            v.sse.len() == v.sse_made,
            "part 2a: with webhooks every change on a watched building was announced over SSE",
            format!("{} of {}", v.sse.len(), v.sse_made),
        );
        if let Some(p50) = percentile(&v.sse, 50.0) {
            summary.figure(format!(
                "webhook change → SSE event: p50 {}, max {}",
                secs_ms(p50),
                v.sse.iter().max().map_or("-".into(), |m| secs_ms(*m))
            ));
        }
        deliveries(env, &sim, summary).await?;
    }
    let (rss, _) = machine::rss_kib(gateway.proc.pid())?;
    println!(
        "  gateway: {:.2} s CPU in the window, VmRSS {:.1} MB",
        (cpu1.saturating_sub(cpu0)) as f64 / machine::clock_ticks(),
        rss as f64 / 1024.0
    );
    let alive = gateway.proc.ensure_running();
    summary.check(
        alive.is_ok(),
        format!("part {tag}: the gateway kept running"),
        alive.err().map(|e| format!("{e:#}")).unwrap_or_default(),
    );
    let alive = sim.proc.ensure_running();
    summary.check(
        alive.is_ok(),
        format!("part {tag}: the simulator kept running"),
        alive.err().map(|e| format!("{e:#}")).unwrap_or_default(),
    );
    Ok(Outcome {
        cold_calls,
        window_calls,
        changes: made,
    })
}

/// GETs the feed with `token` (200 expected) and returns its ETag.
async fn get_etag(env: &Env, gateway: &Gateway, token: &str) -> anyhow::Result<String> {
    let response = env
        .http
        .get(gateway.feed_url())
        .bearer_auth(token)
        .send()
        .await?;
    let status = response.status();
    let etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await?;
    if status != 200 {
        bail!(
            "the feed answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    etag.context("the feed has no ETag")
}

/// Prints and checks the simulator's webhook deliveries to the gateway.
async fn deliveries(env: &Env, sim: &Sim, summary: &mut Summary) -> anyhow::Result<()> {
    let list = sim
        .admin(env, reqwest::Method::GET, "webhooks/deliveries", None)
        .await?;
    let list = list.as_array().cloned().unwrap_or_default();
    let ok = list
        .iter()
        .filter(|d| {
            d.get("status")
                .and_then(Value::as_u64)
                .is_some_and(|s| (200..300).contains(&s))
        })
        .count();
    let failed = list.len() - ok;
    println!(
        "  webhook deliveries to the gateway: {} attempts, {ok} answered 2xx, {failed} failed",
        list.len()
    );
    let first_failure = list
        .iter()
        .find(|d| {
            !d.get("status")
                .and_then(Value::as_u64)
                .is_some_and(|s| (200..300).contains(&s))
        })
        .map(|d| d.to_string())
        .unwrap_or_default();
    summary.check(
        failed == 0,
        "part 2a: every webhook delivery answered 2xx",
        first_failure,
    );
    Ok(())
}
