//! The upstream resources a feed is built from, cached per account in a [`FlightCache`]:
//! single flight, freshness per kind of resource, stale-if-error, and invalidation that
//! wins over any fetch begun before it.
//!
//! Where the data comes from is a seam ([`Upstream`]): Tampuuri in production, a fake in
//! tests. What comes back is reduced by [`super::compact`] (the privacy rule applied where
//! the data enters) before it is stored.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::compact;
use crate::cache::{Entry, Fetched, FlightCache};
use crate::upstream::tampuuri::model::{
    Announcement, Connection, ConnectionQuery, ConnectionRole, FaultReport, Object, ReportQuery,
    ReportState,
};
use crate::upstream::tampuuri::{Tampuuri, UpstreamError};

/// A Tampuuri resource a display feed needs.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Resource {
    /// `GET kohteet/{id}`: a building or a property.
    Object(u64),
    /// `POST kohteet/{id}/selaa` with staircases and apartments: a building's tree.
    BuildingTree(u64),
    /// `POST osapuolet/yhteydet/selaa`: residents of a building (and its descendants).
    Residents(u64),
    /// `POST osapuolet/yhteydet/selaa`: manager, maintenance company and board of a property.
    Staff(u64),
    /// `POST uutiset/selaa`: announcements of a building and its ancestors.
    Announcements(u64),
    /// `POST ilmoitukset/selaa`: open fault reports in a building.
    OpenReports(u64),
}

/// A resource of one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceKey {
    /// Tampuuri account: ids are per account.
    pub account: Arc<str>,
    /// The resource.
    pub resource: Resource,
}

/// What Tampuuri answered for a resource, before [`super::compact`] reduces it.
#[derive(Debug)]
pub enum Raw {
    /// One object.
    Object(Box<Object>),
    /// Objects below a building.
    Objects(Vec<Object>),
    /// Connections with their parties.
    Connections(Vec<Connection>),
    /// Announcements.
    Announcements(Vec<Announcement>),
    /// Fault reports.
    Reports(Vec<FaultReport>),
}

/// Where resources come from.
pub trait Upstream: Send + Sync + 'static {
    /// Reads `key` from the source of truth. The future must not borrow `self`.
    fn fetch(&self, key: &ResourceKey) -> BoxFuture<'static, Result<Raw, UpstreamError>>;

    /// Whether what this source serves for `account` is known to be behind Tampuuri (feeds
    /// built from it are marked stale).
    fn stale(&self, _account: &str) -> bool {
        false
    }

    /// Whether feeds may still be built from what this source has for `account` (not when
    /// it has been cut off from Tampuuri for longer than stale data may be shown).
    fn usable(&self, _account: &str) -> bool {
        true
    }
}

/// The production [`Upstream`]: Tampuuri.
pub struct TampuuriUpstream(pub Tampuuri);

impl Upstream for TampuuriUpstream {
    fn fetch(&self, key: &ResourceKey) -> BoxFuture<'static, Result<Raw, UpstreamError>> {
        let (tampuuri, key) = (self.0.clone(), key.clone());
        async move { fetch_raw(&tampuuri, &key).await }.boxed()
    }
}

/// A fetched value, reduced to what feeds need (see [`super::compact`]).
#[derive(Debug, Clone)]
pub enum ResourceData {
    /// One object (a building or a property).
    Object(Box<Object>),
    /// A building's staircases and apartments.
    Tree(Vec<compact::Node>),
    /// Residents.
    Residents(Vec<compact::Resident>),
    /// Staff.
    Staff(Vec<compact::Staff>),
    /// Announcements.
    Announcements(Vec<Announcement>),
    /// Ongoing work.
    Work(Vec<compact::Work>),
}

/// What a change notification removes from cached data at once, before the refetch that
/// says what may come back: names a change may have made protected never wait for Tampuuri.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Redaction {
    /// Every name and contact of this party.
    Party(u64),
    /// The names of everyone living in this apartment.
    Apartment(u64),
    /// Every contact of a property's staff.
    AllContacts,
}

impl ResourceData {
    /// A copy without what `redaction` removes.
    pub fn redacted(&self, redaction: Redaction) -> Self {
        match (self, redaction) {
            (Self::Residents(list), Redaction::Party(p)) => Self::Residents(
                list.iter()
                    .map(|r| compact::Resident {
                        surname: r.surname.clone().filter(|_| r.party != p),
                        ..r.clone()
                    })
                    .collect(),
            ),
            (Self::Residents(list), Redaction::Apartment(a)) => Self::Residents(
                list.iter()
                    .map(|r| compact::Resident {
                        surname: r.surname.clone().filter(|_| r.apartment != a),
                        ..r.clone()
                    })
                    .collect(),
            ),
            (Self::Staff(list), Redaction::Party(_) | Redaction::AllContacts) => Self::Staff(
                list.iter()
                    .map(|s| compact::Staff {
                        contact: s.contact.clone().filter(|_| {
                            redaction != Redaction::AllContacts
                                && redaction != Redaction::Party(s.party)
                        }),
                        ..s.clone()
                    })
                    .collect(),
            ),
            _ => self.clone(),
        }
    }

    /// Whether a party appears in this data.
    pub fn mentions_party(&self, party: u64) -> bool {
        match self {
            Self::Residents(list) => list.iter().any(|r| r.party == party),
            Self::Staff(list) => list.iter().any(|s| s.party == party),
            _ => false,
        }
    }

    /// Whether residents of this apartment appear in this data.
    pub fn mentions_apartment(&self, apartment: u64) -> bool {
        match self {
            Self::Residents(list) => list.iter().any(|r| r.apartment == apartment),
            _ => false,
        }
    }
}

/// A value handed to a feed build.
pub type FetchedResource = Fetched<ResourceData>;

/// How long each kind of resource stays fresh.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    /// Residents, staff, announcements, open reports: what changes day to day.
    pub volatile: Duration,
    /// Buildings, properties, staircases and apartments: the registry tree, which almost
    /// never changes (and webhooks invalidate it when it does).
    pub structure: Duration,
}

impl Freshness {
    /// The freshness of `resource`.
    pub fn of(&self, resource: &Resource) -> Duration {
        match resource {
            Resource::Object(_) | Resource::BuildingTree(_) => self.structure,
            _ => self.volatile,
        }
    }
}

/// What the cache of feed resources keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every fetched resource, for its freshness (and up to a day unread): a source that is
    /// Tampuuri itself must be spared, and a change's redacted copy rebuilds a feed at once.
    Values,
    /// Only fetches in the air (single flight, invalidation wins over them): for a source
    /// that is already a local copy with its own indexes (the account mirror, whose pending
    /// marks protect a person a change may concern), where a second copy in memory cost
    /// ~10 KB per building. A change that may concern a person then empties the names and
    /// contacts of the feeds it touches until they are rebuilt from the source.
    InFlight,
}

/// The cache of feed resources.
pub struct ResourceCache {
    upstream: Arc<dyn Upstream>,
    cache: FlightCache<ResourceKey, ResourceData>,
    ttl: Freshness,
    keep_work_titles: bool,
}

impl ResourceCache {
    /// A cache over `upstream` holding at most `capacity` resources (none when `keep` is
    /// [`Keep::InFlight`]), serving a value for stale-if-error up to `max_stale`;
    /// `keep_work_titles` keeps the titles of open reports (for
    /// `feeds.show_staff_work_titles`).
    pub fn new(
        upstream: Arc<dyn Upstream>,
        capacity: u64,
        ttl: Freshness,
        max_stale: Duration,
        keep_work_titles: bool,
        joins: prometheus_client::metrics::counter::Counter,
        keep: Keep,
    ) -> Self {
        let cache = match keep {
            // Unused resources go after a day; freshness is checked separately.
            Keep::Values => FlightCache::counting_joins(
                capacity,
                Duration::from_secs(86_400).max(max_stale),
                max_stale,
                Some(joins),
            ),
            Keep::InFlight => FlightCache::transient(Some(joins)),
        };
        Self {
            upstream,
            cache,
            ttl,
            keep_work_titles,
        }
    }

    /// Whether fetched resources are kept after the builds that read them.
    pub fn keeps_values(&self) -> bool {
        self.cache.keeps_values()
    }

    /// How long values are fresh.
    pub fn freshness(&self) -> Freshness {
        self.ttl
    }

    /// Whether the source says `account`'s data is behind Tampuuri.
    pub fn source_stale(&self, account: &str) -> bool {
        self.upstream.stale(account)
    }

    /// Whether feeds may still be built from the source's data of `account`.
    pub fn source_usable(&self, account: &str) -> bool {
        self.upstream.usable(account)
    }

    /// The value of `key` (see [`FlightCache::get`]).
    pub async fn get(&self, key: &ResourceKey) -> Result<FetchedResource, UpstreamError> {
        let upstream = Arc::clone(&self.upstream);
        let (resource, keep_titles) = (key.resource.clone(), self.keep_work_titles);
        let fetch = move || {
            let raw = upstream.fetch(key);
            async move { Ok(reduce(&resource, raw.await?, keep_titles)) }
        };
        self.cache.get(key, self.ttl.of(&key.resource), fetch).await
    }

    /// The stored value of `key`, fresh or not, without fetching.
    pub fn peek(&self, key: &ResourceKey) -> Option<Arc<Entry<ResourceData>>> {
        self.cache.peek(key)
    }

    /// Makes `key` stale, first removing what `redaction` names from it and from any fetch
    /// of it in the air. Returns whether anything was cached or in the air.
    pub fn invalidate(&self, key: &ResourceKey, redaction: Option<Redaction>) -> bool {
        let redact = redaction
            .map(|r| Arc::new(move |d: &ResourceData| d.redacted(r)) as crate::cache::Redaction<_>);
        self.cache.invalidate(key, redact)
    }

    /// Every cached or in-flight key of `account` whose resource `pick` accepts and whose
    /// stored data `holds` (in-flight keys are included whatever they will hold).
    pub fn keys_where(
        &self,
        account: &str,
        pick: impl Fn(&Resource) -> bool,
        holds: impl Fn(&ResourceData) -> bool,
    ) -> Vec<ResourceKey> {
        let mine = |k: &ResourceKey| &*k.account == account && pick(&k.resource);
        let mut keys = self.cache.stored_where(|k, v| mine(k) && holds(v));
        for k in self.cache.in_flight_where(mine) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }
}

fn reduce(resource: &Resource, raw: Raw, keep_titles: bool) -> ResourceData {
    match (resource, raw) {
        (_, Raw::Object(o)) => ResourceData::Object(o),
        (_, Raw::Objects(list)) => ResourceData::Tree(compact::nodes(&list)),
        (Resource::Staff(_), Raw::Connections(list)) => ResourceData::Staff(compact::staff(&list)),
        (_, Raw::Connections(list)) => ResourceData::Residents(compact::residents(&list)),
        (_, Raw::Announcements(list)) => ResourceData::Announcements(compact::announcements(list)),
        (_, Raw::Reports(list)) => ResourceData::Work(compact::work(&list, keep_titles)),
    }
}

async fn fetch_raw(tampuuri: &Tampuuri, key: &ResourceKey) -> Result<Raw, UpstreamError> {
    let client = tampuuri
        .account(&key.account)
        .ok_or_else(|| UpstreamError::Unauthorized {
            account: key.account.to_string(),
        })?;
    Ok(match key.resource {
        Resource::Object(id) => Raw::Object(Box::new(client.object(id).await?)),
        // Every descendant, not only staircases and apartments by kind: an account may code
        // a kind Rappu does not know (see `compact::nodes`).
        Resource::BuildingTree(id) => Raw::Objects(client.descendants(id, Vec::new()).await?),
        Resource::Residents(id) => {
            let query = ConnectionQuery {
                object_id: Some(id),
                include_descendants: true,
                roles: vec![ConnectionRole::Resident],
                ..ConnectionQuery::default()
            };
            Raw::Connections(client.connections(&query).await?)
        }
        Resource::Staff(id) => {
            let query = ConnectionQuery {
                object_id: Some(id),
                roles: vec![
                    ConnectionRole::Manager,
                    ConnectionRole::Maintenance,
                    ConnectionRole::BoardChair,
                ],
                ..ConnectionQuery::default()
            };
            let mut staff = client.connections(&query).await?;
            hide_where_asked_anywhere(client, &mut staff).await?;
            Raw::Connections(staff)
        }
        Resource::Announcements(id) => Raw::Announcements(client.announcements(id).await?),
        Resource::OpenReports(id) => {
            let query = ReportQuery {
                object_id: Some(id),
                states: vec![
                    ReportState::Open,
                    ReportState::Received,
                    ReportState::Waiting,
                ],
                ..ReportQuery::default()
            };
            Raw::Reports(client.fault_reports(&query).await?)
        }
    })
}

/// A person who asked to be left off the display on any of their connections (typically
/// their own resident connection) is left off as staff too: a board chair is a resident who
/// may make that wish without a board decision. One call per staff person, made only when
/// the property's staff is (re)read.
async fn hide_where_asked_anywhere(
    client: &crate::upstream::tampuuri::TampuuriClient,
    staff: &mut [Connection],
) -> Result<(), UpstreamError> {
    let today = rappu_shared::finnish_time::local_date(chrono::Utc::now());
    let mut asked = std::collections::HashMap::new();
    for c in staff.iter() {
        if super::privacy::is_company(&c.party) || asked.contains_key(&c.party.id) {
            continue;
        }
        let query = ConnectionQuery {
            party_id: Some(c.party.id),
            ..ConnectionQuery::default()
        };
        let theirs = client.connections(&query).await?;
        let hidden = theirs.iter().any(|t| {
            t.party.id == c.party.id
                && t.hide_from_display == Some(true)
                && t.ends.is_none_or(|e| e >= today)
        });
        asked.insert(c.party.id, hidden);
    }
    for c in staff.iter_mut() {
        if asked.get(&c.party.id) == Some(&true) {
            c.hide_from_display = Some(true);
        }
    }
    Ok(())
}
