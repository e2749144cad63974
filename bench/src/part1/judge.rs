//! Part 1's verdict: the checks on every run, the per-round ratios against the reference and
//! the targets — against nginx: req/s ≥ 1.0× and p99 ≤ 1.5×; against the baseline (before
//! and after a change): req/s ≥ 0.97× and server CPU per request ≤ 1.03×, a change may
//! cost the feed at most 3 %.

use super::{Measured, PAIRS, RefKind, Setup};
use crate::report::{Summary, ms, thousands_f};

/// Targets against the baseline: at most 3 % lost.
const BEFORE_RPS_MIN: f64 = 0.97;
const BEFORE_CPU_MAX: f64 = 1.03;

/// Ratios against the reference, the targets, and the checks on every run.
pub(super) fn judge(results: &[Measured], body_len: usize, kind: RefKind, summary: &mut Summary) {
    for m in results {
        let what = format!("part 1: {} at c={}", m.setup.label(kind), m.connections);
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
    let name = kind.name();
    let targets = match kind {
        RefKind::Nginx => "req/s ≥ 1.0×, p99 ≤ 1.5×".to_owned(),
        RefKind::Before => {
            format!("req/s ≥ {BEFORE_RPS_MIN:.2}×, server µs/req ≤ {BEFORE_CPU_MAX:.2}×")
        }
    };
    println!(
        "\n  Rappu ÷ {name}, same path and connections, paired within each round; the median over {} round(s) is judged (target: {targets}), lowest–highest round in brackets",
        results.iter().map(|m| m.round).max().unwrap_or(1)
    );
    println!(
        "  {:<14} {:>5} {:>24} {:>24} {:>24}",
        "path", "conns", "req/s ratio", "p99 ratio", "server µs/req ratio"
    );
    for (reference, rappu) in PAIRS {
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
                        .find(|n| n.setup == reference && n.connections == c && n.round == r.round)
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
                median(&|m| m.wrk.rps(), reference),
            );
            let (r_p99, n_p99) = (
                median(&|m| m.wrk.p99_us, rappu),
                median(&|m| m.wrk.p99_us, reference),
            );
            let (r_us, n_us) = (
                median(&|m| m.server_us, rappu),
                median(&|m| m.server_us, reference),
            );
            let (rps_min, p99_max) = match kind {
                RefKind::Nginx => (1.0, Some(1.5)),
                RefKind::Before => (BEFORE_RPS_MIN, None),
            };
            summary.target(
                rps.median >= rps_min,
                format!("{path} at {c} connections: req/s ≥ {rps_min:.2}× {name}"),
                format!(
                    "{} (median {} vs {} req/s){disturbed}",
                    rps.show(),
                    thousands_f(r_rps),
                    thousands_f(n_rps)
                ),
            );
            if let Some(p99_max) = p99_max {
                summary.target(
                    p99.median <= p99_max,
                    format!("{path} at {c} connections: p99 ≤ {p99_max:.1}× {name}"),
                    format!(
                        "{} (median {} vs {} ms){disturbed}",
                        p99.show(),
                        ms(r_p99),
                        ms(n_p99)
                    ),
                );
            } else {
                summary.target(
                    cpu.median <= BEFORE_CPU_MAX,
                    format!(
                        "{path} at {c} connections: server CPU/req ≤ {BEFORE_CPU_MAX:.2}× {name}"
                    ),
                    format!(
                        "{} (median {r_us:.1} vs {n_us:.1} µs/req){disturbed}",
                        cpu.show()
                    ),
                );
            }
            if kind == RefKind::Before || !rappu.is_304() {
                summary.figure(format!(
                    "cached feed, {path}, c={c}: Rappu {} req/s, p99 {} ms, {r_us:.1} µs CPU/req; {name} {} req/s, p99 {} ms, {n_us:.1} µs/req (medians of {} rounds)",
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
