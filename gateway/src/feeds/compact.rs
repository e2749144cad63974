//! What the feed cache keeps of Tampuuri's data: only what a display may show, in compact
//! form.
//!
//! Tampuuri's answers carry every party's full record (addresses, phones, e-mails,
//! identification). The cache keeps, per connection, the dates and ids a rebuild needs and a
//! surname *only* when the person may ever be named: a person under turvakielto, hidden
//! from the display, archived or of unknown status is kept without a name. So protected
//! names never sit in the gateway's memory, and a building's cached data is a few kilobytes
//! instead of tens.

use chrono::NaiveDate;
use rappu_shared::display::{FeedContact, WorkState};

use crate::property::name_of;
use crate::upstream::tampuuri::model::{
    Announcement, Connection, ConnectionRole, FaultReport, Object, ObjectKind, PartyKind,
    ReportState,
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

/// Ongoing work: an open fault report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// The object it is on.
    pub object: Option<u64>,
    /// Whether Tampuuri files it under an apartment.
    pub apartment_topic: bool,
    /// Its title.
    pub title: Box<str>,
    /// Its state.
    pub state: WorkState,
}

fn boxed(s: &Option<String>) -> Option<Box<str>> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Box::from)
}

/// Whether a party may ever be named: known not to be under turvakielto, and not archived.
/// (A missing turvakielto flag counts as protected.)
fn nameable(c: &Connection) -> bool {
    c.party.non_disclosure == Some(false) && c.party.archived_at.is_none()
}

/// The staircases and apartments of a building's tree.
pub fn nodes(objects: &[Object]) -> Vec<Node> {
    objects
        .iter()
        .filter_map(|o| {
            let kind = match o.kind {
                ObjectKind::Staircase => NodeKind::Staircase,
                ObjectKind::Apartment => NodeKind::Apartment,
                _ => return None,
            };
            Some(Node {
                id: o.id,
                kind,
                parent: o.parent_id,
                code: boxed(&o.code),
                name: name_of(o).into(),
                letter: boxed(&o.staircase),
                floor: o.floor,
                number: o.apartment_number,
            })
        })
        .collect()
}

/// Resident connections, names only where they may be shown.
pub fn residents(connections: &[Connection]) -> Vec<Resident> {
    connections
        .iter()
        .filter(|c| c.role == ConnectionRole::Resident)
        .map(|c| {
            let person = matches!(c.party.kind, Some(PartyKind::Person) | None);
            let shown = person && nameable(c) && c.hide_from_display != Some(true);
            Resident {
                apartment: c.object_id,
                party: c.party.id,
                starts: c.starts,
                ends: c.ends,
                surname: if shown {
                    boxed(&c.party.last_name)
                } else {
                    None
                },
            }
        })
        .collect()
}

/// Staff connections, contacts only where they may be shown.
pub fn staff(connections: &[Connection]) -> Vec<Staff> {
    connections
        .iter()
        .filter(|c| {
            matches!(
                c.role,
                ConnectionRole::Manager | ConnectionRole::Maintenance | ConnectionRole::BoardChair
            )
        })
        .map(|c| {
            let p = &c.party;
            let company = p.kind == Some(PartyKind::Company);
            // A company is a business contact; a person follows the turvakielto rule.
            let shown = if company {
                p.archived_at.is_none()
            } else {
                nameable(c)
            };
            let name = match (&p.first_name, &p.last_name) {
                (Some(f), Some(l)) if !company => Some(format!("{} {}", f.trim(), l.trim())),
                _ => p.name.as_deref().map(|n| n.trim().to_owned()),
            };
            Staff {
                role: c.role.clone(),
                party: p.id,
                starts: c.starts,
                ends: c.ends,
                contact: name
                    .filter(|n| shown && !n.is_empty())
                    .map(|name| FeedContact {
                        name,
                        phone: p.phone.clone().or_else(|| p.mobile.clone()),
                        email: p.email.clone(),
                    }),
            }
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

/// Open reports as ongoing work (title and state only).
pub fn work(reports: &[FaultReport]) -> Vec<Work> {
    reports
        .iter()
        .filter_map(|r| {
            let state = match r.state {
                ReportState::Open => WorkState::Open,
                ReportState::Received => WorkState::Received,
                ReportState::Waiting => WorkState::Waiting,
                _ => return None,
            };
            let title = r.title.trim();
            (!title.is_empty()).then(|| Work {
                object: r.object_id,
                apartment_topic: r.topic.as_deref() == Some("Huoneisto"),
                title: title.into(),
                state,
            })
        })
        .collect()
}
