//! Turning Tampuuri's objects into a display feed. Pure functions: no I/O, no clock.
//!
//! The privacy rules live here and nowhere else. A name reaches a display only if the
//! party is a person, is a current resident (moved in, not moved out, by Finnish date),
//! is not archived, is known *not* to be under turvakielto (a missing flag counts as
//! protected), and has not asked to be left off the display. Contacts follow the same
//! turvakielto rule.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rappu_shared::display::{
    DisplayFeed, FeedAnnouncement, FeedApartment, FeedBuilding, FeedContact, FeedContacts,
    FeedFloor, FeedStaircase, FeedWork, WorkState,
};

use crate::property::{address_of, name_of};
use crate::upstream::tampuuri::model::{
    Announcement, Connection, ConnectionRole, FaultReport, Object, ObjectKind, Party, PartyKind,
    ReportState,
};

/// Most announcements a display shows.
pub const MAX_ANNOUNCEMENTS: usize = 10;
/// Most ongoing-work items a display shows.
pub const MAX_WORK: usize = 10;

/// What a feed is built from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The building.
    pub building: &'a Object,
    /// Its property (cost centre), when known.
    pub property: Option<&'a Object>,
    /// Staircases and apartments below the building.
    pub tree: &'a [Object],
    /// Resident connections in the building.
    pub residents: &'a [Connection],
    /// Manager, maintenance and board connections of the property.
    pub staff: &'a [Connection],
    /// Announcements of the building and its ancestors.
    pub announcements: &'a [Announcement],
    /// Open fault reports in the building.
    pub reports: &'a [FaultReport],
    /// Only this staircase, when the display is bound to one.
    pub staircase: Option<u64>,
    /// Now.
    pub now: DateTime<Utc>,
    /// Today in Finland.
    pub today: NaiveDate,
}

/// Why a feed cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    /// The display's staircase is not in its building.
    #[error("staircase {0} is not in this building")]
    StaircaseNotInBuilding(u64),
}

/// Whether a connection is in force today (start and end dates inclusive).
pub fn in_force(c: &Connection, today: NaiveDate) -> bool {
    c.starts.is_none_or(|s| s <= today) && c.ends.is_none_or(|e| e >= today)
}

/// Whether a person may be named anywhere public: known not to be under turvakielto and
/// not archived.
pub fn may_be_named(p: &Party, now: DateTime<Utc>) -> bool {
    p.non_disclosure == Some(false) && p.archived_at.is_none_or(|at| at > now)
}

/// The surname a resident connection puts on the board, if any.
pub fn shown_surname(c: &Connection, today: NaiveDate, now: DateTime<Utc>) -> Option<&str> {
    let p = &c.party;
    let allowed = c.role == ConnectionRole::Resident
        && in_force(c, today)
        && c.hide_from_display != Some(true)
        && matches!(p.kind, Some(PartyKind::Person) | None)
        && may_be_named(p, now);
    if !allowed {
        return None;
    }
    p.last_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn apartment_label(apartment: &Object, staircase: &str) -> String {
    if let Some(code) = apartment.code.as_deref().filter(|c| !c.trim().is_empty()) {
        return code.trim().to_owned();
    }
    match apartment.apartment_number {
        Some(n) if staircase.is_empty() => n.to_string(),
        Some(n) => format!("{staircase} {n}"),
        None => name_of(apartment),
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
    let mut stairs: BTreeMap<(String, u64), Vec<&Object>> = BTreeMap::new();
    let names: BTreeMap<u64, String> = inputs
        .tree
        .iter()
        .filter(|o| o.kind == ObjectKind::Staircase)
        .map(|o| (o.id, o.staircase.clone().unwrap_or_else(|| name_of(o))))
        .collect();
    if let Some(wanted) = inputs.staircase
        && !names.contains_key(&wanted)
    {
        return Err(AssembleError::StaircaseNotInBuilding(wanted));
    }
    for (id, name) in &names {
        stairs.entry((name.clone(), *id)).or_default();
    }
    for apartment in inputs
        .tree
        .iter()
        .filter(|o| o.kind == ObjectKind::Apartment)
    {
        // An apartment directly under the building (no staircases) goes in a nameless group.
        let (name, id) = match apartment
            .parent_id
            .and_then(|p| names.get(&p).map(|n| (n, p)))
        {
            Some((name, id)) => (name.clone(), id),
            None => (String::new(), building.id),
        };
        stairs.entry((name, id)).or_default().push(apartment);
    }
    let mut names_by_apartment: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    for c in inputs.residents {
        if let Some(surname) = shown_surname(c, inputs.today, inputs.now) {
            names_by_apartment
                .entry(c.object_id)
                .or_default()
                .insert(surname);
        }
    }
    Ok(stairs
        .into_iter()
        .filter(|((_, id), _)| inputs.staircase.is_none_or(|wanted| wanted == *id))
        .map(|((name, id), mut apartments)| {
            apartments.sort_by_key(|a| {
                (
                    a.floor.unwrap_or(0),
                    a.apartment_number.unwrap_or(u32::MAX),
                    a.id,
                )
            });
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
        .filter(|a| !a.title.trim().is_empty() || !a.body.trim().is_empty())
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
            title: a.title.trim().to_owned(),
            body: a.body.trim().to_owned(),
            published_at: a.published_at,
            valid_until: a.valid_until,
        })
        .collect()
}

fn contact(c: &Connection, now: DateTime<Utc>) -> Option<FeedContact> {
    let p = &c.party;
    let company = p.kind == Some(PartyKind::Company);
    // A person's contact is shown only under the same turvakielto rule as residents'.
    if !company && !may_be_named(p, now) {
        return None;
    }
    if company && p.archived_at.is_some_and(|at| at <= now) {
        return None;
    }
    let name = match (&p.first_name, &p.last_name) {
        (Some(f), Some(l)) if !company => format!("{} {}", f.trim(), l.trim()),
        _ => p.name.clone()?.trim().to_owned(),
    };
    Some(FeedContact {
        name,
        phone: p.phone.clone().or_else(|| p.mobile.clone()),
        email: p.email.clone(),
    })
}

fn contacts(inputs: &Inputs<'_>) -> FeedContacts {
    let pick = |role: ConnectionRole| {
        inputs
            .staff
            .iter()
            .filter(|c| c.role == role && in_force(c, inputs.today))
            .find_map(|c| contact(c, inputs.now))
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
        .filter(|o| o.kind == ObjectKind::Apartment)
        .map(|o| o.id)
        .collect();
    inputs
        .reports
        .iter()
        .filter(|r| r.topic.as_deref() != Some("Huoneisto"))
        .filter(|r| r.object_id.is_none_or(|o| !apartments.contains(&o)))
        .filter_map(|r| {
            let state = match r.state {
                ReportState::Open => WorkState::Open,
                ReportState::Received => WorkState::Received,
                ReportState::Waiting => WorkState::Waiting,
                _ => return None,
            };
            let title = r.title.trim();
            (!title.is_empty()).then(|| FeedWork {
                title: title.to_owned(),
                state,
            })
        })
        .take(MAX_WORK)
        .collect()
}
