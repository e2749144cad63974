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
    /// Part 1: also run the per-connection client (`--gaps`) at the largest count.
    pub gaps: bool,
    /// Part 1: distinct display tokens, all for one building.
    pub part1_tokens: usize,
    /// Part 2: the fleet's housing companies (issue 14: 250).
    pub fleet_properties: usize,
    /// Part 2: buildings in each (issue 14: 500 buildings in 250 companies).
    pub fleet_buildings_per_property: u16,
    /// Part 2: stairwell displays (issue 14: 1,000), two a building.
    pub displays: usize,
    /// Part 2: of those, the ones on Server-Sent Events (the rest poll).
    pub sse_displays: usize,
    /// Part 2: how often a polling display polls (with `If-None-Match`), in real time.
    pub poll_every: Duration,
    /// Part 2: portal users (issue 14: 5,000), each opening the portal this many times a
    /// month.
    pub portal_users: usize,
    /// Part 2: portal opens per user a month.
    pub portal_opens_per_month: f64,
    /// Part 2: maintenance partners on the work-order API (issue 14: 2).
    pub partners: usize,
    /// Part 2: change notifications a month (issue 14: ~3,500), divided as `rappu plan`
    /// divides them (`rappu_gateway::plan::ChangeMix`).
    pub changes_per_month: u64,
    /// Part 2a: time compression of the month with webhooks: simulated seconds per real
    /// second. The mirror's cadences are divided by it, the change rate multiplied.
    pub month_k: u64,
    /// Part 2a: simulated days counted (whole days, starting half a day after the first
    /// load, so each daily sweep falls inside the window exactly once).
    pub month_days: f64,
    /// Part 2c: real seconds that stand for a day of Tampuuri outage.
    pub outage_day: Duration,
    /// Part 2d: time compression of the polling mode (its 15-minute poll becomes this
    /// many times shorter; a reconciliation must fit well inside it).
    pub polling_k: u64,
    /// Part 2d: simulated hours counted in the polling mode (every 15-minute poll costs the
    /// same, so 3 hours, 12 polls, extrapolate as well as more).
    pub polling_hours: f64,
    /// Part 2d: polling displays as load (calls do not depend on them).
    pub polling_displays: usize,
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
            gaps: false,
            part1_tokens: 1_000,
            fleet_properties: 250,
            fleet_buildings_per_property: 2,
            displays: 1_000,
            sse_displays: 100,
            poll_every: secs(30),
            portal_users: 5_000,
            portal_opens_per_month: 2.0,
            partners: 2,
            changes_per_month: 3_500,
            month_k: 3_600,
            month_days: if quick { 2.0 } else { 14.0 },
            outage_day: secs(if quick { 30 } else { 60 }),
            polling_k: 90,
            polling_hours: if quick { 1.0 } else { 3.0 },
            polling_displays: 100,
            cached_feeds: if quick { 1_000 } else { 10_000 },
            warm_concurrency: 32,
            abuse_run: secs(if quick { 5 } else { 20 }),
        }
    }

    /// Part 2a: real time of the counted month window.
    pub fn month_window(&self) -> Duration {
        Duration::from_secs_f64(self.month_days * 86_400.0 / self.month_k as f64)
    }

    /// Part 2d: real time of the counted polling window.
    pub fn polling_window(&self) -> Duration {
        Duration::from_secs_f64(self.polling_hours * 3_600.0 / self.polling_k as f64)
    }
}
