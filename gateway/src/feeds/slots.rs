//! The feed service: one slot per display scope, each holding its current rendered feed.
//!
//! A request reads the slot (a cache lookup and an `Arc` clone). Past its freshness, the
//! slot still answers at once and rebuilds in the background, one rebuild at a time
//! (stale-while-revalidate). After a webhook marks it dirty, the next reader waits for the
//! rebuild, and a slot that displays are subscribed to (SSE) rebuilds straight away, so a
//! change reaches the screens within a second. New content is sent on the slot's `watch`
//! channel; unchanged content keeps its bytes and ETag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use rappu_shared::finnish_time;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::assemble::{AssembleError, Inputs, assemble};
use super::index::{AccountIndex, BuildingFootprint};
use super::render::RenderedFeed;
use super::resources::{Fetched, Freshness, Resource, ResourceCache, ResourceData, ResourceKey};
use crate::config::Settings;
use crate::upstream::tampuuri::model::ObjectKind;
use crate::upstream::tampuuri::{Tampuuri, UpstreamError};

/// How soon a feed built from stale data retries Tampuuri.
const STALE_RETRY: Duration = Duration::from_secs(5);
/// Longest a request waits for a changed feed before taking the previous version.
const DIRTY_WAIT: Duration = Duration::from_secs(2);

/// A display's scope: an account's building, or one staircase of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeedKey {
    /// Index of the Tampuuri account (see [`FeedService::key`]).
    pub account: u32,
    /// Building object id.
    pub building: u64,
    /// Staircase object id.
    pub staircase: Option<u64>,
}

/// Why a feed is not available.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FeedError {
    /// Tampuuri failed and there is no usable older data.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The display's building is not a building in Tampuuri.
    #[error("the display's building does not exist")]
    NotABuilding,
    /// The display's staircase is not in its building.
    #[error(transparent)]
    Assemble(#[from] AssembleError),
    /// A bug.
    #[error("internal: {0}")]
    Internal(String),
}

type Flight = Shared<BoxFuture<'static, Result<Arc<RenderedFeed>, FeedError>>>;

/// One display scope's current feed.
pub struct Slot {
    tx: watch::Sender<Option<Arc<RenderedFeed>>>,
    dirty: AtomicBool,
    flight: Mutex<Option<Flight>>,
}

impl Slot {
    fn new() -> Self {
        Self {
            tx: watch::Sender::new(None),
            dirty: AtomicBool::new(false),
            flight: Mutex::new(None),
        }
    }

    /// The current feed, if built.
    pub fn current(&self) -> Option<Arc<RenderedFeed>> {
        self.tx.borrow().clone()
    }

    /// A receiver told about every new version.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<RenderedFeed>>> {
        self.tx.subscribe()
    }

    fn watched(&self) -> bool {
        self.tx.receiver_count() > 0
    }
}

/// Display feeds of every account; cheap to clone.
#[derive(Clone)]
pub struct FeedService {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: Vec<Arc<str>>,
    resources: ResourceCache,
    /// Looked up on every poll; keys are ours, not a caller's, so a fast hasher is safe.
    slots: moka::sync::Cache<FeedKey, Arc<Slot>, foldhash::fast::RandomState>,
    index: Mutex<Vec<AccountIndex>>,
    max_stale: Duration,
}

impl FeedService {
    /// A service over `tampuuri`; `webhooks_on` selects the freshness (see [`Settings::feed_ttl`]).
    pub fn new(tampuuri: &Tampuuri, settings: &Settings, webhooks_on: bool) -> Self {
        let accounts: Vec<Arc<str>> = tampuuri.account_names().map(Arc::from).collect();
        let feeds = &settings.feeds;
        let max_stale = Duration::from_secs(feeds.max_stale_secs);
        Self {
            inner: Arc::new(Inner {
                index: Mutex::new(accounts.iter().map(|_| AccountIndex::default()).collect()),
                accounts,
                resources: ResourceCache::new(
                    tampuuri.clone(),
                    feeds.capacity.saturating_mul(8),
                    Freshness {
                        volatile: settings.feed_ttl(webhooks_on),
                        structure: Duration::from_secs(feeds.structure_refresh_secs)
                            .max(settings.feed_ttl(webhooks_on)),
                    },
                    max_stale,
                ),
                slots: moka::sync::Cache::builder()
                    .max_capacity(feeds.capacity)
                    .time_to_idle(Duration::from_secs(86_400))
                    .build_with_hasher(foldhash::fast::RandomState::default()),
                max_stale,
            }),
        }
    }

    /// The key of a display scope, if the account is served.
    pub fn key(&self, account: &str, building: u64, staircase: Option<u64>) -> Option<FeedKey> {
        let index = self.inner.accounts.iter().position(|a| &**a == account)?;
        Some(FeedKey {
            account: u32::try_from(index).ok()?,
            building,
            staircase,
        })
    }

    /// The slot of `key`, created empty if new.
    pub fn slot(&self, key: FeedKey) -> Arc<Slot> {
        self.inner.slots.get_with(key, || Arc::new(Slot::new()))
    }

    /// The current feed of `key` (see the module doc for when this waits).
    pub async fn get(&self, key: FeedKey) -> Result<Arc<RenderedFeed>, FeedError> {
        let slot = self.slot(key);
        let Some(current) = slot.current() else {
            return self.rebuild(key, &slot).await;
        };
        let now = Instant::now();
        if !slot.dirty.load(Ordering::Acquire) {
            if now < current.fresh_until {
                return Ok(current);
            }
            if now.duration_since(current.oldest_fetch) <= self.inner.max_stale {
                // Stale-while-revalidate: answer now; the rebuild runs in its own task.
                drop(self.rebuild(key, &slot));
                return Ok(current);
            }
        }
        // Changed (webhook) or too old: wait for the new version, but not for long, and
        // fall back to the previous one while Tampuuri is slow or failing.
        let usable = now.duration_since(current.oldest_fetch) <= self.inner.max_stale;
        // Boxed: this rare wait's timer would otherwise enlarge every poll's future.
        match Box::pin(tokio::time::timeout(DIRTY_WAIT, self.rebuild(key, &slot))).await {
            Ok(Ok(feed)) => Ok(feed),
            Ok(Err(FeedError::Upstream(e))) if usable => {
                tracing::warn!(error = %e, "rebuild failed; serving the previous feed");
                Ok(current)
            }
            Err(_) if usable => Ok(current),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(FeedError::Upstream(UpstreamError::Unavailable {
                route: "(feed)",
                reason: "timeout".into(),
                retry_after: None,
            })),
        }
    }

    /// Joins the rebuild of `key` in flight, or starts one in its own task.
    fn rebuild(&self, key: FeedKey, slot: &Arc<Slot>) -> Flight {
        let mut flight = slot.flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(running) = flight.as_ref() {
            return running.clone();
        }
        // Cleared before building: an invalidation during the build dirties it again.
        slot.dirty.store(false, Ordering::Release);
        let service = self.clone();
        let building = Arc::clone(slot);
        let task = tokio::spawn(async move {
            let result = service.build(key, &building).await;
            *building.flight.lock().unwrap_or_else(|p| p.into_inner()) = None;
            if let Err(e) = &result {
                tracing::warn!(error = %e, building = key.building, "feed rebuild failed");
            }
            result
        });
        let shared = async move {
            task.await
                .unwrap_or_else(|e| Err(FeedError::Internal(format!("feed build task: {e}"))))
        }
        .boxed()
        .shared();
        *flight = Some(shared.clone());
        shared
    }

    fn resource(&self, account: &Arc<str>, resource: Resource) -> ResourceKey {
        ResourceKey {
            account: Arc::clone(account),
            resource,
        }
    }

    async fn fetch(&self, account: &Arc<str>, resource: Resource) -> Result<Fetched, FeedError> {
        Ok(self
            .inner
            .resources
            .get(&self.resource(account, resource))
            .await?)
    }

    async fn build(&self, key: FeedKey, slot: &Slot) -> Result<Arc<RenderedFeed>, FeedError> {
        let account = self
            .inner
            .accounts
            .get(key.account as usize)
            .cloned()
            .ok_or_else(|| FeedError::Internal("unknown account index".into()))?;
        let b = key.building;
        let building = match self.fetch(&account, Resource::Object(b)).await {
            Err(FeedError::Upstream(UpstreamError::NotFound { .. })) => {
                return Err(FeedError::NotABuilding);
            }
            other => other?,
        };
        let ResourceData::Object(building_object) = &building.value.data else {
            return Err(FeedError::Internal("building is not an object".into()));
        };
        if building_object.kind != ObjectKind::Building {
            return Err(FeedError::NotABuilding);
        }
        let property_id = building_object.cost_centre_id;
        let optional = |resource: Option<Resource>| {
            let account = Arc::clone(&account);
            async move {
                match resource {
                    Some(r) => self.fetch(&account, r).await.map(Some),
                    None => Ok(None),
                }
            }
        };
        let (tree, residents, announcements, reports, staff, property) = tokio::join!(
            self.fetch(&account, Resource::BuildingTree(b)),
            self.fetch(&account, Resource::Residents(b)),
            self.fetch(&account, Resource::Announcements(b)),
            self.fetch(&account, Resource::OpenReports(b)),
            optional(property_id.map(Resource::Staff)),
            optional(property_id.map(Resource::Object)),
        );
        let (tree, residents, announcements, reports, staff, property) = (
            tree?,
            residents?,
            announcements?,
            reports?,
            staff?,
            property?,
        );

        let mut all: Vec<&Fetched> = vec![&building, &tree, &residents, &announcements, &reports];
        all.extend(staff.iter());
        all.extend(property.iter());
        let stale = all.iter().any(|f| f.stale);
        let oldest_fetch = all
            .iter()
            .map(|f| f.value.fetched)
            .min()
            .unwrap_or_else(Instant::now);
        let data_as_of = all
            .iter()
            .map(|f| f.value.fetched_at)
            .min()
            .unwrap_or_else(Utc::now);
        let now = Utc::now();
        let mut fresh_until = if stale {
            Instant::now() + STALE_RETRY
        } else {
            all.iter()
                .map(|f| f.fresh_until)
                .min()
                .unwrap_or_else(Instant::now)
        };
        // Residents move in and out by date: rebuild at Finnish midnight at the latest.
        let to_midnight = (finnish_time::next_local_midnight(now) - now)
            .to_std()
            .unwrap_or(Duration::ZERO);
        fresh_until = fresh_until.min(Instant::now() + to_midnight);

        let data = |f: &Fetched| Arc::clone(&f.value);
        let (tree_v, residents_v, news_v, work_v) = (
            data(&tree),
            data(&residents),
            data(&announcements),
            data(&reports),
        );
        let (nodes, residents_list, news, work) = (
            match &tree_v.data {
                ResourceData::Tree(v) => v.as_slice(),
                _ => &[],
            },
            match &residents_v.data {
                ResourceData::Residents(v) => v.as_slice(),
                _ => &[],
            },
            match &news_v.data {
                ResourceData::Announcements(v) => v.as_slice(),
                _ => &[],
            },
            match &work_v.data {
                ResourceData::Work(v) => v.as_slice(),
                _ => &[],
            },
        );
        let staff_list = match staff.as_ref().map(|s| &s.value.data) {
            Some(ResourceData::Staff(v)) => v.as_slice(),
            _ => &[],
        };
        let property_object = match property.as_ref().map(|p| &p.value.data) {
            Some(ResourceData::Object(o)) => Some(o),
            _ => None,
        };
        let inputs = Inputs {
            building: building_object,
            property: property_object,
            tree: nodes,
            residents: residents_list,
            staff: staff_list,
            announcements: news,
            work,
            staircase: key.staircase,
            now,
            today: finnish_time::local_date(now),
        };
        let mut feed = assemble(&inputs, now, data_as_of, stale)?;

        let footprint = BuildingFootprint {
            property: property_id,
            objects: std::iter::once(b)
                .chain(nodes.iter().map(|n| n.id))
                .chain(property_id)
                .collect(),
            parties: residents_list
                .iter()
                .map(|r| r.party)
                .chain(staff_list.iter().map(|s| s.party))
                .collect(),
        };
        if let Some(index) = self
            .inner
            .index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(key.account as usize)
        {
            index.record(b, footprint);
        }

        if let Some(previous) = slot.current() {
            // Unchanged content keeps its bytes, its generated_at and its ETag.
            feed.generated_at = previous.generated_at;
            let body = serde_json::to_vec(&feed).map_err(|e| FeedError::Internal(e.to_string()))?;
            if body == previous.body {
                let same = Arc::new(previous.refreshed(fresh_until, oldest_fetch));
                // Same bytes: update freshness without waking subscribers.
                slot.tx.send_if_modified(|v| {
                    *v = Some(Arc::clone(&same));
                    false
                });
                return Ok(same);
            }
            feed.generated_at = now;
        }
        let rendered = Arc::new(
            RenderedFeed::render(&feed, fresh_until, oldest_fetch)
                .map_err(|e| FeedError::Internal(e.to_string()))?,
        );
        slot.tx.send_replace(Some(Arc::clone(&rendered)));
        Ok(rendered)
    }

    /// Marks `resources` of `account` stale and rebuilds the feeds of `buildings`: at once
    /// where displays are subscribed, else on their next request. Returns the number of
    /// feeds affected.
    pub fn invalidate(&self, account: &str, resources: &[Resource], buildings: &[u64]) -> usize {
        let Some(account_index) = self.inner.accounts.iter().position(|a| &**a == account) else {
            return 0;
        };
        let account: Arc<str> = Arc::clone(&self.inner.accounts[account_index]);
        for resource in resources {
            self.inner
                .resources
                .invalidate(&self.resource(&account, resource.clone()));
        }
        let mut affected = 0;
        for (key, slot) in self.inner.slots.iter() {
            if key.account as usize == account_index && buildings.contains(&key.building) {
                slot.dirty.store(true, Ordering::Release);
                affected += 1;
                if slot.watched() {
                    drop(self.rebuild(*key, &slot));
                }
            }
        }
        affected
    }

    /// Reads the index of `account`.
    pub fn with_index<R>(&self, account: &str, f: impl FnOnce(&AccountIndex) -> R) -> Option<R> {
        let position = self.inner.accounts.iter().position(|a| &**a == account)?;
        let index = self.inner.index.lock().unwrap_or_else(|p| p.into_inner());
        index.get(position).map(f)
    }

    /// Cached resource keys of `account` matching `pick` (for invalidating unknown ids).
    pub fn cached_resources(
        &self,
        account: &str,
        pick: impl Fn(&Resource) -> bool,
    ) -> Vec<Resource> {
        self.inner
            .resources
            .keys_where(account, pick)
            .into_iter()
            .map(|k| k.resource)
            .collect()
    }

    /// Keeps watched feeds fresh without requests (SSE-only displays, polling fallback):
    /// every `every`, rebuilds each subscribed slot that is past its freshness or dirty.
    pub fn spawn_refresher(&self, every: Duration, stop: CancellationToken) -> JoinHandle<()> {
        let service = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = tick.tick() => service.refresh_watched(),
                }
            }
        })
    }

    fn refresh_watched(&self) {
        let now = Instant::now();
        for (key, slot) in self.inner.slots.iter() {
            if !slot.watched() {
                continue;
            }
            let due = slot.dirty.load(Ordering::Acquire)
                || slot.current().is_none_or(|f| now >= f.fresh_until);
            if due {
                drop(self.rebuild(*key, &slot));
            }
        }
    }
}
