//! The reference fleet of issue 14 as the simulator makes it (`rappu sim --properties 250
//! --buildings-per-property 2`): computed from an in-process copy built with the child's
//! configuration (the data is deterministic) and checked against the child's summary. It
//! says who the displays, portal users and partners are, and whom the month's changes touch.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, bail};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rappu_sim::model::{ObjectKind, PartyKind, Role};
use rappu_sim::report::ReportState;
use rappu_sim::{Simulator, Snapshot};

use crate::plan::Plan;
use crate::stack::{ACCOUNT, building_ids, sim_config};

/// A current resident and where they live.
#[derive(Debug, Clone, Copy)]
pub struct Resident {
    /// Party id.
    pub party: i64,
    /// Their connection to the apartment.
    pub connection: i64,
    /// Apartment id.
    pub apartment: i64,
    /// Building id.
    pub building: i64,
}

/// A fault report not yet completed, as the bench last left it.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Tampuuri id.
    pub id: i64,
    /// Its state.
    pub state: ReportState,
    /// Its assignee (a maintenance company).
    pub assignee: Option<i64>,
    /// The report it follows up (the original cannot be completed before it is done).
    pub parent: Option<i64>,
}

/// The fleet.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Housing companies.
    pub properties: usize,
    /// Buildings in each.
    pub buildings_per_property: u16,
    /// Every building, in the simulator's order.
    pub buildings: Vec<i64>,
    /// Staircases.
    pub staircases: u64,
    /// Every apartment with its building.
    pub apartments: Vec<(i64, i64)>,
    /// Resident connections Tampuuri lists (current, former and future residents): what
    /// `rappu plan` calls residents.
    pub resident_connections: u64,
    /// Distinct parties with a resident connection.
    pub resident_parties: u64,
    /// Current residents.
    pub current_residents: u64,
    /// Connections the mirror keeps (residents, managers, maintenance, board chairs): the
    /// rows of a people sweep.
    pub kept_connections: u64,
    /// Announcements (id, object) Tampuuri lists.
    pub announcements: Vec<(i64, i64)>,
    /// Reports open, received, waiting or done: the rows of a report sweep.
    pub unclosed: Vec<Report>,
    /// Portal users: current residents.
    pub portal_users: Vec<Resident>,
    /// Current residents shown on their building's display, each with one connection only
    /// (changing them changes one building): moved out, protected, hidden, lost.
    pub shown: Vec<Resident>,
    /// The maintenance partners on the work-order API: the two companies with the most
    /// unclosed reports.
    pub partners: Vec<i64>,
    /// The date the simulator treats as today.
    pub today: chrono::NaiveDate,
}

impl Fleet {
    /// Builds the fleet of `plan` (deterministic; a fixed shuffle picks who is who).
    pub fn new(plan: &Plan) -> anyhow::Result<Self> {
        let sim = Simulator::new(sim_config(
            plan.fleet_properties,
            Some(plan.fleet_buildings_per_property),
        ));
        let summary = sim.summary(ACCOUNT).context("the demo account")?;
        let snapshot = sim.snapshot(ACCOUNT).context("the demo account")?;
        let buildings = building_ids(&summary);
        let staircases = summary
            .properties
            .iter()
            .flat_map(|p| p.buildings.iter().map(|b| b.staircases.len() as u64))
            .sum();
        let building_of = buildings_of_apartments(&snapshot);
        let mut apartments: Vec<(i64, i64)> = building_of.iter().map(|(a, b)| (*a, *b)).collect();
        apartments.sort_unstable();
        let kept = [
            Role::Asukas,
            Role::Isannoitsija,
            Role::Huoltoyhtio,
            Role::HallituksenPuheenjohtaja,
        ];
        let residents: Vec<_> = snapshot
            .connections
            .iter()
            .filter(|c| c.rooli == Role::Asukas)
            .collect();
        let mut parties: Vec<i64> = residents.iter().map(|c| c.osapuoli_id).collect();
        parties.sort_unstable();
        parties.dedup();
        let today = snapshot.today;
        let current: Vec<Resident> = residents
            .iter()
            .filter(|c| c.is_current(today))
            .filter_map(|c| {
                Some(Resident {
                    party: c.osapuoli_id,
                    connection: c.id,
                    apartment: c.kohde_id,
                    building: *building_of.get(&c.kohde_id)?,
                })
            })
            .collect();
        let mut shown = shown_residents(&snapshot, &building_of);
        let mut rng = StdRng::seed_from_u64(0x0014_5EED);
        shown.shuffle(&mut rng);
        // Portal users first from those not shown (any current resident may use the portal),
        // so the shown ones stay free for the changes.
        let shown_parties: std::collections::HashSet<i64> = shown.iter().map(|r| r.party).collect();
        let mut portal: Vec<Resident> = current
            .iter()
            .filter(|r| !shown_parties.contains(&r.party))
            .copied()
            .collect();
        portal.shuffle(&mut rng);
        let reserve = 2_000.min(shown.len() / 2);
        let mut from_shown = shown.split_off(reserve);
        portal.append(&mut from_shown);
        portal.truncate(plan.portal_users);
        if portal.len() < plan.portal_users {
            bail!(
                "the fleet has {} current residents for {} portal users",
                portal.len(),
                plan.portal_users
            );
        }
        let unclosed: Vec<Report> = snapshot
            .reports
            .iter()
            .filter(|r| r.tila != ReportState::Valmis)
            .map(|r| Report {
                id: r.id,
                state: r.tila,
                assignee: r.tyonsuorittaja_id,
                parent: r.yla_ilmoitus_id,
            })
            .collect();
        let mut by_assignee: BTreeMap<i64, usize> = BTreeMap::new();
        for r in &unclosed {
            if let Some(a) = r.assignee {
                *by_assignee.entry(a).or_default() += 1;
            }
        }
        let mut ranked: Vec<(i64, usize)> = by_assignee.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let partners = ranked.iter().take(plan.partners).map(|(a, _)| *a).collect();
        Ok(Self {
            properties: summary.properties.len(),
            buildings_per_property: plan.fleet_buildings_per_property,
            buildings,
            staircases,
            apartments,
            resident_connections: residents.len() as u64,
            resident_parties: parties.len() as u64,
            current_residents: current.len() as u64,
            kept_connections: snapshot
                .connections
                .iter()
                .filter(|c| kept.contains(&c.rooli))
                .count() as u64,
            announcements: snapshot
                .announcements
                .iter()
                .map(|a| (a.id, a.kohde_id))
                .collect(),
            unclosed,
            portal_users: portal,
            shown,
            partners,
            today,
        })
    }

    /// Checks that the child simulator made the same fleet.
    pub fn check(&self, summary: &rappu_sim::AccountSummary) -> anyhow::Result<()> {
        if building_ids(summary) != self.buildings {
            bail!(
                "the simulator child's buildings differ from the in-process copy (did the date change?)"
            );
        }
        Ok(())
    }

    /// One line describing the fleet.
    pub fn describe(&self) -> String {
        use crate::report::thousands;
        format!(
            "{} buildings in {} housing companies ({} each), {} staircases, {} apartments, {} resident parties ({} current; {} resident connections listed), {} announcements, {} reports not completed",
            thousands(self.buildings.len() as u64),
            thousands(self.properties as u64),
            self.buildings_per_property,
            thousands(self.staircases),
            thousands(self.apartments.len() as u64),
            thousands(self.resident_parties),
            thousands(self.current_residents),
            thousands(self.resident_connections),
            thousands(self.announcements.len() as u64),
            thousands(self.unclosed.len() as u64)
        )
    }
}

/// Apartment → building.
fn buildings_of_apartments(s: &Snapshot) -> HashMap<i64, i64> {
    let mut out = HashMap::new();
    for a in &s.objects {
        if a.kohde_metatyyppi != ObjectKind::Huoneisto {
            continue;
        }
        let building = a
            .yla_kohde_id
            .and_then(|stair| s.object(stair))
            .and_then(|stair| stair.yla_kohde_id)
            .and_then(|b| s.object(b))
            .filter(|b| b.kohde_metatyyppi == ObjectKind::Rakennus);
        if let Some(b) = building {
            out.insert(a.id, b.id);
        }
    }
    out
}

/// Current residents whose name their building's display shows (current, not hidden, not
/// under non-disclosure, not archived, persons with a surname), with no other connection
/// anywhere (a change to them concerns one building).
fn shown_residents(s: &Snapshot, building_of: &HashMap<i64, i64>) -> Vec<Resident> {
    let mut connections_of: HashMap<i64, usize> = HashMap::new();
    for c in &s.connections {
        *connections_of.entry(c.osapuoli_id).or_default() += 1;
    }
    let mut out = Vec::new();
    for c in &s.connections {
        if c.rooli != Role::Asukas || !c.is_current(s.today) || c.piilota_porrasnaytolta {
            continue;
        }
        let Some(p) = s.party(c.osapuoli_id) else {
            continue;
        };
        if p.turvakielto
            || p.arkistoitu.is_some()
            || p.osapuolityyppi != PartyKind::Henkilo
            || p.sukunimi.is_none()
            || connections_of.get(&p.id).copied() != Some(1)
        {
            continue;
        }
        if let Some(b) = building_of.get(&c.kohde_id) {
            out.push(Resident {
                party: p.id,
                connection: c.id,
                apartment: c.kohde_id,
                building: *b,
            });
        }
    }
    out
}
