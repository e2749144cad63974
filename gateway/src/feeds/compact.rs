//! What the feed cache keeps of Tampuuri's data: only what a display may show, in compact
//! form.
//!
//! Tampuuri's answers carry every party's full record (addresses, phones, e-mails,
//! identification). The cache keeps, per connection, the dates and ids a rebuild needs and a
//! name or contact *only* when [`super::privacy`] allows it: a person under turvakielto,
//! hidden from the display, archived or of unknown status is kept without one. So protected
//! names never sit in the gateway's memory, and a building's cached data is a few kilobytes
//! instead of tens.

use chrono::NaiveDate;
use rappu_shared::display::{FeedContact, WorkPlace, WorkState};

use super::privacy;
use crate::property::name_of;
use crate::upstream::tampuuri::model::{
    Announcement, Connection, ConnectionRole, FaultReport, Object, ObjectKind, ReportState, Topic,
};

/// Kind of a node below a building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A staircase.
    Staircase,
    /// An apartment.
    Apartment,
}

/// A staircase or apartment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Object id.
    pub id: u64,
    /// Staircase or apartment.
    pub kind: NodeKind,
    /// Parent object (an apartment's staircase).
    pub parent: Option<u64>,
    /// `Tunnus`, e.g. `A 12`.
    pub code: Option<Box<str>>,
    /// The name, when there is no code.
    pub name: Box<str>,
    /// Staircase letter.
    pub letter: Option<Box<str>>,
    /// Floor (apartments).
    pub floor: Option<i32>,
    /// Apartment number.
    pub number: Option<u32>,
}

/// A resident connection: who lives where, from when to when, and the surname if the
/// person may be named at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    /// The apartment.
    pub apartment: u64,
    /// The party (for webhook invalidation).
    pub party: u64,
    /// Move-in date.
    pub starts: Option<NaiveDate>,
    /// Move-out date (inclusive).
    pub ends: Option<NaiveDate>,
    /// The surname, only if nothing forbids showing it.
    pub surname: Option<Box<str>>,
}

/// A staff connection of a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Manager, maintenance company or board chair.
    pub role: ConnectionRole,
    /// The party (for webhook invalidation).
    pub party: u64,
    /// Start date.
    pub starts: Option<NaiveDate>,
    /// End date (inclusive).
    pub ends: Option<NaiveDate>,
    /// The contact, only if it may be shown.
    pub contact: Option<FeedContact>,
}

/// Ongoing work: an open fault report, without anything a resident wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// The object it is on.
    pub object: Option<u64>,
    /// Whether Tampuuri files it under an apartment (such work is never shown).
    pub apartment_topic: bool,
    /// Common areas, outdoors, or the building at large.
    pub place: WorkPlace,
    /// Tampuuri's category from its pick list (`Vikaluokka`), when set.
    pub category: Option<Box<str>>,
    /// Its state.
    pub state: WorkState,
    /// Who reported it (the title may be shown only for staff).
    pub reporter: Option<u64>,
    /// Its title, kept only when the operator lets displays show titles of jobs the staff
    /// entered (see [`work`]).
    pub title: Option<Box<str>>,
}

fn boxed(s: &Option<String>) -> Option<Box<str>> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Box::from)
}

/// The staircases and apartments of a building's tree. An object of a kind Rappu does not
/// know that has an apartment number or a floor is shown as an apartment line (a vacant
/// apartment, say, in an account that codes it differently: an apartment number on a board
/// is never dropped); other unknown objects (saunas, storage) are left off and counted in a
/// warning.
pub fn nodes(objects: &[Object]) -> Vec<Node> {
    let mut unknown = 0usize;
    let nodes = objects
        .iter()
        .filter_map(|o| {
            let kind = match &o.kind {
                ObjectKind::Staircase => NodeKind::Staircase,
                ObjectKind::Apartment => NodeKind::Apartment,
                ObjectKind::Other(_) if o.apartment_number.is_some() || o.floor.is_some() => {
                    NodeKind::Apartment
                }
                ObjectKind::Other(_) => {
                    unknown += 1;
                    return None;
                }
                _ => return None,
            };
            Some(Node {
                id: o.id,
                kind,
                parent: o.parent(),
                code: boxed(&o.code),
                name: name_of(o).into(),
                letter: boxed(&o.staircase),
                floor: o.floor,
                number: o.apartment_number,
            })
        })
        .collect();
    if unknown > 0 {
        tracing::warn!(
            unknown,
            "objects of a kind Rappu does not know were left off a board"
        );
    }
    nodes
}

/// Resident connections, names only where [`super::privacy`] allows them.
pub fn residents(connections: &[Connection]) -> Vec<Resident> {
    connections
        .iter()
        .filter(|c| c.role == ConnectionRole::Resident)
        .map(|c| Resident {
            apartment: c.object_id,
            party: c.party.id,
            starts: c.starts,
            ends: c.ends,
            surname: privacy::resident_surname(c),
        })
        .collect()
}

/// Staff connections, contacts only where [`super::privacy`] allows them.
pub fn staff(connections: &[Connection]) -> Vec<Staff> {
    connections
        .iter()
        .filter(|c| {
            matches!(
                c.role,
                ConnectionRole::Manager | ConnectionRole::Maintenance | ConnectionRole::BoardChair
            )
        })
        .map(|c| Staff {
            role: c.role.clone(),
            party: c.party.id,
            starts: c.starts,
            ends: c.ends,
            contact: privacy::staff_contact(c),
        })
        .collect()
}

/// Announcements, trimmed.
pub fn announcements(list: Vec<Announcement>) -> Vec<Announcement> {
    list.into_iter()
        .map(|mut a| {
            a.title = a.title.trim().to_owned();
            a.body = a.body.trim().to_owned();
            a.title.shrink_to_fit();
            a.body.shrink_to_fit();
            a
        })
        .collect()
}

/// Open reports as ongoing work: place, category and state. The title (resident free text
/// as often as not) is kept only when `keep_titles` is on, for [`super::assemble`] to show it
/// only where staff entered the job.
pub fn work(reports: &[FaultReport], keep_titles: bool) -> Vec<Work> {
    reports
        .iter()
        .filter_map(|r| {
            let state = match r.state {
                ReportState::Open => WorkState::Open,
                ReportState::Received => WorkState::Received,
                ReportState::Waiting => WorkState::Waiting,
                _ => return None,
            };
            Some(Work {
                object: r.object_id,
                apartment_topic: r.topic == Some(Topic::Apartment),
                place: match r.topic {
                    Some(Topic::CommonAreas) => WorkPlace::CommonAreas,
                    Some(Topic::Outdoors) => WorkPlace::Outdoors,
                    _ => WorkPlace::Building,
                },
                category: boxed(&r.fault_class),
                state,
                reporter: r.reporter_id,
                title: if keep_titles {
                    boxed(&Some(r.title.clone()))
                } else {
                    None
                },
            })
        })
        .collect()
}
