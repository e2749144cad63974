//! Part 4: abuse under load. 200 displays over 20 buildings poll their feed once a second
//! (conditional requests, as the display app does) while one client sends 50 × its quota:
//! first a signed-in client (a resident's token, 50 × `rate_limit.token_per_minute`, so
//! every refusal costs a signature check), then an anonymous one (50 × the per-IP quota).
//! Each abuse run is compared with runs of the displays alone before and after it: the
//! abuser must get `429`s, the displays no error and a p99 within 1.5 × the quiet runs'.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rappu_gateway::config::Settings;
use rappu_shared::Grant;
use reqwest::header::{ETAG, IF_NONE_MATCH};

use crate::plan::Plan;
use crate::report::{Summary, ms, percentile, thousands};
use crate::stack::{Env, Gateway, Sim, building_ids, client};

/// Displays polling.
const DISPLAYS: usize = 200;
/// Buildings they show.
const BUILDINGS: usize = 20;
/// How much over its quota the abuser goes.
const ABUSE_FACTOR: u32 = 50;
/// The target: display p99 with the abuser at most this times the quiet one.
const P99_TARGET: f64 = 1.5;

/// Who abuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abuser {
    /// Nobody: the displays alone.
    None,
    /// A client with a valid resident token.
    Token,
    /// A client without a token.
    Anonymous,
}

/// What one run saw.
#[derive(Debug, Default)]
struct Run {
    display_latencies: Vec<Duration>,
    display_errors: u64,
    display_polls: u64,
    abuser_sent: u64,
    abuser_ok: u64,
    abuser_429: u64,
    abuser_other: u64,
}

/// Runs part 4.
pub async fn run(env: &Env, plan: &Plan, summary: &mut Summary) -> anyhow::Result<()> {
    let defaults = Settings::default().rate_limit;
    println!(
        "\n== Part 4: one client at {ABUSE_FACTOR}x its quota while {DISPLAYS} displays poll once a second =="
    );
    let sim = Sim::start(env, 14).await?;
    let ids = building_ids(&sim.summary(env).await?);
    anyhow::ensure!(
        ids.len() >= BUILDINGS,
        "the simulator made {} buildings, {BUILDINGS} needed",
        ids.len()
    );
    let gateway = Gateway::start(env, &sim, &[]).await?;
    println!("  gateway settings: the defaults, rate limits on");
    println!(
        "  quotas: display {}/min (burst {}), token {}/min (burst {}), anonymous per IP {}/min (burst {})",
        defaults.display_per_minute,
        defaults.display_burst,
        defaults.token_per_minute,
        defaults.token_burst,
        defaults.ip_per_minute,
        defaults.ip_burst
    );
    let displays: Vec<(String, i64)> = (0..DISPLAYS)
        .map(|i| {
            let building = ids[i % BUILDINGS];
            Ok((
                gateway.display_token(building, &format!("bench-abuse-{i}"))?,
                building,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let resident = gateway.token(
        Grant::Resident {
            party: 1,
            apartment: 1,
        },
        "bench-abuser",
    )?;
    // Every display has its feed (and ETag) before the runs, as displays that have been on.
    let http = client(Duration::from_secs(10), DISPLAYS)?;
    let mut etags = Vec::with_capacity(DISPLAYS);
    for (token, _) in &displays {
        let response = http
            .get(gateway.feed_url())
            .bearer_auth(token)
            .send()
            .await
            .context("warming a display")?;
        anyhow::ensure!(
            response.status() == 200,
            "warming: the feed answered {}",
            response.status()
        );
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        etags.push(etag);
    }
    let token_rate = f64::from(defaults.token_per_minute * ABUSE_FACTOR) / 60.0;
    let anon_rate = f64::from(defaults.ip_per_minute * ABUSE_FACTOR) / 60.0;
    let length = plan.abuse_run;
    println!(
        "  each run {} s; abusers: a resident token at {token_rate:.0} req/s on GET /api/v1/me, an anonymous client at {anon_rate:.0} req/s on the same",
        length.as_secs()
    );
    println!(
        "  {:<22} {:>8} {:>9} {:>9} {:>9} {:>8} {:>11} {:>8}",
        "run", "polls", "p50 ms", "p99 ms", "max ms", "errors", "abuser 429", "other"
    );

    let schedule = [
        ("displays alone", Abuser::None, 0.0),
        ("+ token abuser", Abuser::Token, token_rate),
        ("displays alone", Abuser::None, 0.0),
        ("+ anonymous abuser", Abuser::Anonymous, anon_rate),
        ("displays alone", Abuser::None, 0.0),
    ];
    let mut results = Vec::new();
    for (name, abuser, rate) in schedule {
        let run = one_run(&gateway, &displays, &etags, &resident, abuser, rate, length).await?;
        print_run(name, &run);
        results.push((abuser, run));
    }

    let p99 = |run: &Run| percentile(&run.display_latencies, 99.0).unwrap_or_default();
    for (i, (abuser, run)) in results.iter().enumerate() {
        if *abuser == Abuser::None {
            continue;
        }
        // The quiet runs on either side; the faster one, to be strict.
        let quiet = p99(&results[i - 1].1).min(p99(&results[i + 1].1));
        let loud = p99(run);
        let ratio = loud.as_secs_f64() / quiet.as_secs_f64().max(1e-9);
        let who = if *abuser == Abuser::Token {
            "a token holder"
        } else {
            "an anonymous client"
        };
        summary.check(
            run.display_errors == 0,
            format!("displays see no errors while {who} abuses"),
            format!(
                "{} errors in {} polls",
                run.display_errors, run.display_polls
            ),
        );
        // Its quota over the run: the burst, then the rate.
        let (per_minute, burst) = if *abuser == Abuser::Token {
            (defaults.token_per_minute, defaults.token_burst)
        } else {
            (defaults.ip_per_minute, defaults.ip_burst)
        };
        let quota = f64::from(burst) + f64::from(per_minute) * length.as_secs_f64() / 60.0;
        summary.check(
            run.abuser_429 > 0
                && run.abuser_other == 0
                && (run.abuser_ok as f64) <= quota * 1.05 + 2.0,
            format!("{who} at {ABUSE_FACTOR}x its quota gets 429s beyond its quota"),
            format!(
                "{} of {} refused with 429, {} answered (quota {:.0}), {} other",
                thousands(run.abuser_429),
                thousands(run.abuser_sent),
                run.abuser_ok,
                quota,
                run.abuser_other
            ),
        );
        summary.target(
            ratio <= P99_TARGET,
            format!("display p99 with {who} abusing <= {P99_TARGET}x quiet"),
            format!(
                "{:.2}x ({} ms vs {} ms)",
                ratio,
                ms(loud.as_secs_f64() * 1e6),
                ms(quiet.as_secs_f64() * 1e6)
            ),
        );
        summary.figure(format!(
            "part 4: display p99 {} ms with {who} at {ABUSE_FACTOR}x quota vs {} ms alone ({ratio:.2}x); abuser {} of {} refused",
            ms(loud.as_secs_f64() * 1e6),
            ms(quiet.as_secs_f64() * 1e6),
            thousands(run.abuser_429),
            thousands(run.abuser_sent)
        ));
    }
    drop(gateway);
    drop(sim);
    Ok(())
}

fn print_run(name: &str, run: &Run) {
    let at = |p| {
        percentile(&run.display_latencies, p)
            .map_or_else(|| "-".to_owned(), |d| ms(d.as_secs_f64() * 1e6))
    };
    let max = run
        .display_latencies
        .iter()
        .max()
        .map_or_else(|| "-".to_owned(), |d| ms(d.as_secs_f64() * 1e6));
    let abuser = if run.abuser_sent == 0 {
        "-".to_owned()
    } else {
        format!(
            "{}/{}",
            thousands(run.abuser_429),
            thousands(run.abuser_sent)
        )
    };
    println!(
        "  {:<22} {:>8} {:>9} {:>9} {:>9} {:>8} {:>11} {:>8}",
        name,
        thousands(run.display_polls),
        at(50.0),
        at(99.0),
        max,
        run.display_errors,
        abuser,
        run.abuser_other
    );
}

/// One run: every display polls once a second, at its own phase, for `length`; the abuser
/// (if any) sends `rate` requests a second, open loop (it does not wait for answers).
async fn one_run(
    gateway: &Gateway,
    displays: &[(String, i64)],
    etags: &[String],
    resident: &str,
    abuser: Abuser,
    rate: f64,
    length: Duration,
) -> anyhow::Result<Run> {
    let http = client(Duration::from_secs(10), displays.len())?;
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + length;
    let feed: Arc<str> = gateway.feed_url().into();
    let mut tasks = Vec::with_capacity(displays.len());
    for (i, ((token, _), etag)) in displays.iter().zip(etags).enumerate() {
        let http = http.clone();
        let feed = Arc::clone(&feed);
        let token = token.clone();
        let etag = etag.clone();
        let phase = Duration::from_secs(1).mul_f64(i as f64 / displays.len() as f64);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut next = start + phase;
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                let sent = Instant::now();
                let ok = match http
                    .get(&*feed)
                    .bearer_auth(&token)
                    .header(IF_NONE_MATCH, &etag)
                    .send()
                    .await
                {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        r.bytes().await.is_ok() && (status == 304 || status == 200)
                    }
                    Err(_) => false,
                };
                latencies.push(sent.elapsed());
                if !ok {
                    errors += 1;
                }
                next += Duration::from_secs(1);
            }
            (latencies, errors)
        }));
    }

    let counts = Arc::new([
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
        AtomicU64::new(0),
    ]);
    let abuse = (abuser != Abuser::None).then(|| {
        let http = client(Duration::from_secs(10), 16).ok();
        let url = format!("{}/api/v1/me", gateway.url);
        let token = (abuser == Abuser::Token).then(|| resident.to_owned());
        let counts = Arc::clone(&counts);
        tokio::spawn(async move {
            let Some(http) = http else { return };
            let every = Duration::from_secs_f64(1.0 / rate);
            let mut next = start;
            let mut inflight = tokio::task::JoinSet::new();
            while next < end {
                tokio::time::sleep_until(next.into()).await;
                let mut request = http.get(&url);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let counts = Arc::clone(&counts);
                counts[0].fetch_add(1, Ordering::Relaxed);
                inflight.spawn(async move {
                    let slot = match request.send().await {
                        Ok(r) if r.status() == 429 => 2,
                        Ok(r) if r.status().is_success() || r.status() == 401 => 1,
                        _ => 3,
                    };
                    counts[slot].fetch_add(1, Ordering::Relaxed);
                });
                next += every;
            }
            while inflight.join_next().await.is_some() {}
        })
    });

    let mut run = Run::default();
    for task in tasks {
        let (latencies, errors) = task.await.context("a display task")?;
        run.display_polls += latencies.len() as u64;
        run.display_errors += errors;
        run.display_latencies.extend(latencies);
    }
    if let Some(abuse) = abuse {
        abuse.await.context("the abuser")?;
    }
    run.abuser_sent = counts[0].load(Ordering::Relaxed);
    run.abuser_ok = counts[1].load(Ordering::Relaxed);
    run.abuser_429 = counts[2].load(Ordering::Relaxed);
    run.abuser_other = counts[3].load(Ordering::Relaxed);
    Ok(run)
}
