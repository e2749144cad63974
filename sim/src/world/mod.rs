//! One account's data set (the "world"): the object tree, parties, connections,
//! announcements and fault reports, with the lookups the routes need.
//!
//! Objects are numbered depth-first when generated, so the descendants of an object are
//! exactly the ids after it up to `subtree_end`: a descendant query is a range, not a walk.
//! Objects are never added or removed after generation, which keeps that true.

mod admin;
mod bodies;
mod lisaa;
mod query;
mod reports;
mod summary;
mod table;

use std::collections::HashMap;

use chrono::NaiveDate;

pub use bodies::{
    AnnouncementPatch, ConnectionPatch, NewAnnouncement, NewAttachment, NewReport, NewResident,
    PartyPatch, StepBody,
};
pub use lisaa::{ContactRequest, FileRequest, ReportRequest};
pub use query::{ConnectionFilter, NewsFilter, ObjectFilter, ReportFilter};
pub use summary::{
    AccountSummary, BuildingSummary, PropertySummary, ResidentExample, ResidentExamples, Snapshot,
    StaircaseSummary,
};
pub use table::Table;

use crate::model::{Announcement, Connection, Party, RegistryObject, Role};
use crate::report::FaultReport;

/// First object id.
pub const OBJECT_BASE: i64 = 100_000;
/// First party id.
pub const PARTY_BASE: i64 = 200_000;
/// First connection id.
pub const CONNECTION_BASE: i64 = 300_000;
/// First announcement id.
pub const ANNOUNCEMENT_BASE: i64 = 400_000;
/// First fault report id.
pub const REPORT_BASE: i64 = 500_000;
/// First attachment id.
pub const ATTACHMENT_BASE: i64 = 600_000;

/// Why a query or a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// An id in the path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed or refers to something that does not exist.
    #[error("{0}")]
    Invalid(String),
    /// The change is not allowed in the current state.
    #[error("{0}")]
    Conflict(String),
}

/// A webhook action (`Action` of a notification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A fault report was created.
    IlmoitusUusi,
    /// A fault report changed state.
    IlmoitusTilamuutos,
    /// A fault report changed otherwise (e.g. became handled).
    IlmoitusMuokkaa,
    /// A party was connected to an object.
    KohdeOsapuoliUusi,
    /// A connection changed.
    KohdeOsapuoliMuokkaa,
    /// A connection was removed.
    KohdeOsapuoliPoista,
    /// A party was created.
    OsapuoliUusi,
    /// A party's details changed.
    OsapuoliTietoMuokkaa,
    /// An announcement was published.
    UutinenUusi,
    /// An announcement changed.
    UutinenMuokkaa,
    /// An announcement was removed.
    UutinenPoista,
}

impl Action {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IlmoitusUusi => "IlmoitusUusi",
            Self::IlmoitusTilamuutos => "IlmoitusTilamuutos",
            Self::IlmoitusMuokkaa => "IlmoitusMuokkaa",
            Self::KohdeOsapuoliUusi => "KohdeOsapuoliUusi",
            Self::KohdeOsapuoliMuokkaa => "KohdeOsapuoliMuokkaa",
            Self::KohdeOsapuoliPoista => "KohdeOsapuoliPoista",
            Self::OsapuoliUusi => "OsapuoliUusi",
            Self::OsapuoliTietoMuokkaa => "OsapuoliTietoMuokkaa",
            Self::UutinenUusi => "UutinenUusi",
            Self::UutinenMuokkaa => "UutinenMuokkaa",
            Self::UutinenPoista => "UutinenPoista",
        }
    }
}

/// One data change, the seed of one webhook notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What happened.
    pub action: Action,
    /// `ReferenceId`: the changed thing's id.
    pub reference_id: i64,
    /// `ReferenceSecondaryId`.
    pub secondary_id: Option<i64>,
    /// `ReferenceData`.
    pub data: Option<i64>,
}

impl Change {
    pub(crate) fn new(action: Action, reference_id: i64) -> Self {
        Self {
            action,
            reference_id,
            secondary_id: None,
            data: None,
        }
    }
}

/// One account's data.
#[derive(Debug, Clone)]
pub struct World {
    pub(crate) today: NaiveDate,
    pub(crate) objects: Table<RegistryObject>,
    /// Per object (index = id − [`OBJECT_BASE`]): the id of its last descendant.
    pub(crate) subtree_end: Vec<i64>,
    pub(crate) cost_centres: Vec<i64>,
    pub(crate) parties: Table<Party>,
    pub(crate) connections: Table<Connection>,
    /// Connection ids per object, ascending.
    pub(crate) by_object: HashMap<i64, Vec<i64>>,
    pub(crate) announcements: Table<Announcement>,
    pub(crate) reports: Table<FaultReport>,
    pub(crate) next_attachment: i64,
}

impl World {
    /// An empty world whose "today" is `today`.
    pub fn empty(today: NaiveDate) -> Self {
        Self {
            today,
            objects: Table::new(OBJECT_BASE),
            subtree_end: Vec::new(),
            cost_centres: Vec::new(),
            parties: Table::new(PARTY_BASE),
            connections: Table::new(CONNECTION_BASE),
            by_object: HashMap::new(),
            announcements: Table::new(ANNOUNCEMENT_BASE),
            reports: Table::new(REPORT_BASE),
            next_attachment: ATTACHMENT_BASE,
        }
    }

    /// The date the data treats as today.
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// One object.
    pub fn object(&self, id: i64) -> Option<&RegistryObject> {
        self.objects.get(id)
    }

    /// One party.
    pub fn party(&self, id: i64) -> Option<&Party> {
        self.parties.get(id)
    }

    /// The last descendant of `id` (itself when it has none); `None` for an unknown id.
    pub fn subtree_end(&self, id: i64) -> Option<i64> {
        self.objects.get(id)?;
        let i = usize::try_from(id - OBJECT_BASE).ok()?;
        Some(self.subtree_end.get(i).copied().unwrap_or(id))
    }

    /// Whether `id` is `ancestor` or one of its descendants.
    pub fn is_within(&self, ancestor: i64, id: i64) -> bool {
        self.subtree_end(ancestor)
            .is_some_and(|end| (ancestor..=end).contains(&id))
    }

    /// The object and its ancestors, the object first.
    pub fn lineage(&self, id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut cur = self.objects.get(id);
        while let Some(o) = cur {
            out.push(o.id);
            cur = o.yla_kohde_id.and_then(|p| self.objects.get(p));
        }
        out
    }

    /// The current party in `role` on cost centre `cost_centre` (first by id).
    pub fn cost_centre_party(&self, cost_centre: i64, role: Role) -> Option<i64> {
        self.connections_on(cost_centre)
            .find(|c| c.rooli == role && c.is_current(self.today))
            .map(|c| c.osapuoli_id)
    }

    /// Whether nobody lives in the object today (no current `Asukas` connection).
    pub fn is_vacant(&self, object: i64) -> bool {
        !self
            .connections_on(object)
            .any(|c| c.rooli == Role::Asukas && c.is_current(self.today))
    }

    /// Connections on one object, in id order.
    pub fn connections_on(&self, object: i64) -> impl Iterator<Item = &Connection> {
        self.by_object
            .get(&object)
            .into_iter()
            .flatten()
            .filter_map(|id| self.connections.get(*id))
    }

    /// Add a connection and index it.
    pub(crate) fn insert_connection(&mut self, build: impl FnOnce(i64) -> Connection) -> i64 {
        let id = self.connections.insert_with(build);
        if let Some(c) = self.connections.get(id) {
            self.by_object.entry(c.kohde_id).or_default().push(id);
        }
        id
    }

    /// Remove a connection and its index entry.
    pub(crate) fn remove_connection(&mut self, id: i64) -> Option<Connection> {
        let c = self.connections.remove(id)?;
        if let Some(list) = self.by_object.get_mut(&c.kohde_id) {
            list.retain(|x| *x != id);
        }
        Some(c)
    }

    /// A new attachment id.
    pub(crate) fn attachment_id(&mut self) -> i64 {
        let id = self.next_attachment;
        self.next_attachment += 1;
        id
    }
}
