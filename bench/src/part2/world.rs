//! The data part 2 works on: 100 buildings of the simulator's demo account, a resident shown
//! on each changed building's display, and the schedule of changes. Computed from an
//! in-process copy of the simulator built with the same configuration as the `rappu sim`
//! child (the data is deterministic), and checked against the child's summary.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use rappu_sim::model::{ObjectKind, PartyKind, Role};
use rappu_sim::{Simulator, Snapshot};

use crate::stack::{ACCOUNT, building_ids, sim_config};

/// What a scheduled change does.
#[derive(Debug, Clone)]
pub enum ChangeKind {
    /// Rename a current, displayed resident (`PATCH /_sim/accounts/demo/parties/{id}`).
    Rename {
        /// The party.
        party: i64,
    },
    /// Add an announcement to the building (`POST /_sim/accounts/demo/announcements`).
    Announce,
}

/// One scheduled change and the text that shows it on a display.
#[derive(Debug, Clone)]
pub struct PlannedChange {
    /// The building whose display shows it.
    pub building: i64,
    /// What to do.
    pub kind: ChangeKind,
    /// The new surname or the announcement's title: unique, searched for in feed bodies.
    pub marker: String,
}

/// The buildings and the changes of part 2.
#[derive(Debug, Clone)]
pub struct World {
    /// Properties per account the simulator is started with.
    pub properties: usize,
    /// The buildings the displays show, in the simulator's order.
    pub buildings: Vec<i64>,
    /// The changes, in the order they are made.
    pub changes: Vec<PlannedChange>,
    /// The buildings watched over SSE (the first changed ones).
    pub sse_buildings: Vec<i64>,
}

/// Finds the smallest simulator with `buildings` buildings and plans `changes` changes.
pub fn plan(buildings: usize, changes: usize, sse: usize) -> anyhow::Result<World> {
    let mut properties = buildings / 2 + 1;
    loop {
        let sim = Simulator::new(sim_config(properties));
        let summary = sim.summary(ACCOUNT).context("the demo account")?;
        let all = building_ids(&summary);
        if all.len() >= buildings {
            let snapshot = sim.snapshot(ACCOUNT).context("the demo account")?;
            return Ok(schedule(
                properties,
                all[..buildings].to_vec(),
                &snapshot,
                changes,
                sse,
            ));
        }
        if properties > 10 * buildings {
            bail!("the simulator makes too few buildings");
        }
        properties += properties / 4 + 1;
    }
}

fn schedule(
    properties: usize,
    buildings: Vec<i64>,
    snapshot: &Snapshot,
    changes: usize,
    sse: usize,
) -> World {
    let shown = shown_residents(snapshot);
    let tag: String = format!("{:04X}", rand::random::<u16>());
    // Buildings in a stride through the list (37 and 100 are coprime: no repeats), skipping
    // any without a displayed resident to rename.
    let mut changed: Vec<(i64, i64)> = Vec::new();
    for i in 0..buildings.len() {
        if changed.len() * 2 >= changes {
            break;
        }
        let b = buildings[(i * 37 + 3) % buildings.len()];
        if let Some(&party) = shown.get(&b).and_then(|parties| parties.first()) {
            changed.push((b, party));
        }
    }
    let mut planned = Vec::new();
    for (k, (building, party)) in changed.iter().enumerate() {
        planned.push(PlannedChange {
            building: *building,
            kind: ChangeKind::Rename { party: *party },
            marker: format!("Penkki{tag}n{:02}", 2 * k),
        });
        planned.push(PlannedChange {
            building: *building,
            kind: ChangeKind::Announce,
            marker: format!("Penkkitiedote {tag} {:02}", 2 * k + 1),
        });
    }
    planned.truncate(changes);
    let sse_buildings = changed.iter().map(|(b, _)| *b).take(sse).collect();
    World {
        properties,
        buildings,
        changes: planned,
        sse_buildings,
    }
}

/// Building → parties whose names its display shows (the privacy rules of the feed:
/// current residents, not hidden, not under non-disclosure, not archived, persons).
fn shown_residents(s: &Snapshot) -> HashMap<i64, Vec<i64>> {
    let building_of = |apartment: i64| {
        let a = s.object(apartment)?;
        if a.kohde_metatyyppi != ObjectKind::Huoneisto {
            return None;
        }
        let stair = s.object(a.yla_kohde_id?)?;
        let building = s.object(stair.yla_kohde_id?)?;
        (building.kohde_metatyyppi == ObjectKind::Rakennus).then_some(building.id)
    };
    // A party connected to more than one apartment is left out: renaming it would change
    // other buildings too.
    let mut apartments_of: HashMap<i64, usize> = HashMap::new();
    for c in &s.connections {
        *apartments_of.entry(c.osapuoli_id).or_default() += 1;
    }
    let mut shown: HashMap<i64, Vec<i64>> = HashMap::new();
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
        {
            continue;
        }
        if apartments_of.get(&p.id).copied() != Some(1) {
            continue;
        }
        if let Some(b) = building_of(c.kohde_id) {
            shown.entry(b).or_default().push(p.id);
        }
    }
    shown
}
