//! Part 1: the cached feed under load, next to a reference on the same machine: nginx
//! serving the same bytes as a static file, or (`--baseline`) an older build of the gateway,
//! to measure what a change costs the feed (before/after in the same run). 1,000 display
//! tokens (EdDSA) for one building, rate limiting on; wrk -t1 at 64 and 512 connections, 2 s
//! warm-up then 6 s measured (BASELINES ran 10 s; shorter runs leave time for more rounds);
//! the same requests to both servers; the 200 path and the 304 path (`If-None-Match`);
//! server CPU per request from `/proc/<pid>/stat` (all threads; nginx: master and worker).
//! Each comparison runs in rounds (5 by default), the reference and Rappu in turn with the
//! order swapped every round; the targets are judged on the median of the per-round ratios,
//! with the range shown ([`judge`]).

mod gaps;
mod judge;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::machine::{self, SystemCpu, Tools};
use crate::nginx::{self, Nginx};
use crate::plan::Plan;
use crate::report::{Summary, ms, thousands, thousands_f};
use crate::stack::{Env, Gateway, Sim, building_ids, random_secret};
use crate::wrk::{self, WrkResult};

/// Per-token quota in part 1: high enough never to trigger, so the limiter runs but never
/// refuses (the non-2xx column proves it).
const QUOTA_PER_MINUTE: u32 = 100_000_000;
const QUOTA_BURST: u32 = 1_000_000;

/// What Rappu is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    /// nginx serving the same bytes as a static file.
    Nginx,
    /// `--baseline`: an older build of the gateway, serving the same building.
    Before,
}

impl RefKind {
    fn name(self) -> &'static str {
        match self {
            RefKind::Nginx => "nginx",
            RefKind::Before => "before",
        }
    }
}

/// One server setup measured by wrk: the reference or Rappu, on the 200 or the 304 path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Ref200,
    Rappu200,
    Ref304,
    Rappu304,
}

impl Setup {
    const ALL: [Setup; 4] = [
        Setup::Ref200,
        Setup::Rappu200,
        Setup::Ref304,
        Setup::Rappu304,
    ];

    fn label(self, reference: RefKind) -> &'static str {
        match (self, reference) {
            (Setup::Ref200, RefKind::Nginx) => "nginx 200",
            (Setup::Ref304, RefKind::Nginx) => "nginx 304",
            (Setup::Ref200, RefKind::Before) => "before 200",
            (Setup::Ref304, RefKind::Before) => "before 304",
            (Setup::Rappu200, _) => "rappu 200",
            (Setup::Rappu304, _) => "rappu 304",
        }
    }

    fn path(self) -> &'static str {
        if self.is_304() { "304" } else { "200 (feed)" }
    }

    fn is_304(self) -> bool {
        matches!(self, Setup::Ref304 | Setup::Rappu304)
    }

    fn is_reference(self) -> bool {
        matches!(self, Setup::Ref200 | Setup::Ref304)
    }
}

/// The comparisons: the reference and Rappu on the same path.
const PAIRS: [(Setup, Setup); 2] = [
    (Setup::Ref200, Setup::Rappu200),
    (Setup::Ref304, Setup::Rappu304),
];

/// A measured run and the CPU spent around it.
#[derive(Debug, Clone)]
struct Measured {
    setup: Setup,
    connections: u32,
    /// Which round of its comparison (from 1).
    round: usize,
    wrk: WrkResult,
    server_us: f64,
    wrk_us: f64,
    other_share: f64,
}

/// The reference server, running.
enum Reference {
    Nginx(Nginx),
    /// The older gateway, with tokens minted with its own key.
    Before(Box<Gateway>),
}

/// Everything a run needs to know about the two servers.
struct Targets<'a> {
    gateway: &'a Gateway,
    reference: &'a Reference,
    reference_pids: Vec<u32>,
    scripts: [PathBuf; 4],
}

impl Targets<'_> {
    fn url(&self, setup: Setup) -> String {
        match (setup.is_reference(), self.reference) {
            (false, _) => self.gateway.feed_url(),
            (true, Reference::Nginx(nginx)) => nginx.url.clone(),
            (true, Reference::Before(before)) => before.feed_url(),
        }
    }

    fn pids(&self, setup: Setup) -> Vec<u32> {
        if setup.is_reference() {
            self.reference_pids.clone()
        } else {
            vec![self.gateway.proc.pid()]
        }
    }

    fn script(&self, setup: Setup) -> &Path {
        let i = Setup::ALL.iter().position(|s| *s == setup).unwrap_or(0);
        &self.scripts[i]
    }
}

/// The gateway's settings in part 1 (the baseline gets the same).
fn gateway_settings() -> [(&'static str, String); 3] {
    [
        (
            "RAPPU_RATE_LIMIT__DISPLAY_PER_MINUTE",
            QUOTA_PER_MINUTE.to_string(),
        ),
        ("RAPPU_RATE_LIMIT__DISPLAY_BURST", QUOTA_BURST.to_string()),
        // Webhook mode (the recommended set-up): data stays fresh for
        // feeds.refresh_with_webhooks_secs, so nothing is refetched during the runs.
        ("RAPPU_WEBHOOKS__SECRET", random_secret()),
    ]
}

/// `n` display tokens for `building`, minted with `gateway`'s key.
fn tokens_for(gateway: &Gateway, building: i64, n: usize) -> anyhow::Result<Vec<String>> {
    (0..n)
        .map(|i| gateway.display_token(building, &format!("bench-display-{i}")))
        .collect()
}

/// Runs part 1.
pub async fn run(
    env: &Env,
    plan: &Plan,
    tools: &Tools,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let Some(wrk_bin) = &tools.wrk else {
        bail!("wrk is needed");
    };
    let kind = if env.baseline.is_some() {
        RefKind::Before
    } else {
        RefKind::Nginx
    };
    match kind {
        RefKind::Nginx => println!("\n== Part 1: the cached feed under load, next to nginx =="),
        RefKind::Before => println!(
            "\n== Part 1: the cached feed under load, before (--baseline) and after a change =="
        ),
    }
    let sim = Sim::start(env, 3).await?;
    let all_buildings = building_ids(&sim.summary(env).await?);
    let building = *all_buildings
        .first()
        .context("the simulator has no building")?;
    let mut gateway = Gateway::start(env, &sim, &gateway_settings()).await?;
    let tokens = tokens_for(&gateway, building, plan.part1_tokens)?;
    let (body, etag) = fetch_feed(env, &gateway, &tokens[0]).await?;
    // The reference, its request stream (same shape as Rappu's) and its ETag.
    let (mut reference, reference_tokens, reference_etag) = match (&env.baseline, &tools.nginx) {
        (Some(binary), _) => {
            let before = Gateway::start_binary(env, binary, &sim, &gateway_settings()).await?;
            let before_tokens = tokens_for(&before, building, plan.part1_tokens)?;
            let (before_body, before_etag) = fetch_feed(env, &before, &before_tokens[0]).await?;
            println!(
                "  baseline gateway: feed of {} bytes, ETag {before_etag}",
                thousands(before_body.len() as u64)
            );
            check_304(
                env,
                &before.feed_url(),
                Some(&before_tokens[0]),
                &before_etag,
                "the baseline gateway",
            )
            .await?;
            (
                Reference::Before(Box::new(before)),
                before_tokens,
                before_etag,
            )
        }
        (None, Some(nginx_bin)) => {
            let nginx = nginx::start(env, nginx_bin, &body).await?;
            check_304(env, &nginx.url, None, &nginx.etag, "nginx").await?;
            let nginx_etag = nginx.etag.clone();
            // nginx gets the same request stream (it ignores the token), so the load
            // generator does the same work for both and only the server differs.
            (Reference::Nginx(nginx), tokens.clone(), nginx_etag)
        }
        (None, None) => bail!("nginx is needed"),
    };
    if let (Some(_), Reference::Before(on_sqlite)) = (&env.database, &reference) {
        cold_misses(env, &gateway, on_sqlite, &all_buildings[1..], summary).await?;
    }
    let reference_pids: Vec<u32> = match &reference {
        Reference::Nginx(nginx) => std::iter::once(nginx.proc.pid())
            .chain(machine::children_of(nginx.proc.pid()))
            .collect(),
        Reference::Before(before) => vec![before.proc.pid()],
    };
    check_304(
        env,
        &gateway.feed_url(),
        Some(&tokens[0]),
        &etag,
        "the gateway",
    )
    .await?;

    let dir = env.scratch("wrk")?;
    let mut scripts: [PathBuf; 4] = Default::default();
    for (i, setup) in Setup::ALL.iter().enumerate() {
        let lua = match setup {
            Setup::Ref200 => wrk::token_script(&reference_tokens, None)?,
            Setup::Ref304 => wrk::token_script(&reference_tokens, Some(&reference_etag))?,
            Setup::Rappu200 => wrk::token_script(&tokens, None)?,
            Setup::Rappu304 => wrk::token_script(&tokens, Some(&etag))?,
        };
        scripts[i] = dir.join(format!("{}.lua", setup.label(kind).replace(' ', "-")));
        std::fs::write(&scripts[i], lua)?;
    }
    let targets = Targets {
        gateway: &gateway,
        reference: &reference,
        reference_pids,
        scripts,
    };

    match &reference {
        Reference::Nginx(nginx) => println!(
            "  building {building}: feed of {} bytes, ETag {etag}; nginx serves the same bytes (checked), ETag {}",
            thousands(body.len() as u64),
            nginx.etag
        ),
        Reference::Before(_) => println!(
            "  building {building}: feed of {} bytes, ETag {etag}; the baseline serves the same building",
            thousands(body.len() as u64),
        ),
    }
    println!("  gateway: rappu serve, simulator with 3 properties as Tampuuri; settings:");
    gateway.print_settings("    ");
    println!(
        "  rate limiting ON: per display token {} requests/min, burst {} — set high enough never to trigger",
        thousands(u64::from(QUOTA_PER_MINUTE)),
        thousands(u64::from(QUOTA_BURST))
    );
    println!(
        "  {} distinct display tokens (EdDSA, the default algorithm), all bound to building {building}, rotated per request",
        tokens.len()
    );
    match kind {
        RefKind::Nginx => println!(
            "  nginx: 1 worker, access_log off, sendfile, keepalive_requests 1000000, the file at the same URL path; the same requests (tokens included, ignored)"
        ),
        RefKind::Before if env.database.is_some() => println!(
            "  \"before\" is the same build on SQLite, \"rappu\" runs on PostgreSQL: same settings, same simulator, as many tokens of its own key; both run throughout, each measured in turn (a cached poll touches no database: same figures within noise)"
        ),
        RefKind::Before => println!(
            "  baseline: the other build with the same settings against the same simulator, as many tokens of its own key; both gateways run throughout, each measured in turn"
        ),
    }
    println!(
        "  wrk -t1 -c<N> -d{}s --latency, after a {} s warm-up; CPU from /proc/<pid>/stat (utime+stime, all threads)",
        plan.measure.as_secs(),
        plan.warmup.as_secs()
    );
    println!(
        "  before each run: wait up to {} s ({} s in all) until other processes use < {:.0} % of the machine",
        plan.quiet_wait_run.as_secs(),
        plan.quiet_wait_total.as_secs(),
        QUIET_SHARE * 100.0
    );
    println!(
        "  columns: server µs/req = server CPU ÷ requests; wrk µs/req = the load generator's; other = CPU share (of the whole machine) used by anything else during the run\n"
    );
    println!(
        "  {:<10} {:>5} {:>5} {:>10} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8} {:>7} {:>11} {:>9} {:>6}",
        "setup",
        "conns",
        "round",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "server µs",
        "wrk µs",
        "B/resp",
        "non-2xx/3xx",
        "sock err",
        "other"
    );
    let clk = machine::clock_ticks();
    let mut results = Vec::new();
    let mut quiet_budget = plan.quiet_wait_total;
    for &c in &plan.connections {
        for (reference_setup, rappu_setup) in PAIRS {
            for round in 1..=plan.rounds {
                // Alternate who goes first, so a drift in the machine's speed over the
                // minutes of a comparison favours neither.
                let order = if round % 2 == 1 {
                    [reference_setup, rappu_setup]
                } else {
                    [rappu_setup, reference_setup]
                };
                for setup in order {
                    let waited = wait_for_quiet(plan.quiet_wait_run, &mut quiet_budget).await?;
                    let m = measure(plan, wrk_bin, &targets, setup, c, round, clk).await?;
                    print_row(&m, kind);
                    if let Some(note) = waited {
                        println!("  {:<10} ({note})", "");
                    }
                    results.push(m);
                }
            }
        }
    }
    if plan.gaps {
        let c = plan.connections.iter().copied().max().unwrap_or(512);
        gaps::print_header(c, plan.warmup, plan.measure);
        for setup in Setup::ALL {
            let (stream, if_none_match) = if setup.is_reference() {
                (&reference_tokens, Some(reference_etag.as_str()))
            } else {
                (&tokens, Some(etag.as_str()))
            };
            let url = targets.url(setup);
            let requests = gaps::requests(&url, stream, if_none_match.filter(|_| setup.is_304()))?;
            wait_for_quiet(plan.quiet_wait_run, &mut quiet_budget).await?;
            let measured = gaps::measure(&url, requests, c, plan.warmup, plan.measure)
                .await
                .with_context(|| format!("--gaps, {}", setup.label(kind)))?;
            gaps::print_row(setup.label(kind), &gaps::summarize(&measured));
        }
    }
    // The bytes must not have changed under the load.
    let (after, etag_after) = fetch_feed(env, &gateway, &tokens[0]).await?;
    let what = match kind {
        RefKind::Nginx => "part 1: the gateway's feed stayed byte-identical to nginx's file",
        RefKind::Before => "part 1: the gateway's feed stayed byte-identical under the load",
    };
    summary.check(
        after == body && etag_after == etag,
        what,
        format!("{} bytes, ETag {etag_after}", after.len()),
    );
    drop(targets);
    let mut alive = gateway.proc.ensure_running();
    if let Reference::Before(before) = &mut reference {
        alive = alive.and_then(|()| before.proc.ensure_running());
    }
    summary.check(
        alive.is_ok(),
        "part 1: the gateway survived the load",
        alive.err().map(|e| format!("{e:#}")).unwrap_or_default(),
    );
    let (rss, hwm) = machine::rss_kib(gateway.proc.pid()).unwrap_or((0, 0));
    println!(
        "\n  gateway memory after part 1: VmRSS {:.1} MB, peak {:.1} MB",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    let noisy: Vec<String> = results
        .iter()
        .filter(|m| m.other_share > 0.10)
        .map(|m| format!("{} c={}", m.setup.label(kind), m.connections))
        .collect();
    if !noisy.is_empty() {
        println!(
            "  WARNING: other processes used over 10 % of the machine during {} run(s) ({}): those figures are low and the ratios less reliable; rerun on an idle machine",
            noisy.len(),
            noisy.join(", ")
        );
        summary.figure(format!(
            "part 1 was disturbed by other processes in {} of {} runs (column `other`)",
            noisy.len(),
            results.len()
        ));
    }
    judge::judge(&results, body.len(), kind, summary);
    Ok(())
}

/// GETs the feed once: its bytes and ETag.
async fn fetch_feed(
    env: &Env,
    gateway: &Gateway,
    token: &str,
) -> anyhow::Result<(Vec<u8>, String)> {
    let response = env
        .http
        .get(gateway.feed_url())
        .bearer_auth(token)
        .send()
        .await?;
    let status = response.status();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await?.to_vec();
    if status != 200 {
        bail!(
            "the feed answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok((body, etag.context("the feed has no ETag")?))
}

/// One request with `If-None-Match` must answer 304.
async fn check_304(
    env: &Env,
    url: &str,
    token: Option<&str>,
    etag: &str,
    who: &str,
) -> anyhow::Result<()> {
    let mut request = env.http.get(url).header("If-None-Match", etag);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let status = request.send().await?.status();
    if status != 304 {
        bail!("{who} answered {status} to If-None-Match: {etag} (expected 304)");
    }
    Ok(())
}

/// "Quiet": at most this share of the machine busy over one second (our servers are idle
/// between runs, so what is busy is someone else).
const QUIET_SHARE: f64 = 0.05;

/// On a shared machine, waits (boundedly) until nothing else uses the CPU; says how long it
/// waited, or that it gave up.
async fn wait_for_quiet(
    per_run: Duration,
    budget: &mut Duration,
) -> anyhow::Result<Option<String>> {
    let started = Instant::now();
    let limit = per_run.min(*budget);
    let mut busy;
    loop {
        let a = SystemCpu::read()?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        busy = SystemCpu::read()?.busy_share_since(&a);
        if busy <= QUIET_SHARE || started.elapsed() >= limit {
            break;
        }
    }
    let waited = started.elapsed().saturating_sub(Duration::from_secs(1));
    *budget = budget.saturating_sub(waited);
    Ok(if busy > QUIET_SHARE {
        Some(format!(
            "other processes kept {:.0} % of the machine busy; ran after waiting {} s",
            busy * 100.0,
            waited.as_secs()
        ))
    } else if waited >= Duration::from_secs(1) {
        Some(format!(
            "waited {} s for other processes to go quiet",
            waited.as_secs()
        ))
    } else {
        None
    })
}

/// Warm-up, then a measured run with CPU readings around it.
async fn measure(
    plan: &Plan,
    wrk_bin: &Path,
    t: &Targets<'_>,
    setup: Setup,
    c: u32,
    round: usize,
    clk: f64,
) -> anyhow::Result<Measured> {
    let url = t.url(setup);
    wrk::run(wrk_bin, &url, t.script(setup), c, plan.warmup).await?;
    let pids = t.pids(setup);
    let server =
        |pids: &[u32]| -> anyhow::Result<u64> { pids.iter().map(|p| machine::cpu_ticks(*p)).sum() };
    let (s0, w0, o0, sys0) = (
        server(&pids)?,
        machine::reaped_children_ticks()?,
        machine::own_ticks()?,
        SystemCpu::read()?,
    );
    let result = wrk::run(wrk_bin, &url, t.script(setup), c, plan.measure).await?;
    let (s1, w1, o1, sys1) = (
        server(&pids)?,
        machine::reaped_children_ticks()?,
        machine::own_ticks()?,
        SystemCpu::read()?,
    );
    let per_request = |ticks: u64| {
        if result.requests == 0 {
            0.0
        } else {
            ticks as f64 * 1e6 / clk / result.requests as f64
        }
    };
    let (server_ticks, wrk_ticks) = (s1.saturating_sub(s0), w1.saturating_sub(w0));
    let other = sys1
        .busy_since(&sys0)
        .saturating_sub(server_ticks + wrk_ticks + o1.saturating_sub(o0));
    let total = sys1.total_since(&sys0);
    Ok(Measured {
        setup,
        connections: c,
        round,
        server_us: per_request(server_ticks),
        wrk_us: per_request(wrk_ticks),
        other_share: if total == 0 {
            0.0
        } else {
            other as f64 / total as f64
        },
        wrk: result,
    })
}

fn print_row(m: &Measured, kind: RefKind) {
    println!(
        "  {:<10} {:>5} {:>5} {:>10} {:>8} {:>8} {:>8} {:>8} {:>10.1} {:>8.1} {:>7} {:>11} {:>9} {:>5.0}%",
        m.setup.label(kind),
        m.connections,
        m.round,
        thousands_f(m.wrk.rps()),
        ms(m.wrk.p50_us),
        ms(m.wrk.p99_us),
        ms(m.wrk.p999_us),
        ms(m.wrk.max_us),
        m.server_us,
        m.wrk_us,
        thousands_f(m.wrk.bytes_per_response()),
        thousands(m.wrk.status),
        thousands(m.wrk.socket_errors()),
        m.other_share * 100.0
    );
}

/// `--postgres`: the first feed of each building in `buildings` (a cold miss: built from the
/// account mirror, the caches empty for it) from the gateway on PostgreSQL and from the one
/// on SQLite, in turn (the order swapped every building), one request at a time; prints the
/// latencies on each engine and the ratio of their medians.
async fn cold_misses(
    env: &Env,
    on_postgres: &Gateway,
    on_sqlite: &Gateway,
    buildings: &[i64],
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let mut times: [Vec<f64>; 2] = Default::default();
    let gateways = [on_postgres, on_sqlite];
    let mut failures = Vec::new();
    for (i, building) in buildings.iter().enumerate() {
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for g in order {
            let token = gateways[g].display_token(*building, "bench-cold-miss")?;
            let started = Instant::now();
            let response = env
                .http
                .get(gateways[g].feed_url())
                .bearer_auth(&token)
                .send()
                .await?;
            let status = response.status();
            let _ = response.bytes().await?;
            times[g].push(started.elapsed().as_secs_f64() * 1e6);
            if status != 200 {
                failures.push(format!("building {building}: {status}"));
            }
        }
    }
    let describe = |t: &mut Vec<f64>| -> (f64, String) {
        t.sort_by(f64::total_cmp);
        let median = t.get(t.len() / 2).copied().unwrap_or(0.0);
        let text = format!(
            "median {} ms, min {} ms, max {} ms",
            ms(median),
            ms(t.first().copied().unwrap_or(0.0)),
            ms(t.last().copied().unwrap_or(0.0))
        );
        (median, text)
    };
    let (pg_median, pg_text) = describe(&mut times[0]);
    let (lite_median, lite_text) = describe(&mut times[1]);
    println!(
        "  cold misses ({} buildings' first feed, one at a time, the engines in turn):",
        buildings.len()
    );
    println!("    PostgreSQL: {pg_text}");
    println!("    SQLite:     {lite_text}");
    let ratio = if lite_median > 0.0 {
        pg_median / lite_median
    } else {
        0.0
    };
    println!(
        "    PostgreSQL ÷ SQLite (medians): {ratio:.2}×, {:+.2} ms",
        (pg_median - lite_median) / 1000.0
    );
    summary.figure(format!(
        "part 1: a cold miss (a building's first feed) on PostgreSQL {} ms, on SQLite {} ms (medians of {}; {ratio:.2}×)",
        ms(pg_median),
        ms(lite_median),
        buildings.len()
    ));
    summary.check(
        failures.is_empty(),
        "part 1: every cold miss answered 200 on both engines",
        failures.join(", "),
    );
    Ok(())
}
