//! Turning the cached data into a display feed. Pure functions: no I/O, no clock.
//!
//! The privacy rule is [`super::privacy`]: what never changes with the date is decided when
//! the data is cached ([`super::compact`]); what depends on the date is decided here (a
//! current resident by Finnish date: moved in, end date not passed; a contact in force).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rappu_shared::display::{
    DisplayFeed, FeedAnnouncement, FeedApartment, FeedBuilding, FeedContacts, FeedFloor,
    FeedStaircase, FeedWork,
};
use serde::{Deserialize, Serialize};

use super::compact::{Node, NodeKind, Resident, Staff, Work};
use crate::property::{address_of, name_of};
use crate::upstream::tampuuri::model::{Announcement, Connection, ConnectionRole, Object};

/// Most announcements a display shows.
pub const MAX_ANNOUNCEMENTS: usize = 10;
/// Most ongoing-work items a display shows.
pub const MAX_WORK: usize = 10;

/// What a feed is built from (the cache's compact data, see [`super::compact`]).
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The building.
    pub building: &'a Object,
    /// Its property (cost centre), when known.
    pub property: Option<&'a Object>,
    /// Staircases and apartments below the building.
    pub tree: &'a [Node],
    /// Resident connections in the building.
    pub residents: &'a [Resident],
    /// Manager, maintenance and board connections of the property.
    pub staff: &'a [Staff],
    /// Announcements of the building and its ancestors.
    pub announcements: &'a [Announcement],
    /// Open fault reports in the building.
    pub work: &'a [Work],
    /// Only this staircase, when the display is bound to one.
    pub staircase: Option<u64>,
    /// Now.
    pub now: DateTime<Utc>,
    /// Today in Finland.
    pub today: NaiveDate,
    /// Which titles of ongoing work may be shown.
    pub work_titles: WorkTitles,
}

/// Which titles of ongoing work a display shows (`feeds.show_staff_work_titles`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkTitles {
    /// None: place, category and state only.
    None,
    /// Titles of jobs the property manager or the maintenance company reported.
    Staff,
}

/// Why a feed cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    /// The display's staircase is not in its building.
    #[error("staircase {0} is not in this building")]
    StaircaseNotInBuilding(u64),
}

/// Whether dates put a connection in force today (start and end dates inclusive).
pub fn in_force_dates(
    starts: Option<NaiveDate>,
    ends: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    starts.is_none_or(|s| s <= today) && ends.is_none_or(|e| e >= today)
}

/// Whether a connection is in force today.
pub fn in_force(c: &Connection, today: NaiveDate) -> bool {
    in_force_dates(c.starts, c.ends, today)
}

/// The surname a resident puts on the board today, if any.
pub fn visible_surname(r: &Resident, today: NaiveDate) -> Option<&str> {
    in_force_dates(r.starts, r.ends, today)
        .then_some(r.surname.as_deref())
        .flatten()
}

fn apartment_label(apartment: &Node, staircase: &str) -> String {
    if let Some(code) = apartment.code.as_deref() {
        return code.to_owned();
    }
    match apartment.number {
        Some(n) if staircase.is_empty() => n.to_string(),
        Some(n) => format!("{staircase} {n}"),
        None => apartment.name.to_string(),
    }
}

/// Builds the feed.
pub fn assemble(
    inputs: &Inputs<'_>,
    generated_at: DateTime<Utc>,
    data_as_of: DateTime<Utc>,
    stale: bool,
) -> Result<DisplayFeed, AssembleError> {
    Ok(DisplayFeed {
        building: FeedBuilding {
            id: inputs.building.id,
            property_name: inputs.property.map(name_of).unwrap_or_default(),
            name: name_of(inputs.building),
            address: address_of(inputs.building),
        },
        staircases: staircases(inputs)?,
        announcements: announcements(inputs),
        contacts: contacts(inputs),
        ongoing_work: ongoing_work(inputs),
        generated_at,
        data_as_of,
        stale,
    })
}

fn staircases(inputs: &Inputs<'_>) -> Result<Vec<FeedStaircase>, AssembleError> {
    let building = inputs.building;
    let mut stairs: BTreeMap<(String, u64), Vec<&Node>> = BTreeMap::new();
    let names: BTreeMap<u64, String> = inputs
        .tree
        .iter()
        .filter(|n| n.kind == NodeKind::Staircase)
        .map(|n| (n.id, n.letter.as_deref().unwrap_or(&n.name).to_owned()))
        .collect();
    if let Some(wanted) = inputs.staircase
        && !names.contains_key(&wanted)
    {
        return Err(AssembleError::StaircaseNotInBuilding(wanted));
    }
    for (id, name) in &names {
        stairs.entry((name.clone(), *id)).or_default();
    }
    for apartment in inputs.tree.iter().filter(|n| n.kind == NodeKind::Apartment) {
        // An apartment directly under the building (no staircases) goes in a nameless group.
        let (name, id) = match apartment.parent.and_then(|p| names.get(&p).map(|n| (n, p))) {
            Some((name, id)) => (name.clone(), id),
            None => (String::new(), building.id),
        };
        stairs.entry((name, id)).or_default().push(apartment);
    }
    let mut names_by_apartment: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    for r in inputs.residents {
        if let Some(surname) = visible_surname(r, inputs.today) {
            names_by_apartment
                .entry(r.apartment)
                .or_default()
                .insert(surname);
        }
    }
    Ok(stairs
        .into_iter()
        .filter(|((_, id), _)| inputs.staircase.is_none_or(|wanted| wanted == *id))
        .map(|((name, id), mut apartments)| {
            apartments.sort_by_key(|a| (a.floor.unwrap_or(0), a.number.unwrap_or(u32::MAX), a.id));
            let mut floors: BTreeMap<i32, Vec<FeedApartment>> = BTreeMap::new();
            for a in apartments {
                floors
                    .entry(a.floor.unwrap_or(0))
                    .or_default()
                    .push(FeedApartment {
                        number: apartment_label(a, &name),
                        names: names_by_apartment
                            .get(&a.id)
                            .map(|s| s.iter().map(|n| (*n).to_owned()).collect())
                            .unwrap_or_default(),
                    });
            }
            FeedStaircase {
                id,
                name,
                floors: floors
                    .into_iter()
                    .map(|(floor, apartments)| FeedFloor { floor, apartments })
                    .collect(),
            }
        })
        .collect())
}

fn announcements(inputs: &Inputs<'_>) -> Vec<FeedAnnouncement> {
    let now = inputs.now;
    let mut current: Vec<&Announcement> = inputs
        .announcements
        .iter()
        .filter(|a| a.valid_from.is_none_or(|f| f <= now) && a.valid_until.is_none_or(|u| u > now))
        .filter(|a| !a.title.is_empty() || !a.body.is_empty())
        .collect();
    current.sort_by(|a, b| {
        let key = |x: &Announcement| x.published_at.or(x.valid_from);
        key(b).cmp(&key(a)).then(b.id.cmp(&a.id))
    });
    current
        .into_iter()
        .take(MAX_ANNOUNCEMENTS)
        .map(|a| FeedAnnouncement {
            id: a.id,
            title: a.title.clone(),
            body: a.body.clone(),
            published_at: a.published_at,
            valid_until: a.valid_until,
        })
        .collect()
}

fn contacts(inputs: &Inputs<'_>) -> FeedContacts {
    let pick = |role: ConnectionRole| {
        inputs
            .staff
            .iter()
            .filter(|s| s.role == role && in_force_dates(s.starts, s.ends, inputs.today))
            .find_map(|s| s.contact.clone())
    };
    FeedContacts {
        maintenance: pick(ConnectionRole::Maintenance),
        manager: pick(ConnectionRole::Manager),
        board_chair: pick(ConnectionRole::BoardChair),
    }
}

fn ongoing_work(inputs: &Inputs<'_>) -> Vec<FeedWork> {
    let apartments: HashSet<u64> = inputs
        .tree
        .iter()
        .filter(|n| n.kind == NodeKind::Apartment)
        .map(|n| n.id)
        .collect();
    // Staff who may title a job: the manager and the maintenance company in force (not the
    // board chair, who is a resident like any other).
    let staff: HashSet<u64> = inputs
        .staff
        .iter()
        .filter(|s| {
            matches!(
                s.role,
                ConnectionRole::Manager | ConnectionRole::Maintenance
            )
        })
        .filter(|s| in_force_dates(s.starts, s.ends, inputs.today))
        .map(|s| s.party)
        .collect();
    inputs
        .work
        .iter()
        .filter(|w| !w.apartment_topic && w.object.is_none_or(|o| !apartments.contains(&o)))
        .take(MAX_WORK)
        .map(|w| FeedWork {
            place: w.place,
            category: w.category.as_deref().map(str::to_owned),
            state: w.state,
            title: match inputs.work_titles {
                WorkTitles::Staff if w.reporter.is_some_and(|r| staff.contains(&r)) => {
                    w.title.as_deref().map(str::to_owned)
                }
                _ => None,
            },
        })
        .collect()
}
