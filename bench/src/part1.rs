//! Part 1: the cached feed under load, next to nginx serving the same bytes as a static
//! file on the same machine. 1,000 display tokens (EdDSA) for one building, rate limiting
//! on; wrk -t1 at 64 and 512 connections, 2 s warm-up then 6 s measured (BASELINES ran
//! 10 s; shorter runs leave time for more rounds); the same requests to both servers; the
//! 200 path and the 304 path (`If-None-Match`); server CPU per request from
//! `/proc/<pid>/stat` (all threads; nginx: master and worker). Each comparison runs in
//! rounds (5 by default), nginx and Rappu in turn with the order swapped every round; the
//! targets are judged on the median of the per-round ratios, with the range shown.

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

/// One server setup measured by wrk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Nginx200,
    Rappu200,
    Nginx304,
    Rappu304,
}

impl Setup {
    const ALL: [Setup; 4] = [
        Setup::Nginx200,
        Setup::Rappu200,
        Setup::Nginx304,
        Setup::Rappu304,
    ];

    fn label(self) -> &'static str {
        match self {
            Setup::Nginx200 => "nginx 200",
            Setup::Rappu200 => "rappu 200",
            Setup::Nginx304 => "nginx 304",
            Setup::Rappu304 => "rappu 304",
        }
    }

    fn path(self) -> &'static str {
        if self.is_304() { "304" } else { "200 (feed)" }
    }

    fn is_304(self) -> bool {
        matches!(self, Setup::Nginx304 | Setup::Rappu304)
    }
}

/// The comparisons: nginx and Rappu on the same path.
const PAIRS: [(Setup, Setup); 2] = [
    (Setup::Nginx200, Setup::Rappu200),
    (Setup::Nginx304, Setup::Rappu304),
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

/// Everything a run needs to know about the two servers.
struct Targets<'a> {
    gateway: &'a Gateway,
    nginx: &'a Nginx,
    nginx_pids: Vec<u32>,
    scripts: [PathBuf; 4],
}

impl Targets<'_> {
    fn url(&self, setup: Setup) -> String {
        match setup {
            Setup::Nginx200 | Setup::Nginx304 => self.nginx.url.clone(),
            Setup::Rappu200 | Setup::Rappu304 => self.gateway.feed_url(),
        }
    }

    fn pids(&self, setup: Setup) -> Vec<u32> {
        match setup {
            Setup::Nginx200 | Setup::Nginx304 => self.nginx_pids.clone(),
            Setup::Rappu200 | Setup::Rappu304 => vec![self.gateway.proc.pid()],
        }
    }

    fn script(&self, setup: Setup) -> &Path {
        let i = Setup::ALL.iter().position(|s| *s == setup).unwrap_or(0);
        &self.scripts[i]
    }
}

/// Runs part 1.
pub async fn run(
    env: &Env,
    plan: &Plan,
    tools: &Tools,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    println!("\n== Part 1: the cached feed under load, next to nginx ==");
    let (Some(wrk_bin), Some(nginx_bin)) = (&tools.wrk, &tools.nginx) else {
        bail!("wrk and nginx are needed");
    };
    let sim = Sim::start(env, 3).await?;
    let building = *building_ids(&sim.summary(env).await?)
        .first()
        .context("the simulator has no building")?;
    let mut gateway = Gateway::start(
        env,
        &sim,
        &[
            (
                "RAPPU_RATE_LIMIT__DISPLAY_PER_MINUTE",
                QUOTA_PER_MINUTE.to_string(),
            ),
            ("RAPPU_RATE_LIMIT__DISPLAY_BURST", QUOTA_BURST.to_string()),
            // Webhook mode (the recommended set-up): data stays fresh for
            // feeds.refresh_with_webhooks_secs, so nothing is refetched during the runs.
            ("RAPPU_WEBHOOKS__SECRET", random_secret()),
        ],
    )
    .await?;
    let tokens = (0..plan.part1_tokens)
        .map(|i| gateway.display_token(building, &format!("bench-display-{i}")))
        .collect::<anyhow::Result<Vec<String>>>()?;
    let (body, etag) = fetch_feed(env, &gateway, &tokens[0]).await?;
    let nginx = nginx::start(env, nginx_bin, &body).await?;
    let nginx_pids: Vec<u32> = std::iter::once(nginx.proc.pid())
        .chain(machine::children_of(nginx.proc.pid()))
        .collect();
    check_304(env, &nginx.url, None, &nginx.etag, "nginx").await?;
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
            // nginx gets the same request stream (it ignores the token), so the load
            // generator does the same work for both and only the server differs.
            Setup::Nginx200 => wrk::token_script(&tokens, None)?,
            Setup::Nginx304 => wrk::token_script(&tokens, Some(&nginx.etag))?,
            Setup::Rappu200 => wrk::token_script(&tokens, None)?,
            Setup::Rappu304 => wrk::token_script(&tokens, Some(&etag))?,
        };
        scripts[i] = dir.join(format!("{}.lua", setup.label().replace(' ', "-")));
        std::fs::write(&scripts[i], lua)?;
    }
    let targets = Targets {
        gateway: &gateway,
        nginx: &nginx,
        nginx_pids,
        scripts,
    };

    println!(
        "  building {building}: feed of {} bytes, ETag {etag}; nginx serves the same bytes (checked), ETag {}",
        thousands(body.len() as u64),
        nginx.etag
    );
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
    println!(
        "  nginx: 1 worker, access_log off, sendfile, keepalive_requests 1000000, the file at the same URL path; the same requests (tokens included, ignored)"
    );
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
        "  {:<10} {:>5} {:>5} {:>10} {:>8} {:>8} {:>10} {:>8} {:>7} {:>11} {:>9} {:>6}",
        "setup",
        "conns",
        "round",
        "req/s",
        "p50 ms",
        "p99 ms",
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
        for (nginx_setup, rappu_setup) in PAIRS {
            for round in 1..=plan.rounds {
                // Alternate who goes first, so a drift in the machine's speed over the
                // minutes of a comparison favours neither.
                let order = if round % 2 == 1 {
                    [nginx_setup, rappu_setup]
                } else {
                    [rappu_setup, nginx_setup]
                };
                for setup in order {
                    let waited = wait_for_quiet(plan.quiet_wait_run, &mut quiet_budget).await?;
                    let m = measure(plan, wrk_bin, &targets, setup, c, round, clk).await?;
                    print_row(&m);
                    if let Some(note) = waited {
                        println!("  {:<10} ({note})", "");
                    }
                    results.push(m);
                }
            }
        }
    }
    // The bytes must not have changed under the load.
    let (after, etag_after) = fetch_feed(env, &gateway, &tokens[0]).await?;
    summary.check(
        after == body && etag_after == etag,
        "part 1: the gateway's feed stayed byte-identical to nginx's file",
        format!("{} bytes, ETag {etag_after}", after.len()),
    );
    drop(targets);
    let alive = gateway.proc.ensure_running();
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
        .map(|m| format!("{} c={}", m.setup.label(), m.connections))
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
    judge(&results, body.len(), summary);
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

fn print_row(m: &Measured) {
    println!(
        "  {:<10} {:>5} {:>5} {:>10} {:>8} {:>8} {:>10.1} {:>8.1} {:>7} {:>11} {:>9} {:>5.0}%",
        m.setup.label(),
        m.connections,
        m.round,
        thousands_f(m.wrk.rps()),
        ms(m.wrk.p50_us),
        ms(m.wrk.p99_us),
        m.server_us,
        m.wrk_us,
        thousands_f(m.wrk.bytes_per_response()),
        thousands(m.wrk.status),
        thousands(m.wrk.socket_errors()),
        m.other_share * 100.0
    );
}

/// Ratios against nginx, the targets, and the checks on every run.
fn judge(results: &[Measured], body_len: usize, summary: &mut Summary) {
    for m in results {
        let what = format!("part 1: {} at c={}", m.setup.label(), m.connections);
        summary.check(
            m.wrk.status == 0,
            format!("{what}: no non-2xx/3xx answers (no 429, no 5xx)"),
            format!("{} such answers", m.wrk.status),
        );
        summary.check(
            m.wrk.socket_errors() == 0,
            format!("{what}: no socket errors or timeouts"),
            format!(
                "connect {}, read {}, write {}, timeout {}",
                m.wrk.connect, m.wrk.read, m.wrk.write, m.wrk.timeout
            ),
        );
        let size = m.wrk.bytes_per_response();
        let ok = if m.setup.is_304() {
            size < 1_000.0
        } else {
            size > body_len as f64
        };
        summary.check(
            ok,
            format!("{what}: response size fits the path"),
            format!("{size:.0} bytes per response (body {body_len})"),
        );
    }
    println!(
        "\n  Rappu ÷ nginx, same path and connections, paired within each round; the median over {} round(s) is judged (target: req/s ≥ 1.0×, p99 ≤ 1.5×), lowest–highest round in brackets",
        results.iter().map(|m| m.round).max().unwrap_or(1)
    );
    println!(
        "  {:<14} {:>5} {:>24} {:>24} {:>24}",
        "path", "conns", "req/s ratio", "p99 ratio", "server µs/req ratio"
    );
    for (nginx, rappu) in PAIRS {
        let path = rappu.path();
        let mut connections: Vec<u32> = results.iter().map(|m| m.connections).collect();
        connections.dedup();
        for c in connections {
            let pairs: Vec<(&Measured, &Measured)> = results
                .iter()
                .filter(|r| r.setup == rappu && r.connections == c)
                .filter_map(|r| {
                    results
                        .iter()
                        .find(|n| n.setup == nginx && n.connections == c && n.round == r.round)
                        .map(|n| (r, n))
                })
                .collect();
            if pairs.is_empty() {
                continue;
            }
            let ratios = |f: &dyn Fn(&Measured) -> f64| -> Spread {
                Spread::of(pairs.iter().map(|(r, n)| f(r) / f(n).max(1e-9)).collect())
            };
            let rps = ratios(&|m| m.wrk.rps());
            let p99 = ratios(&|m| m.wrk.p99_us);
            let cpu = ratios(&|m| m.server_us);
            let disturbed = pairs
                .iter()
                .map(|(r, n)| r.other_share.max(n.other_share))
                .fold(0.0, f64::max);
            let disturbed = if disturbed > 0.10 {
                format!(
                    " — DISTURBED: other processes used up to {:.0} % of the machine during these runs",
                    disturbed * 100.0
                )
            } else {
                String::new()
            };
            println!(
                "  {path:<14} {c:>5} {:>24} {:>24} {:>24}",
                rps.show(),
                p99.show(),
                cpu.show()
            );
            let median = |f: &dyn Fn(&Measured) -> f64, who: Setup| {
                let mut v: Vec<f64> = results
                    .iter()
                    .filter(|m| m.setup == who && m.connections == c)
                    .map(f)
                    .collect();
                median_of(&mut v)
            };
            let (r_rps, n_rps) = (
                median(&|m| m.wrk.rps(), rappu),
                median(&|m| m.wrk.rps(), nginx),
            );
            let (r_p99, n_p99) = (
                median(&|m| m.wrk.p99_us, rappu),
                median(&|m| m.wrk.p99_us, nginx),
            );
            summary.target(
                rps.median >= 1.0,
                format!("{path} at {c} connections: req/s ≥ 1.0× nginx"),
                format!(
                    "{} (median {} vs {} req/s){disturbed}",
                    rps.show(),
                    thousands_f(r_rps),
                    thousands_f(n_rps)
                ),
            );
            summary.target(
                p99.median <= 1.5,
                format!("{path} at {c} connections: p99 ≤ 1.5× nginx"),
                format!(
                    "{} (median {} vs {} ms){disturbed}",
                    p99.show(),
                    ms(r_p99),
                    ms(n_p99)
                ),
            );
            if !rappu.is_304() {
                let (r_us, n_us) = (
                    median(&|m| m.server_us, rappu),
                    median(&|m| m.server_us, nginx),
                );
                summary.figure(format!(
                    "cached feed, c={c}: Rappu {} req/s, p99 {} ms, {r_us:.1} µs CPU/req; nginx {} req/s, p99 {} ms, {n_us:.1} µs/req (medians of {} rounds)",
                    thousands_f(r_rps),
                    ms(r_p99),
                    thousands_f(n_rps),
                    ms(n_p99),
                    pairs.len()
                ));
            }
        }
    }
}

/// The median of `values` (sorted in place); 0 when empty.
fn median_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Per-round ratios: their median and range.
struct Spread {
    median: f64,
    low: f64,
    high: f64,
    rounds: usize,
}

impl Spread {
    fn of(mut ratios: Vec<f64>) -> Self {
        let median = median_of(&mut ratios);
        Self {
            median,
            low: ratios.first().copied().unwrap_or(0.0),
            high: ratios.last().copied().unwrap_or(0.0),
            rounds: ratios.len(),
        }
    }

    fn show(&self) -> String {
        if self.rounds > 1 {
            format!("{:.2}× [{:.2}–{:.2}]", self.median, self.low, self.high)
        } else {
            format!("{:.2}×", self.median)
        }
    }
}
