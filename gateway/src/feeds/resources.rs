//! The upstream resource cache: each Tampuuri resource a feed is built from, cached per
//! account, fetched by exactly one call however many requests miss it at once.
//!
//! - **Single flight**: concurrent misses on one key join one fetch. The fetch runs in its
//!   own task, so it completes and fills the cache even if every waiting request gives up.
//! - **TTL**: an entry is fresh for `ttl`; after that the next reader refetches.
//! - **Invalidation**: a webhook marks an entry stale at once; the stale value is kept.
//! - **Stale-if-error**: when a refetch fails, the old value is served (and marked stale) as
//!   long as it is younger than `max_stale`.
//!
//! Freshness uses `tokio::time::Instant`, so tests move time with `tokio::time::pause` and
//! `advance` instead of sleeping.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

use super::compact;
use crate::upstream::tampuuri::model::{
    Announcement, ConnectionQuery, ConnectionRole, Object, ObjectKind, ReportQuery, ReportState,
};
use crate::upstream::tampuuri::{Tampuuri, UpstreamError};

/// A Tampuuri resource a display feed needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// A fetched value, reduced to what feeds need (see [`super::compact`]).
#[derive(Debug)]
pub enum ResourceData {
    /// One object (a building or a property).
    Object(Object),
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

/// A cached value with its age.
#[derive(Debug)]
pub struct Cached {
    /// The value.
    pub data: ResourceData,
    /// Wall-clock time of the fetch (shown as `data_as_of`).
    pub fetched_at: DateTime<Utc>,
    /// Monotonic time of the fetch (freshness).
    pub fetched: Instant,
    invalidated: AtomicBool,
}

impl Cached {
    fn new(data: ResourceData) -> Self {
        Self {
            data,
            fetched_at: Utc::now(),
            fetched: Instant::now(),
            invalidated: AtomicBool::new(false),
        }
    }

    /// Whether the value is within `ttl` and not invalidated.
    pub fn is_fresh(&self, ttl: Duration) -> bool {
        !self.invalidated.load(Ordering::Acquire) && self.fetched.elapsed() < ttl
    }
}

/// A value handed to a feed, with whether it was served past its freshness.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The value.
    pub value: Arc<Cached>,
    /// True when a refetch failed and the old value stands in (stale-if-error).
    pub stale: bool,
    /// Until when the value counts as fresh.
    pub fresh_until: Instant,
}

type Flight = Shared<BoxFuture<'static, Result<Arc<Cached>, UpstreamError>>>;

/// The cache.
pub struct ResourceCache {
    tampuuri: Tampuuri,
    entries: moka::sync::Cache<ResourceKey, Arc<Cached>>,
    flights: Arc<Mutex<HashMap<ResourceKey, Flight>>>,
    ttl: Freshness,
    max_stale: Duration,
}

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

impl ResourceCache {
    /// A cache over `tampuuri` holding at most `capacity` resources.
    pub fn new(tampuuri: Tampuuri, capacity: u64, ttl: Freshness, max_stale: Duration) -> Self {
        Self {
            tampuuri,
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                // Unused resources go after a day; freshness is checked separately.
                .time_to_idle(Duration::from_secs(86_400).max(max_stale))
                .build(),
            flights: Arc::default(),
            ttl,
            max_stale,
        }
    }

    /// How long values are fresh.
    pub fn freshness(&self) -> Freshness {
        self.ttl
    }

    /// The value of `key`: cached if fresh, else fetched (once for all concurrent callers),
    /// else the old value if the fetch failed and it is not too old.
    pub async fn get(&self, key: &ResourceKey) -> Result<Fetched, UpstreamError> {
        let ttl = self.ttl.of(&key.resource);
        let current = self.entries.get(key);
        if let Some(value) = &current
            && value.is_fresh(ttl)
        {
            return Ok(Fetched {
                fresh_until: value.fetched + ttl,
                value: Arc::clone(value),
                stale: false,
            });
        }
        match self.flight(key).await {
            Ok(value) => Ok(Fetched {
                fresh_until: value.fetched + ttl,
                value,
                stale: false,
            }),
            Err(error) => match current {
                Some(value) if value.fetched.elapsed() <= self.max_stale => {
                    tracing::warn!(resource = ?key.resource, %error, age_secs = value.fetched.elapsed().as_secs(), "serving stale data");
                    Ok(Fetched {
                        fresh_until: Instant::now(),
                        value,
                        stale: true,
                    })
                }
                _ => Err(error),
            },
        }
    }

    /// Marks `key` stale: the next reader refetches, the old value stays for stale-if-error.
    /// Returns whether anything was cached.
    pub fn invalidate(&self, key: &ResourceKey) -> bool {
        match self.entries.get(key) {
            Some(value) => {
                value.invalidated.store(true, Ordering::Release);
                true
            }
            None => false,
        }
    }

    /// Every cached key of `account` for which `pick` holds.
    pub fn keys_where(&self, account: &str, pick: impl Fn(&Resource) -> bool) -> Vec<ResourceKey> {
        self.entries
            .iter()
            .filter(|(k, _)| &*k.account == account && pick(&k.resource))
            .map(|(k, _)| ResourceKey::clone(&k))
            .collect()
    }

    /// Joins the fetch of `key` in flight, or starts one.
    fn flight(&self, key: &ResourceKey) -> Flight {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(flight) = flights.get(key) {
            return flight.clone();
        }
        let task = tokio::spawn(fetch(
            self.tampuuri.clone(),
            key.clone(),
            self.entries.clone(),
            Arc::clone(&self.flights),
        ));
        let flight = async move {
            task.await.unwrap_or_else(|e| {
                Err(UpstreamError::Unavailable {
                    route: "(cache)",
                    reason: format!("fetch task failed: {e}"),
                    retry_after: None,
                })
            })
        }
        .boxed()
        .shared();
        flights.insert(key.clone(), flight.clone());
        flight
    }
}

/// Fetches one resource, stores it, and ends its flight.
async fn fetch(
    tampuuri: Tampuuri,
    key: ResourceKey,
    entries: moka::sync::Cache<ResourceKey, Arc<Cached>>,
    flights: Arc<Mutex<HashMap<ResourceKey, Flight>>>,
) -> Result<Arc<Cached>, UpstreamError> {
    let result = fetch_data(&tampuuri, &key).await.map(|data| {
        let value = Arc::new(Cached::new(data));
        entries.insert(key.clone(), Arc::clone(&value));
        value
    });
    flights
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&key);
    result
}

async fn fetch_data(tampuuri: &Tampuuri, key: &ResourceKey) -> Result<ResourceData, UpstreamError> {
    let client = tampuuri
        .account(&key.account)
        .ok_or_else(|| UpstreamError::Unauthorized {
            account: key.account.to_string(),
        })?;
    let connections = |object_id, include_descendants, roles| ConnectionQuery {
        object_id,
        include_descendants,
        roles,
    };
    Ok(match key.resource {
        Resource::Object(id) => ResourceData::Object(client.object(id).await?),
        Resource::BuildingTree(id) => {
            let kinds = vec![ObjectKind::Staircase, ObjectKind::Apartment];
            ResourceData::Tree(compact::nodes(&client.descendants(id, kinds).await?))
        }
        Resource::Residents(id) => {
            let query = connections(id, true, vec![ConnectionRole::Resident]);
            ResourceData::Residents(compact::residents(&client.connections(&query).await?))
        }
        Resource::Staff(id) => {
            let roles = vec![
                ConnectionRole::Manager,
                ConnectionRole::Maintenance,
                ConnectionRole::BoardChair,
            ];
            let query = connections(id, false, roles);
            ResourceData::Staff(compact::staff(&client.connections(&query).await?))
        }
        Resource::Announcements(id) => {
            ResourceData::Announcements(compact::announcements(client.announcements(id).await?))
        }
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
            ResourceData::Work(compact::work(&client.fault_reports(&query).await?))
        }
    })
}
