//! How long and how big each part runs: the full run or `--quick`.

use std::time::Duration;

/// Every size and duration of one bench run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `--quick`: a smoke check, not figures to quote.
    pub quick: bool,
    /// The parts to run, sorted.
    pub parts: Vec<u8>,
    /// Part 1: wrk's warm-up before each measured run (BASELINES: 2 s).
    pub warmup: Duration,
    /// Part 1: one measured wrk run (BASELINES: 10 s; here 6 s, in more rounds).
    pub measure: Duration,
    /// Part 1: longest wait for other processes to go quiet before one run.
    pub quiet_wait_run: Duration,
    /// Part 1: longest wait for quiet over all runs.
    pub quiet_wait_total: Duration,
    /// Part 1: rounds per comparison. One run of each server is at the mercy of whatever
    /// else the (virtual) machine does in those seconds; rounds in alternating order, and
    /// the median of the per-round ratios, are not.
    pub rounds: usize,
    /// Part 1: connection counts.
    pub connections: Vec<u32>,
    /// Part 1: distinct display tokens, all for one building.
    pub part1_tokens: usize,
    /// Part 2: simulated displays.
    pub displays: usize,
    /// Part 2: buildings the displays are spread over.
    pub buildings: usize,
    /// Part 2: how often each display polls.
    pub poll_every: Duration,
    /// Part 2: how long the displays poll while upstream calls are counted.
    pub window: Duration,
    /// Part 2: the displays keep polling this long after the window (no more changes, calls
    /// no longer counted) so the last changes can still be seen.
    pub grace: Duration,
    /// Part 2, polling fallback: `feeds.refresh_secs` for the run. The gateway's default
    /// (300 s when written) does not refresh inside a 60 s window at all, so the run uses a
    /// shorter one and the cost is also scaled to the default (calls ∝ 1 / refresh).
    pub polling_refresh: Duration,
    /// Part 2, polling fallback: the displays poll this long before the counted window (half
    /// the refresh), so cached data turns stale in the window's middle, not at its edge.
    pub polling_lead_in: Duration,
    /// Part 2: one change in the simulator every this often.
    pub change_every: Duration,
    /// Part 2: buildings watched over Server-Sent Events.
    pub sse_buildings: usize,
    /// Part 3: buildings whose feeds are cached.
    pub cached_feeds: usize,
    /// Part 3: feeds fetched at once while warming.
    pub warm_concurrency: usize,
    /// Part 4: one run (the displays alone, or with an abuser).
    pub abuse_run: Duration,
}

impl Plan {
    /// The full run, or the short one.
    pub fn new(quick: bool, parts: Vec<u8>) -> Self {
        let secs = Duration::from_secs;
        Self {
            quick,
            parts,
            warmup: secs(if quick { 1 } else { 2 }),
            measure: secs(if quick { 3 } else { 6 }),
            quiet_wait_run: secs(if quick { 5 } else { 20 }),
            quiet_wait_total: secs(if quick { 15 } else { 60 }),
            rounds: if quick { 1 } else { 5 },
            connections: vec![64, 512],
            part1_tokens: 1_000,
            displays: 1_000,
            buildings: 100,
            poll_every: secs(10),
            window: secs(if quick { 20 } else { 60 }),
            grace: secs(if quick { 5 } else { 10 }),
            polling_refresh: secs(if quick { 10 } else { 60 }),
            polling_lead_in: secs(if quick { 5 } else { 30 }),
            change_every: secs(3),
            sse_buildings: 5,
            cached_feeds: if quick { 1_000 } else { 10_000 },
            warm_concurrency: 32,
            abuse_run: secs(if quick { 5 } else { 20 }),
        }
    }

    /// Polls per display per minute.
    pub fn polls_per_minute(&self) -> f64 {
        60.0 / self.poll_every.as_secs_f64()
    }
}
