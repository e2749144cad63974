//! `rappu plan`: the Tampuuri calls a month a fleet costs, and the bill on each package,
//! before the bill comes.
//!
//! The model is the mirror's own: its cadences come from the same [`MirrorSettings`] the
//! gateway runs with, and every operation's cost from [`crate::mirror::costs`], which
//! `tests/api/economy.rs` holds to the simulator's call count. Displays and portal users
//! cost nothing: they read the mirror. What the model assumes about a fleet (rows per
//! building, the change mix) is in [`Fleet`] and printed with the estimate.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::config::MirrorSettings;
use crate::mirror::costs;
use crate::pricing::{Package, Prices};

/// Seconds in the 30-day month the estimate is for.
pub const MONTH_SECS: u64 = 30 * 86_400;

/// What a deployment serves, and how much changes in a month.
#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    /// Housing companies (properties).
    pub properties: u64,
    /// Buildings.
    pub buildings: u64,
    /// Staircases.
    pub staircases: u64,
    /// Apartments.
    pub apartments: u64,
    /// Resident connections (current ones and those Tampuuri still lists after a move).
    pub residents: u64,
    /// Stairwell displays (no calls: they read the mirror).
    pub displays: u64,
    /// Portal users (no calls for reading: the mirror).
    pub portal_users: u64,
    /// Announcements Tampuuri lists at any time.
    pub announcements: u64,
    /// Fault reports not closed at any time.
    pub unclosed_reports: u64,
    /// Change notifications a month, split as [`ChangeMix`] says.
    pub changes_per_month: u64,
    /// Restarts of the gateway a month (each reconciles people, reports and news once).
    pub restarts_per_month: u64,
    /// Whether Tampuuri delivers webhooks.
    pub webhooks: bool,
}

impl Fleet {
    /// A fleet of `buildings` with the reference fleet's proportions (issue 14: 500
    /// buildings in 250 housing companies, ~10,000 apartments, ~15,000 resident parties,
    /// two announcements a building, one report in three a month still open).
    pub fn typical(buildings: u64) -> Self {
        Self {
            properties: buildings.div_ceil(2).max(1),
            buildings,
            staircases: buildings * 2,
            apartments: buildings * 20,
            residents: buildings * 30,
            displays: buildings * 2,
            portal_users: buildings * 10,
            announcements: buildings * 2,
            unclosed_reports: buildings / 3,
            changes_per_month: buildings * 7,
            restarts_per_month: 4,
            webhooks: true,
        }
    }

    /// Managers, maintenance companies and board chairs: three a property.
    fn staff(&self) -> u64 {
        self.properties * 3
    }

    /// Every object of the registry below the properties.
    fn objects(&self) -> u64 {
        self.buildings + self.staircases + self.apartments
    }
}

/// How a month's change notifications divide (the reference fleet's month: of 3,500,
/// ~170 move-ins and -outs, ~10 privacy changes, ~1,000 announcement changes, ~420 new
/// fault reports, ~1,700 report state changes, the rest partners' transitions).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ChangeMix {
    /// Move-ins and move-outs.
    pub moves: u64,
    /// Turvakielto or hide-from-display changes.
    pub privacy: u64,
    /// Announcement changes.
    pub announcements: u64,
    /// New fault reports, filed through Rappu.
    pub new_reports: u64,
    /// Report state changes made in Tampuuri.
    pub report_changes: u64,
    /// Partners' transitions through Rappu's work-order API.
    pub transitions: u64,
}

impl ChangeMix {
    /// `total` notifications in the reference month's proportions.
    pub fn of(total: u64) -> Self {
        let part = |n: u64| (total * n + 1_750) / 3_500;
        let moves = part(170);
        let privacy = part(10);
        let announcements = part(1_000);
        let new_reports = part(420);
        let report_changes = part(1_700);
        let transitions =
            total.saturating_sub(moves + privacy + announcements + new_reports + report_changes);
        Self {
            moves,
            privacy,
            announcements,
            new_reports,
            report_changes,
            transitions,
        }
    }
}

/// Calls a month, by kind.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// The fleet estimated.
    pub fleet: Fleet,
    /// How its changes divide.
    pub mix: ChangeMix,
    /// Calls a 30-day month by kind: `registry_sweeps`, `people_sweeps`, `report_sweeps`,
    /// `news_reads`, `change_fetches`, `writes`, `restarts`.
    pub by_kind: BTreeMap<&'static str, u64>,
    /// All calls a month.
    pub total: u64,
    /// A lost webhook is repaired within this many seconds (the people and reports sweep).
    pub lost_webhook_repaired_within_secs: u64,
}

fn per_month(every: Duration) -> u64 {
    MONTH_SECS.div_ceil(every.as_secs().max(1))
}

/// The calls a month `fleet` costs with `mirror`'s cadences.
pub fn estimate(fleet: &Fleet, mirror: &MirrorSettings) -> Estimate {
    let mix = ChangeMix::of(fleet.changes_per_month);
    let people_every = mirror.people_every(fleet.webhooks);
    let connections = fleet.residents + fleet.staff();
    let people_sweep = costs::people_sweep(connections);
    let reports_sweep = costs::reports_sweep(fleet.unclosed_reports);
    let news_read = costs::news_read(fleet.announcements);

    let mut by_kind = BTreeMap::new();
    by_kind.insert(
        "registry_sweeps",
        per_month(mirror.registry_every())
            * costs::registry_sweep(fleet.properties, fleet.objects()),
    );
    by_kind.insert("people_sweeps", per_month(people_every) * people_sweep);
    by_kind.insert("report_sweeps", per_month(people_every) * reports_sweep);
    by_kind.insert(
        "news_reads",
        per_month(mirror.news_every(fleet.webhooks)) * news_read,
    );
    // With webhooks each change is fetched by id; without, the sweeps above find them.
    let fetches = if fleet.webhooks {
        mix.moves * costs::CONNECTION_CHANGE
            + mix.privacy * costs::PARTY_CHANGE
            + mix.announcements * news_read
            + mix.report_changes * costs::REPORT_CHANGE
    } else {
        0
    };
    by_kind.insert("change_fetches", fetches);
    // A write's own webhook is fetched back; without webhooks only the write and its read.
    let echo = u64::from(fleet.webhooks);
    by_kind.insert(
        "writes",
        mix.new_reports * (costs::REPORT_FILED - 1 + echo)
            + mix.transitions * (costs::TRANSITION - 1 + echo),
    );
    by_kind.insert(
        "restarts",
        fleet.restarts_per_month * (people_sweep + reports_sweep + news_read),
    );
    let total = by_kind.values().sum();
    Estimate {
        fleet: fleet.clone(),
        mix,
        by_kind,
        total,
        lost_webhook_repaired_within_secs: people_every.as_secs(),
    }
}

/// The bill for `calls` a month on `package` at `prices`.
#[derive(Debug, Clone, Serialize)]
pub struct Bill {
    /// `standard`, `normal` or `business`.
    pub package: &'static str,
    /// Calls a month.
    pub calls: u64,
    /// Calls over the package's included ones.
    pub extra_calls: u64,
    /// The month's bill, euros.
    pub eur: f64,
}

/// The bill on each package, list prices, or `configured` for the configured package.
pub fn bills(calls: u64, configured: Option<(Package, Prices)>) -> Vec<Bill> {
    [Package::Standard, Package::Normal, Package::Business]
        .into_iter()
        .map(|package| {
            let prices = match configured {
                Some((p, prices)) if p == package => prices,
                _ => package.prices(),
            };
            let bill = crate::pricing::bill("", package.name(), prices, calls);
            Bill {
                package: package.name(),
                calls,
                extra_calls: bill.extra_calls,
                eur: bill.total_eur,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Fleet {
        Fleet {
            properties: 250,
            residents: 15_000,
            displays: 1_000,
            portal_users: 5_000,
            changes_per_month: 3_500,
            ..Fleet::typical(500)
        }
    }

    #[test]
    fn the_reference_month_divides_as_the_issue_says() {
        let mix = ChangeMix::of(3_500);
        assert_eq!(
            (
                mix.moves,
                mix.privacy,
                mix.announcements,
                mix.new_reports,
                mix.report_changes,
                mix.transitions
            ),
            (170, 10, 1_000, 420, 1_700, 200)
        );
        let none = ChangeMix::of(0);
        assert_eq!(none.moves + none.transitions + none.announcements, 0);
    }

    #[test]
    fn the_reference_fleet_fits_the_normal_package_with_webhooks() {
        let e = estimate(&reference(), &MirrorSettings::default());
        assert!(e.total <= 25_000, "{e:#?}");
        assert_eq!(e.total, e.by_kind.values().sum::<u64>());
        // Weekly registry: 251 calls a sweep, 30 days / 7 → 5 sweeps.
        assert_eq!(e.by_kind["registry_sweeps"], 5 * 251);
        // Daily people sweep: 15,750 connections → 63 pages, 30 times.
        assert_eq!(e.by_kind["people_sweeps"], 30 * 63);
        assert_eq!(e.lost_webhook_repaired_within_secs, 86_400);
        let normal = &bills(e.total, None)[1];
        assert_eq!((normal.package, normal.eur), ("normal", 240.0));
    }

    #[test]
    fn polling_costs_what_its_cadence_says() {
        let webhooks = estimate(&reference(), &MirrorSettings::default());
        let polling = estimate(
            &Fleet {
                webhooks: false,
                ..reference()
            },
            &MirrorSettings::default(),
        );
        // Every 15 minutes instead of daily: 96 times the sweeps, no change fetches.
        assert_eq!(
            polling.by_kind["people_sweeps"],
            96 * webhooks.by_kind["people_sweeps"]
        );
        assert_eq!(polling.by_kind["change_fetches"], 0);
        assert!(polling.total > 10 * webhooks.total);
        let slower = estimate(
            &Fleet {
                webhooks: false,
                ..reference()
            },
            &MirrorSettings {
                poll_secs: 3_600,
                ..MirrorSettings::default()
            },
        );
        assert!(slower.total * 3 < polling.total);
    }

    #[test]
    fn bills_follow_the_price_list() {
        let b = bills(50_000, None);
        assert_eq!(b[1].eur, 330.0);
        assert_eq!(b[0].extra_calls, 48_000);
        assert_eq!(b[2].eur, 400.0);
        let contract = Prices {
            fixed_eur: 450.0,
            included_calls: 40_000,
            extra_call_eur: 0.009,
        };
        assert_eq!(
            bills(40_000, Some((Package::Normal, contract)))[1].eur,
            450.0
        );
    }
}
