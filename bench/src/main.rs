//! `rappu-bench`: Rappu's benchmark, run by `scripts/bench`.
//!
//! It starts the Tampuuri simulator (`rappu sim`) and the gateway (`rappu serve`, pointed at
//! the simulator as if it were the real Tampuuri) as separate release-mode processes, so the
//! gateway's CPU time and memory are its own, and prints in one run:
//!
//! 1. cached-feed requests/s, p50/p99 latency and server CPU per request at 64 and 512
//!    connections next to nginx serving the same bytes as a static file ([`part1`]);
//! 2. the Tampuuri calls of issue 14's reference fleet (500 buildings, 1,000 displays, 5,000
//!    portal users, two partners, a month's changes) in compressed time, extrapolated to a
//!    month next to `rappu plan`'s estimate; a restart, a lost webhook, a day of outage and
//!    the polling mode ([`part2`]);
//! 3. the gateway's resident memory with 10,000 buildings' feeds cached ([`part3`]);
//! 4. abuse under load: one client at 50 × its quota while 200 displays poll ([`part4`]).
//!
//! Part 1 with `--gaps` also keeps each connection's latencies at 512 connections (a client
//! of its own, `part1::gaps`): whether the tail is every connection now and then, or some
//! connections left behind.
//!
//! Module map: [`plan`] (run lengths, `--quick`), [`machine`] (facts and `/proc` readings),
//! [`procs`] (child processes killed on every exit path), [`stack`] (simulator + gateway,
//! display tokens), [`nginx`], [`wrk`], [`report`] (tables,
//! the closing summary).

mod machine;
mod nginx;
mod part1;
mod part2;
mod part3;
mod part4;
// The tests' throw-away PostgreSQL cluster (Debian's package, as an unprivileged user):
// `--postgres` runs the gateway under test on it.
#[path = "../../tests/api/pg.rs"]
#[allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod pg;
mod pin;
mod plan;
mod procs;
mod report;
mod stack;
mod wrk;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Parser;

use crate::plan::Plan;
use crate::report::Summary;

/// Rappu's benchmark: cached-feed throughput and latency next to nginx, upstream calls with
/// 1,000 polling displays, and memory with 10,000 cached feeds.
///
/// Exit status: 0 when every check passed (targets met or not: the summary says which),
/// 1 when a check failed (errors, 429/5xx answers, wrong bytes), 2 when the run could not
/// be made (a tool missing, a process that would not start).
#[derive(Debug, Parser)]
#[command(name = "rappu-bench", version)]
struct Args {
    /// Short runs for a smoke check: 1 s warm-up, 3 s runs, 20 s of polling in part 2,
    /// 1,000 buildings in part 3.
    #[arg(long)]
    quick: bool,
    /// Which parts to run, e.g. `1,3`.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,3,4",
        value_name = "LIST"
    )]
    parts: Vec<u8>,
    /// Part 1: rounds per comparison (nginx and Rappu measured in turn, the order swapped
    /// every round; ratios are medians over the rounds). Default 5, 1 with `--quick`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=15))]
    rounds: Option<u32>,
    /// The `rappu` binary. Default: `rappu` next to this program (target/release).
    #[arg(long, value_name = "FILE")]
    rappu_bin: Option<PathBuf>,
    /// Part 1 before/after a change: measure the feed of this other `rappu` build (the
    /// "before") in place of nginx, in the same rounds with the same requests; target: the
    /// `rappu` under test keeps ≥ 0.97× its requests/s and ≤ 1.03× its CPU per request.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Pin the servers (gateway, nginx) to one CPU and wrk, the simulator and the bench to
    /// another (`taskset`), so the server's own fairness is measured without the load
    /// generator taking its CPU. `--pin` alone is `--pin 0,1`.
    #[arg(long, value_name = "SERVER,LOAD", num_args = 0..=1, default_missing_value = "0,1")]
    pin: Option<String>,
    /// The gateway under test runs on a throw-away PostgreSQL cluster (Debian's package,
    /// started as an unprivileged user, removed at the end); part 1 compares it with the same
    /// build on SQLite (the baseline) in the same rounds, and first times cold misses (a
    /// building's first feed) on each engine.
    #[arg(long, conflicts_with = "baseline")]
    postgres: bool,
    /// Part 1: after the wrk runs, a client of the bench's own at the largest connection
    /// count keeps each connection's latencies: how many requests each connection got
    /// answered and its slowest wait, next to the reference (where the tail waits).
    #[arg(long)]
    gaps: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // reqwest is built without a default TLS provider; the bench only speaks plain HTTP on
    // loopback, but building a client needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = run(args) => result,
            signal = interrupted() => Err(anyhow::anyhow!("interrupted by {signal}; stopping the child processes")),
        }
    });
    // Leaving block_on dropped every process guard: children are gone by now.
    match outcome {
        Ok(summary) if summary.failed() => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nerror: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, so the run future is dropped and its guards kill the
/// simulator, the gateway and nginx.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

async fn run(args: Args) -> anyhow::Result<Summary> {
    let mut parts = args.parts.clone();
    parts.sort_unstable();
    parts.dedup();
    if parts.is_empty() || parts.iter().any(|p| !(1..=4).contains(p)) {
        bail!(
            "--parts takes a list of 1, 2, 3 and 4 (got {:?})",
            args.parts
        );
    }
    let mut plan = Plan::new(args.quick, parts);
    if let Some(rounds) = args.rounds {
        plan.rounds = rounds as usize;
    }
    plan.gaps = args.gaps;
    let rappu = match &args.rappu_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .context("cannot find this program's path")?
            .with_file_name("rappu"),
    };
    if !rappu.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release --bin rappu` (scripts/bench does)",
            rappu.display()
        );
    }
    // The children run in their own directories: the paths must not be relative.
    let rappu = rappu
        .canonicalize()
        .with_context(|| format!("resolving {}", rappu.display()))?;
    let baseline = args
        .baseline
        .as_ref()
        .map(|b| {
            b.canonicalize()
                .with_context(|| format!("the baseline {} not found", b.display()))
        })
        .transpose()?;
    // On PostgreSQL: the same build on SQLite is the baseline.
    let (baseline, database) = if args.postgres {
        if !pg::available() {
            bail!("--postgres needs PostgreSQL installed (scripts/setup installs it)");
        }
        (Some(rappu.clone()), Some(pg::database()))
    } else {
        (baseline, None)
    };
    if let Some(pin) = &args.pin {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        pin::enable(pin::Pinning::parse(pin, cpus)?)?;
    }
    let part1 = plan.parts.contains(&1);
    let tools = machine::Tools::find(part1, part1 && baseline.is_none())?;
    machine::print_header(&plan, &rappu, baseline.as_deref(), &tools);
    if database.is_some() {
        println!(
            "  database  the gateway under test on PostgreSQL {} (a throw-away cluster on loopback, TCP, password); the baseline is the same build on SQLite",
            pg::psql("postgres", "SHOW server_version").trim()
        );
    }

    let work = tempfile::Builder::new()
        .prefix("rappu-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let env = stack::Env::new(rappu, baseline, database, work.path().to_owned())?;
    let mut summary = Summary::default();
    for &part in &plan.parts {
        let result = match part {
            1 => part1::run(&env, &plan, &tools, &mut summary).await,
            2 => part2::run(&env, &plan, &mut summary).await,
            3 => part3::run(&env, &plan, &mut summary).await,
            _ => part4::run(&env, &plan, &mut summary).await,
        };
        // A part that cannot finish is a failed check; the other parts still run.
        if let Err(e) = result {
            println!(
                "
PART {part} FAILED: {e:#}"
            );
            summary.check(
                false,
                format!("part {part} ran to the end"),
                format!("{e:#}"),
            );
        }
    }
    summary.print(&plan);
    Ok(summary)
}
