//! The feed service: one slot per display scope, each holding its current rendered feed.
//!
//! A request reads the slot (a cache lookup and an `Arc` clone). Past its freshness, the
//! slot still answers at once and rebuilds in the background, one rebuild at a time
//! (stale-while-revalidate). New content is sent on the slot's `watch` channel (SSE
//! subscribers); unchanged content keeps its bytes and ETag.
//!
//! **Generations.** Every invalidation of what a slot's feed is built from bumps the slot's
//! generation before the notification is answered. A rebuild remembers the generation it
//! started at and publishes only if the slot is still at that generation, so a rebuild that
//! read Tampuuri before a change can never publish after it; readers arriving later start
//! (or join) a rebuild at the new generation. A slot whose published feed is older than its
//! generation is *dirty*: the next reader waits briefly for the rebuild, and a slot that
//! displays are subscribed to rebuilds straight away. When the change may concern a
//! person, the slot is also rebuilt at once from the cache, whose copies the notification
//! has just redacted ([`super::resources::Redaction`]), and that *provisional* feed is
//! published before the notification is answered: a name that became protected leaves every
//! screen at once, however slow Tampuuri is to answer the real rebuild. When nothing is
//! kept to rebuild from ([`Keep::InFlight`], over the account mirror), the provisional feed
//! is the current one without any name or contact, until the rebuild from the source (whose
//! pending marks hide whom the change may concern) replaces it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use chrono::Utc;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use rappu_shared::display::{DisplayFeed, FeedContacts};
use rappu_shared::finnish_time;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::assemble::{AssembleError, Inputs, WorkTitles, assemble};
use super::index::{AccountIndex, BuildingFootprint};
use super::render::{PlainBodies, RenderedFeed, etag_of};
use super::resources::{
    FetchedResource, Freshness, Keep, Redaction, Resource, ResourceCache, ResourceData,
    ResourceKey, TampuuriUpstream, Upstream,
};
use crate::cache::Fetched;
use crate::coarse::{CoarseClock, LastUsed};
use crate::config::Settings;
use crate::metrics::FeedMetrics;
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

type SlotCache = quick_cache::sync::Cache<
    FeedKey,
    Arc<Slot>,
    quick_cache::UnitWeighter,
    foldhash::fast::RandomState,
>;

/// A slot nobody asked for in this long (seconds) and nobody watches is dropped.
pub const IDLE_SLOT_SECS: u32 = 86_400;

/// How often idle slots are looked for (seconds).
const SWEEP_EVERY_SECS: u32 = 600;

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

struct SlotFlight {
    generation: u64,
    shared: Flight,
}

/// [`Slot::property`] before any build has said.
const PROPERTY_UNKNOWN: u64 = 0;
/// [`Slot::property`] after builds disagreed (the building moved): any property may be it.
const PROPERTY_AMBIGUOUS: u64 = u64::MAX;

/// One display scope's current feed.
pub struct Slot {
    /// The version polls get: read without writing to shared memory (a lock's reader
    /// count here shared a cache line with `generation` and cost the cached feed 5-10 %
    /// at 512 connections on two cores).
    current: ArcSwapOption<RenderedFeed>,
    /// Made by the first subscriber (an SSE stream or a long poll) and then kept up to
    /// date with `current`: a watch channel takes ~300 bytes (eight `Notify`s for its
    /// receivers), and most slots are polled, never watched (part 3: 10,000 feeds). The
    /// lock also orders publications, and a new channel after every earlier one.
    watchers: Mutex<Option<watch::Sender<Option<Arc<RenderedFeed>>>>>,
    generation: AtomicU64,
    flight: Mutex<Option<SlotFlight>>,
    /// The property (cost centre) its builds found the building in, so an invalidation
    /// knows whether a property's staff or object concerns this feed without keeping the
    /// building's data: [`PROPERTY_UNKNOWN`] until a build says, [`PROPERTY_AMBIGUOUS`]
    /// once two builds disagreed. Either counts as "could be any property".
    property: AtomicU64,
    /// When a request last asked for it ([`FeedService::slot`]); a slot nobody asked for in
    /// [`IDLE_SLOT_SECS`] and nobody watches is dropped ([`FeedService::tick`]).
    used: LastUsed,
}

impl Slot {
    #[cfg(test)]
    fn new() -> Self {
        Self::used_at(0)
    }

    fn used_at(now: u32) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            watchers: Mutex::new(None),
            generation: AtomicU64::new(0),
            flight: Mutex::new(None),
            property: AtomicU64::new(PROPERTY_UNKNOWN),
            used: LastUsed::at(now),
        }
    }

    /// The property the feed is built from, when known for sure.
    fn property(&self) -> Option<u64> {
        match self.property.load(Ordering::Acquire) {
            PROPERTY_UNKNOWN | PROPERTY_AMBIGUOUS => None,
            p => Some(p),
        }
    }

    /// Records the property a build found; a second, different one makes it ambiguous for
    /// good (a build that lost the race may have read the older one).
    fn record_property(&self, property: Option<u64>) {
        let p = property.unwrap_or(PROPERTY_AMBIGUOUS);
        if let Err(current) =
            self.property
                .compare_exchange(PROPERTY_UNKNOWN, p, Ordering::AcqRel, Ordering::Acquire)
            && current != p
        {
            self.property.store(PROPERTY_AMBIGUOUS, Ordering::Release);
        }
    }

    /// The current feed, if built.
    pub fn current(&self) -> Option<Arc<RenderedFeed>> {
        self.current.load_full()
    }

    fn watchers(&self) -> MutexGuard<'_, Option<watch::Sender<Option<Arc<RenderedFeed>>>>> {
        self.watchers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A receiver told about every new version.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<RenderedFeed>>> {
        // Under the lock publications take, so none falls between reading `current` for a
        // new channel and subscribing to it.
        self.watchers()
            .get_or_insert_with(|| watch::Sender::new(self.current.load_full()))
            .subscribe()
    }

    fn watched(&self) -> bool {
        self.watchers()
            .as_ref()
            .is_some_and(|tx| tx.receiver_count() > 0)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether `feed` is this slot's settled version: built at the current generation from
    /// fetched (not provisional) data.
    fn settled(&self, feed: &RenderedFeed) -> bool {
        feed.generation == self.generation() && !feed.provisional
    }

    /// Publishes `feed` if the slot is still at its generation; `wake` tells subscribers.
    fn publish(&self, feed: &Arc<RenderedFeed>, wake: bool) -> bool {
        let watchers = self.watchers();
        if self.generation() != feed.generation {
            return false;
        }
        self.current.store(Some(Arc::clone(feed)));
        if let Some(tx) = watchers.as_ref() {
            tx.send_if_modified(|watched| {
                *watched = Some(Arc::clone(feed));
                wake
            });
        }
        true
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
    /// `quick_cache` rather than `moka`: ~0.3 KB less a slot (3 MB with 10,000 feeds, README
    /// "Memory (part 3)"); idle slots are dropped by [`FeedService::tick`].
    slots: SlotCache,
    /// Stamps the slots' uses ([`Slot::used`]).
    clock: CoarseClock,
    /// The clock's second of the last sweep of idle slots.
    swept_at: AtomicU32,
    /// Kept only with the resources ([`Keep::Values`]): over the account mirror the webhook
    /// fallback that reads it counts every built feed as concerned instead.
    index: Mutex<Vec<AccountIndex>>,
    /// The plain JSON of the versions last asked for without gzip.
    plain: PlainBodies,
    max_stale: Duration,
    work_titles: WorkTitles,
    metrics: FeedMetrics,
}

/// What a feed is built from, fetched or peeked.
struct Gathered {
    building: FetchedResource,
    tree: FetchedResource,
    residents: FetchedResource,
    announcements: FetchedResource,
    reports: FetchedResource,
    staff: Option<FetchedResource>,
    property: Option<FetchedResource>,
}

impl FeedService {
    /// A service over `tampuuri`; `webhooks_on` selects the freshness (see [`Settings::feed_ttl`]).
    /// Hits, misses, stale serves and single-flight joins are counted in `metrics`.
    pub fn new(
        tampuuri: &Tampuuri,
        settings: &Settings,
        webhooks_on: bool,
        metrics: FeedMetrics,
    ) -> Self {
        let accounts = tampuuri.account_names().map(Arc::from).collect();
        Self::observed(
            Arc::new(TampuuriUpstream(tampuuri.clone())),
            accounts,
            settings,
            webhooks_on,
            metrics,
            Keep::Values,
        )
    }

    /// A service over any [`Upstream`] (tests use a fake) for `accounts`, keeping the
    /// resources it reads.
    pub fn with_upstream(
        upstream: Arc<dyn Upstream>,
        accounts: Vec<Arc<str>>,
        settings: &Settings,
        webhooks_on: bool,
    ) -> Self {
        Self::with_upstream_keeping(upstream, accounts, settings, webhooks_on, Keep::Values)
    }

    /// [`FeedService::with_upstream`], keeping what `keep` says of the resources it reads.
    pub fn with_upstream_keeping(
        upstream: Arc<dyn Upstream>,
        accounts: Vec<Arc<str>>,
        settings: &Settings,
        webhooks_on: bool,
        keep: Keep,
    ) -> Self {
        Self::observed(
            upstream,
            accounts,
            settings,
            webhooks_on,
            FeedMetrics::detached(),
            keep,
        )
    }

    /// A service over `upstream` (the account mirror) counting hits, misses, stale serves
    /// and single-flight joins in `metrics`; `keep` says whether the resources read are kept
    /// (see [`Keep`]).
    pub fn observed(
        upstream: Arc<dyn Upstream>,
        accounts: Vec<Arc<str>>,
        settings: &Settings,
        webhooks_on: bool,
        metrics: FeedMetrics,
        keep: Keep,
    ) -> Self {
        let feeds = &settings.feeds;
        let max_stale = Duration::from_secs(feeds.max_stale_secs);
        let work_titles = if feeds.show_staff_work_titles {
            WorkTitles::Staff
        } else {
            WorkTitles::None
        };
        Self {
            inner: Arc::new(Inner {
                index: Mutex::new(accounts.iter().map(|_| AccountIndex::default()).collect()),
                accounts,
                resources: ResourceCache::new(
                    upstream,
                    feeds.capacity.saturating_mul(8),
                    Freshness {
                        volatile: settings.feed_ttl(webhooks_on),
                        structure: Duration::from_secs(feeds.structure_refresh_secs)
                            .max(settings.feed_ttl(webhooks_on)),
                    },
                    max_stale,
                    work_titles == WorkTitles::Staff,
                    metrics.joins_data.clone(),
                    keep,
                ),
                slots: quick_cache::sync::Cache::with(
                    usize::try_from(feeds.capacity).unwrap_or(usize::MAX),
                    feeds.capacity,
                    quick_cache::UnitWeighter,
                    foldhash::fast::RandomState::default(),
                    quick_cache::sync::DefaultLifecycle::default(),
                ),
                clock: CoarseClock::default(),
                swept_at: AtomicU32::new(0),
                plain: PlainBodies::default(),
                max_stale,
                work_titles,
                metrics,
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

    /// The slot of `key`, created empty if new; stamped as used.
    pub fn slot(&self, key: FeedKey) -> Arc<Slot> {
        let now = self.inner.clock.now();
        let slot = self
            .inner
            .slots
            .get_or_insert_with(&key, || {
                Ok::<_, std::convert::Infallible>(Arc::new(Slot::used_at(now)))
            })
            .unwrap_or_else(|never| match never {});
        slot.used.touch(now);
        slot
    }

    /// Advances the clock slots are stamped with (once a second), and every
    /// [`SWEEP_EVERY_SECS`] drops the slots nobody asked for in [`IDLE_SLOT_SECS`] and
    /// nobody watches. Returns how many were dropped.
    pub fn tick(&self) -> usize {
        let now = self.inner.clock.tick();
        let swept = self.inner.swept_at.load(Ordering::Relaxed);
        if now.saturating_sub(swept) < SWEEP_EVERY_SECS
            || self
                .inner
                .swept_at
                .compare_exchange(swept, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return 0;
        }
        self.drop_idle(now)
    }

    /// Drops the slots nobody asked for in [`IDLE_SLOT_SECS`] before `now`, nobody watches
    /// (an SSE stream keeps its slot however long it stays open, so invalidations keep
    /// reaching it) and nobody holds (a request that has just taken an idle slot, say to
    /// subscribe to it, keeps it in the cache). Returns how many were dropped.
    pub(super) fn drop_idle(&self, now: u32) -> usize {
        let before = self.inner.slots.len();
        self.inner.slots.retain(|_, slot| {
            now.saturating_sub(slot.used.get()) < IDLE_SLOT_SECS
                || Arc::strong_count(slot) > 1
                || slot.watched()
        });
        before.saturating_sub(self.inner.slots.len())
    }

    /// Display scopes with a slot.
    pub fn slots(&self) -> usize {
        self.inner.slots.len()
    }

    /// The JSON of `feed` for a client that does not take gzip: inflated on the first such
    /// request and kept for the next ones while few other versions are asked for
    /// ([`PlainBodies`]).
    pub fn plain_body(&self, feed: &Arc<RenderedFeed>) -> Result<bytes::Bytes, FeedError> {
        self.inner
            .plain
            .body(feed)
            .map_err(|e| FeedError::Internal(e.to_string()))
    }

    /// How many versions keep their plain JSON now (at most [`PlainBodies::CAPACITY`]).
    pub fn plain_bodies_kept(&self) -> usize {
        self.inner.plain.kept()
    }

    /// The current feed of `key` (see the module doc for when this waits).
    pub async fn get(&self, key: FeedKey) -> Result<Arc<RenderedFeed>, FeedError> {
        let slot = self.slot(key);
        let metrics = &self.inner.metrics;
        let Some(current) = slot.current() else {
            metrics.misses.inc();
            return self.rebuild(key, &slot).await;
        };
        let now = Instant::now();
        if slot.settled(&current) {
            if now < current.fresh_until {
                metrics.hits.inc();
                return Ok(current);
            }
            if now.duration_since(current.oldest_fetch) <= self.inner.max_stale {
                // Stale-while-revalidate: answer now; the rebuild runs in its own task.
                metrics.stale_revalidating.inc();
                drop(self.rebuild(key, &slot));
                return Ok(current);
            }
        }
        metrics.misses.inc();
        // Changed (webhook) or too old: wait for the new version, but not for long, and
        // fall back to the previous one while Tampuuri is slow or failing. After a change
        // that may concern a person, "the previous one" is the provisional feed, which
        // already lacks the names the change may concern.
        let usable = now.duration_since(current.oldest_fetch) <= self.inner.max_stale;
        // Boxed: this rare wait's timer would otherwise enlarge every poll's future.
        match Box::pin(tokio::time::timeout(DIRTY_WAIT, self.rebuild(key, &slot))).await {
            Ok(Ok(feed)) => Ok(feed),
            Ok(Err(FeedError::Upstream(e))) if usable => {
                tracing::warn!(error = %e, "rebuild failed; serving the previous feed");
                metrics.stale_upstream_failing.inc();
                Ok(slot.current().unwrap_or(current))
            }
            Err(_) if usable => {
                metrics.stale_upstream_failing.inc();
                Ok(slot.current().unwrap_or(current))
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(FeedError::Upstream(UpstreamError::Unavailable {
                route: "(feed)",
                reason: "timeout".into(),
                retry_after: None,
            })),
        }
    }

    /// Joins the rebuild of `key` at the slot's generation, or starts one in its own task.
    /// An older rebuild still running is not waited for: it cannot publish any more.
    fn rebuild(&self, key: FeedKey, slot: &Arc<Slot>) -> Flight {
        let generation = slot.generation();
        let mut flight = slot.flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(running) = flight.as_ref()
            && running.generation == generation
        {
            self.inner.metrics.joins_feed.inc();
            return running.shared.clone();
        }
        let service = self.clone();
        let building = Arc::clone(slot);
        let task = tokio::spawn(async move {
            let result = service.build(key, &building, generation).await;
            let mut flight = building.flight.lock().unwrap_or_else(|p| p.into_inner());
            if flight.as_ref().is_some_and(|f| f.generation == generation) {
                *flight = None;
            }
            drop(flight);
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
        *flight = Some(SlotFlight {
            generation,
            shared: shared.clone(),
        });
        shared
    }

    fn account_name(&self, key: FeedKey) -> Result<Arc<str>, FeedError> {
        self.inner
            .accounts
            .get(key.account as usize)
            .cloned()
            .ok_or_else(|| FeedError::Internal("unknown account index".into()))
    }

    fn resource(account: &Arc<str>, resource: Resource) -> ResourceKey {
        ResourceKey {
            account: Arc::clone(account),
            resource,
        }
    }

    async fn fetch(
        &self,
        account: &Arc<str>,
        resource: Resource,
    ) -> Result<FetchedResource, FeedError> {
        Ok(self
            .inner
            .resources
            .get(&Self::resource(account, resource))
            .await?)
    }

    /// The stored value of a resource, fresh or not (`None` when not cached).
    fn peek(&self, account: &Arc<str>, resource: Resource) -> Option<FetchedResource> {
        let entry = self
            .inner
            .resources
            .peek(&Self::resource(account, resource))?;
        Some(Fetched {
            fresh_until: Instant::now(),
            entry,
            stale: false,
        })
    }

    async fn build(
        &self,
        key: FeedKey,
        slot: &Slot,
        generation: u64,
    ) -> Result<Arc<RenderedFeed>, FeedError> {
        let account = self.account_name(key)?;
        let b = key.building;
        let building = match self.fetch(&account, Resource::Object(b)).await {
            Err(FeedError::Upstream(UpstreamError::NotFound { .. })) => {
                return Err(FeedError::NotABuilding);
            }
            other => other?,
        };
        let property_id = building_property(&building)?;
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
        let gathered = Gathered {
            building,
            tree: tree?,
            residents: residents?,
            announcements: announcements?,
            reports: reports?,
            staff: staff?,
            property: property?,
        };
        self.finish(key, slot, generation, &gathered, false)
    }

    /// The feed of `key` from cached data only (`None` when something is not cached).
    fn build_cached(
        &self,
        key: FeedKey,
        slot: &Slot,
        generation: u64,
    ) -> Option<Result<Arc<RenderedFeed>, FeedError>> {
        let account = self.account_name(key).ok()?;
        let b = key.building;
        let building = self.peek(&account, Resource::Object(b))?;
        let property_id = building_property(&building).ok()?;
        let peek_optional = |r: Option<Resource>| match r {
            Some(r) => self.peek(&account, r).map(Some),
            None => Some(None),
        };
        let gathered = Gathered {
            tree: self.peek(&account, Resource::BuildingTree(b))?,
            residents: self.peek(&account, Resource::Residents(b))?,
            announcements: self.peek(&account, Resource::Announcements(b))?,
            reports: self.peek(&account, Resource::OpenReports(b))?,
            staff: peek_optional(property_id.map(Resource::Staff))?,
            property: peek_optional(property_id.map(Resource::Object))?,
            building,
        };
        Some(self.finish(key, slot, generation, &gathered, true))
    }

    /// Assembles, renders and publishes (if still at `generation`) the feed of `gathered`.
    fn finish(
        &self,
        key: FeedKey,
        slot: &Slot,
        generation: u64,
        g: &Gathered,
        provisional: bool,
    ) -> Result<Arc<RenderedFeed>, FeedError> {
        let ResourceData::Object(building_object) = &g.building.entry.value else {
            return Err(FeedError::Internal("building is not an object".into()));
        };
        let mut all: Vec<&FetchedResource> = vec![
            &g.building,
            &g.tree,
            &g.residents,
            &g.announcements,
            &g.reports,
        ];
        all.extend(g.staff.iter());
        all.extend(g.property.iter());
        let account = self.account_name(key)?;
        if !self.inner.resources.source_usable(&account) {
            return Err(FeedError::Upstream(UpstreamError::Unavailable {
                route: "(feed)",
                reason: "Tampuuri has failed for longer than stale data may be shown".into(),
                retry_after: None,
            }));
        }
        let source_stale = self.inner.resources.source_stale(&account);
        let stale = source_stale || all.iter().any(|f| f.stale);
        let oldest_fetch = all
            .iter()
            .map(|f| f.entry.fetched)
            .min()
            .unwrap_or_else(Instant::now);
        let data_as_of = all
            .iter()
            .map(|f| f.entry.fetched_at)
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

        let list = |f: &FetchedResource| Arc::clone(&f.entry);
        let (tree, residents, news, work) = (
            list(&g.tree),
            list(&g.residents),
            list(&g.announcements),
            list(&g.reports),
        );
        let (nodes, residents_list, news, work) = (
            match &tree.value {
                ResourceData::Tree(v) => v.as_slice(),
                _ => &[],
            },
            match &residents.value {
                ResourceData::Residents(v) => v.as_slice(),
                _ => &[],
            },
            match &news.value {
                ResourceData::Announcements(v) => v.as_slice(),
                _ => &[],
            },
            match &work.value {
                ResourceData::Work(v) => v.as_slice(),
                _ => &[],
            },
        );
        let staff_list = match g.staff.as_ref().map(|s| &s.entry.value) {
            Some(ResourceData::Staff(v)) => v.as_slice(),
            _ => &[],
        };
        let property_object = match g.property.as_ref().map(|p| &p.entry.value) {
            Some(ResourceData::Object(o)) => Some(o),
            _ => None,
        };
        let inputs = Inputs {
            building: building_object,
            property: property_object.map(|o| &**o),
            tree: nodes,
            residents: residents_list,
            staff: staff_list,
            announcements: news,
            work,
            staircase: key.staircase,
            now,
            today: finnish_time::local_date(now),
            work_titles: self.inner.work_titles,
        };
        let mut feed = assemble(&inputs, now, data_as_of, stale)?;

        slot.record_property(building_object.cost_centre_id);
        if !provisional && self.inner.resources.keeps_values() {
            self.record_footprint(key, building_object.cost_centre_id, nodes);
        }
        self.publish_feed(
            slot,
            &mut feed,
            generation,
            provisional,
            fresh_until,
            oldest_fetch,
        )
    }

    fn record_footprint(
        &self,
        key: FeedKey,
        property: Option<u64>,
        nodes: &[super::compact::Node],
    ) {
        let footprint = BuildingFootprint {
            property,
            objects: std::iter::once(key.building)
                .chain(nodes.iter().map(|n| n.id))
                .chain(property)
                .collect(),
        };
        if let Some(index) = self
            .inner
            .index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(key.account as usize)
        {
            index.record(key.building, footprint);
        }
    }

    /// Renders `feed` and publishes it on `slot` at `generation`; unchanged content keeps
    /// its bytes, its `generated_at` and its ETag, and wakes nobody.
    fn publish_feed(
        &self,
        slot: &Slot,
        feed: &mut DisplayFeed,
        generation: u64,
        provisional: bool,
        fresh_until: Instant,
        oldest_fetch: Instant,
    ) -> Result<Arc<RenderedFeed>, FeedError> {
        let now = feed.generated_at;
        let read_at = feed.data_as_of;
        if let Some(previous) = slot.current() {
            feed.generated_at = previous.generated_at;
            // Unchanged content keeps its times too: the same bytes, the same ETag.
            if previous.stale == feed.stale {
                feed.data_as_of = previous.data_as_of;
            }
            let body =
                serde_json::to_vec(&*feed).map_err(|e| FeedError::Internal(e.to_string()))?;
            // The ETag is the JSON's SHA-256: the same tag, the same bytes (only the gzipped
            // ones are kept to compare with).
            if previous.etag.as_bytes() == etag_of(&body).as_bytes() {
                let mut same = previous.refreshed(fresh_until, oldest_fetch);
                same.generation = generation;
                same.provisional = provisional;
                let same = Arc::new(same);
                slot.publish(&same, false);
                return Ok(same);
            }
            feed.generated_at = now;
            feed.data_as_of = read_at;
        }
        let mut rendered = RenderedFeed::render(feed, fresh_until, oldest_fetch)
            .map_err(|e| FeedError::Internal(e.to_string()))?;
        rendered.generation = generation;
        rendered.provisional = provisional;
        let rendered = Arc::new(rendered);
        slot.publish(&rendered, true);
        Ok(rendered)
    }

    /// The current feed of `slot` with every name and contact removed, published at
    /// `generation`: what a screen shows after a change that may concern a person when the
    /// cache cannot rebuild the feed by itself.
    fn anonymize(&self, slot: &Slot, generation: u64) {
        let Some(current) = slot.current() else {
            return;
        };
        let parsed = current.json().map_err(|e| e.to_string()).and_then(|json| {
            serde_json::from_slice::<DisplayFeed>(&json).map_err(|e| e.to_string())
        });
        let mut feed = match parsed {
            Ok(feed) => feed,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a feed to anonymize it");
                return;
            }
        };
        for apartment in feed
            .staircases
            .iter_mut()
            .flat_map(|s| s.floors.iter_mut())
            .flat_map(|f| f.apartments.iter_mut())
        {
            apartment.names.clear();
        }
        feed.contacts = FeedContacts::default();
        if let Err(e) = self.publish_feed(
            slot,
            &mut feed,
            generation,
            true,
            Instant::now(),
            current.oldest_fetch,
        ) {
            tracing::error!(error = %e, "cannot publish an anonymized feed");
        }
    }

    /// Marks `changes` (resources of `account`, each with what to remove from it at once)
    /// stale and moves every feed built from them to a new generation: rebuilt at once from
    /// the cache where a change may concern a person, rebuilt from Tampuuri straight away
    /// where displays are subscribed, else on the next request. Returns the number of feeds
    /// affected.
    pub fn invalidate(&self, account: &str, changes: &[(Resource, Option<Redaction>)]) -> usize {
        let Some(account_index) = self.inner.accounts.iter().position(|a| &**a == account) else {
            return 0;
        };
        let account: Arc<str> = Arc::clone(&self.inner.accounts[account_index]);
        for (resource, redaction) in changes {
            self.inner
                .resources
                .invalidate(&Self::resource(&account, resource.clone()), *redaction);
        }
        let personal = changes.iter().any(|(_, r)| r.is_some());
        let mut affected = 0;
        for (key, slot) in self.inner.slots.iter() {
            if key.account as usize != account_index {
                continue;
            }
            let property = slot.property();
            if !changes
                .iter()
                .any(|(r, _)| depends_on(key.building, property, r))
            {
                continue;
            }
            affected += 1;
            let generation = slot.generation.fetch_add(1, Ordering::AcqRel) + 1;
            if personal && slot.current().is_some() {
                match self.build_cached(key, &slot, generation) {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "cannot rebuild a feed from the cache");
                        self.anonymize(&slot, generation);
                    }
                    None => self.anonymize(&slot, generation),
                }
            }
            if slot.watched() {
                drop(self.rebuild(key, &slot));
            }
        }
        affected
    }

    /// Every display scope of `account` with a feed built, and that feed.
    pub fn current_feeds(&self, account: &str) -> Vec<(FeedKey, Arc<RenderedFeed>)> {
        let Some(index) = self.inner.accounts.iter().position(|a| &**a == account) else {
            return Vec::new();
        };
        self.inner
            .slots
            .iter()
            .filter(|(key, _)| key.account as usize == index)
            .filter_map(|(key, slot)| slot.current().map(|feed| (key, feed)))
            .collect()
    }

    /// Moves every feed of `account` to a new generation without invalidating anything:
    /// each is rebuilt from cached data (at once where displays are subscribed, else on the
    /// next request), so a change of the source's health shows in its `stale` mark.
    pub fn restamp(&self, account: &str) -> usize {
        let Some(account_index) = self.inner.accounts.iter().position(|a| &**a == account) else {
            return 0;
        };
        let mut affected = 0;
        for (key, slot) in self.inner.slots.iter() {
            if key.account as usize != account_index {
                continue;
            }
            affected += 1;
            slot.generation.fetch_add(1, Ordering::AcqRel);
            if slot.watched() {
                drop(self.rebuild(key, &slot));
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

    /// Cached or in-flight resources of `account` that `pick` accepts and whose stored data
    /// `holds` (in-flight ones whatever they will hold).
    /// When resources are not kept ([`Keep::InFlight`]) nothing can be looked into: every
    /// resource a built feed of `account` reads counts as holding what is asked.
    pub fn resources_where(
        &self,
        account: &str,
        pick: impl Fn(&Resource) -> bool,
        holds: impl Fn(&ResourceData) -> bool,
    ) -> Vec<Resource> {
        let mut found: Vec<Resource> = self
            .inner
            .resources
            .keys_where(account, &pick, holds)
            .into_iter()
            .map(|k| k.resource)
            .collect();
        if self.inner.resources.keeps_values() {
            return found;
        }
        let Some(index) = self.inner.accounts.iter().position(|a| &**a == account) else {
            return found;
        };
        let mut seen: std::collections::HashSet<Resource> = found.iter().cloned().collect();
        for (key, slot) in self.inner.slots.iter() {
            if key.account as usize != index {
                continue;
            }
            let b = key.building;
            let property = slot.property();
            let read = [
                Some(Resource::Object(b)),
                Some(Resource::BuildingTree(b)),
                Some(Resource::Residents(b)),
                Some(Resource::Announcements(b)),
                Some(Resource::OpenReports(b)),
                property.map(Resource::Staff),
                property.map(Resource::Object),
            ];
            for r in read.into_iter().flatten() {
                if pick(&r) && seen.insert(r.clone()) {
                    found.push(r);
                }
            }
        }
        found
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
            let due = slot
                .current()
                .is_none_or(|f| !slot.settled(&f) || now >= f.fresh_until);
            if due {
                drop(self.rebuild(key, &slot));
            }
        }
    }
}

/// The property of a fetched building object; an error when it is not a building.
fn building_property(building: &FetchedResource) -> Result<Option<u64>, FeedError> {
    match &building.entry.value {
        ResourceData::Object(o) if o.kind == ObjectKind::Building => Ok(o.cost_centre_id),
        ResourceData::Object(_) => Err(FeedError::NotABuilding),
        _ => Err(FeedError::Internal("building is not an object".into())),
    }
}

/// Whether the feed of `building` (of `property`, when known) is built from `resource`.
/// With the property unknown, anything a property could be is assumed to be it.
fn depends_on(building: u64, property: Option<u64>, resource: &Resource) -> bool {
    let of_property = |id: u64| property.is_none_or(|p| p == id);
    match *resource {
        Resource::Object(id) => id == building || of_property(id),
        Resource::Staff(id) => of_property(id),
        Resource::BuildingTree(id)
        | Resource::Residents(id)
        | Resource::Announcements(id)
        | Resource::OpenReports(id) => id == building,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version of a slot's feed at `generation`, told apart by `n`.
    fn version(n: usize, generation: u64) -> Arc<RenderedFeed> {
        let now = tokio::time::Instant::now();
        let at = Utc::now();
        let json = format!("{{\"n\":{n}}}");
        let mut feed = RenderedFeed::render_body(json.as_bytes(), (at, at, false), now, now)
            .unwrap_or_else(|e| panic!("renders: {e}"));
        feed.generation = generation;
        Arc::new(feed)
    }

    fn same(a: Option<&Arc<RenderedFeed>>, b: Option<&Arc<RenderedFeed>>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    #[test]
    fn a_slot_polled_only_makes_no_channel_and_a_late_subscriber_hears_the_next_version() {
        let slot = Slot::new();
        assert!(slot.current().is_none());
        let first = version(1, 0);
        assert!(slot.publish(&first, true));
        assert!(same(slot.current().as_ref(), Some(&first)));
        assert!(
            slot.watchers().is_none(),
            "no channel until someone subscribes"
        );
        assert!(!slot.watched());

        let mut rx = slot.subscribe();
        assert!(slot.watched());
        assert!(same(rx.borrow().as_ref(), Some(&first)));
        assert!(
            !rx.has_changed().unwrap_or(true),
            "starts at the current one"
        );

        let second = version(2, 0);
        assert!(slot.publish(&second, true));
        assert!(rx.has_changed().unwrap_or(false), "woken by the next one");
        assert!(same(rx.borrow_and_update().as_ref(), Some(&second)));

        // A quiet publication updates the value without waking anyone.
        let third = version(3, 0);
        assert!(slot.publish(&third, false));
        assert!(!rx.has_changed().unwrap_or(true));
        assert!(same(rx.borrow().as_ref(), Some(&third)));
        drop(rx);
        assert!(!slot.watched());
    }

    #[test]
    fn a_version_of_an_older_generation_reaches_neither_polls_nor_subscribers() {
        let slot = Slot::new();
        let rx = slot.subscribe();
        let current = version(1, 0);
        assert!(slot.publish(&current, true));
        slot.generation.fetch_add(1, Ordering::AcqRel);
        let late = version(2, 0);
        assert!(!slot.publish(&late, true), "built before the invalidation");
        assert!(same(slot.current().as_ref(), Some(&current)));
        assert!(same(rx.borrow().as_ref(), Some(&current)));
    }

    /// Publications racing subscriptions, over many generated schedules: whenever it
    /// subscribed, every subscriber ends at the last version published, and never sees a
    /// version older than the one polls had when it subscribed.
    #[test]
    fn no_subscriber_is_left_behind_by_a_publication_racing_its_subscription() {
        for round in 0..200_u64 {
            let slot = Arc::new(Slot::new());
            let versions: Vec<_> = (0..40).map(|n| version(n, 0)).collect();
            let publisher = {
                let slot = Arc::clone(&slot);
                let versions = versions.clone();
                std::thread::spawn(move || {
                    for (i, v) in versions.iter().enumerate() {
                        assert!(slot.publish(v, !(i as u64 + round).is_multiple_of(3)));
                        if (i as u64 * 7 + round).is_multiple_of(5) {
                            std::thread::yield_now();
                        }
                    }
                })
            };
            let subscribers: Vec<_> = (0..3)
                .map(|s| {
                    let slot = Arc::clone(&slot);
                    let versions = versions.clone();
                    std::thread::spawn(move || {
                        for _ in 0..(round + s) % 13 {
                            std::thread::yield_now();
                        }
                        let polled = slot.current();
                        let rx = slot.subscribe();
                        let index = |v: Option<&Arc<RenderedFeed>>| {
                            v.and_then(|v| versions.iter().position(|x| Arc::ptr_eq(x, v)))
                        };
                        let seen = index(rx.borrow().as_ref());
                        assert!(
                            seen >= index(polled.as_ref()),
                            "round {round}: subscribed at {seen:?}, polls had {:?}",
                            index(polled.as_ref())
                        );
                        rx
                    })
                })
                .collect();
            publisher
                .join()
                .unwrap_or_else(|_| panic!("round {round}: publisher"));
            let last = versions.last();
            for subscriber in subscribers {
                let rx = subscriber
                    .join()
                    .unwrap_or_else(|_| panic!("round {round}: subscriber"));
                assert!(
                    same(rx.borrow().as_ref(), last),
                    "round {round}: a subscriber missed the last version"
                );
            }
            assert!(same(slot.current().as_ref(), last));
        }
    }
}
