//! A cache of upstream data in which a change notification always wins over a fetch that
//! began before it.
//!
//! - **Single flight**: concurrent misses on one key join one fetch. The fetch runs in its
//!   own task, so it completes and fills the cache even if every waiting caller gives up.
//! - **Freshness**: a value is fresh for the `ttl` the caller asks with; after that the next
//!   reader fetches again.
//! - **Stale-if-error**: when a fetch fails, the value last stored (redacted, if a
//!   notification asked for that) is served, marked stale, while younger than `max_stale`.
//! - **Invalidation wins, by flight.** Every fetch is a *flight*. An invalidation marks the
//!   stored value stale (optionally replacing it with a redacted copy) and marks every
//!   flight of that key still in the air as *overtaken*: readers arriving after the
//!   invalidation never join an overtaken flight but start a new one, and an overtaken
//!   flight's result is stored already stale, with every redaction asked for since it began
//!   applied — usable for stale-if-error, never as fresh — and only if no newer fetch has
//!   landed. That is the whole rule: what a fetch read before a change can never count as
//!   news after it.
//!
//! - **Transient** ([`FlightCache::transient`]): single flight and the same rule, but a value
//!   is handed to the readers of its flight and not kept — for a source that is itself a
//!   local copy (the account mirror), where holding a second copy in memory buys nothing.
//!
//! Freshness uses `tokio::time::Instant`, so tests move time with `tokio::time::pause` and
//! `advance`. The cache knows nothing of where values come from: callers pass the fetch.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

use crate::upstream::tampuuri::UpstreamError;

#[cfg(test)]
mod tests;

/// A stored value with its age.
#[derive(Debug)]
pub struct Entry<V> {
    /// The value.
    pub value: V,
    /// Wall-clock time the fetch landed (shown as `data_as_of`).
    pub fetched_at: DateTime<Utc>,
    /// Monotonic time the fetch landed (freshness).
    pub fetched: Instant,
    /// The flight that fetched it: a later flight's value is never replaced by an earlier's.
    flight: u64,
    invalidated: AtomicBool,
}

impl<V> Entry<V> {
    /// Whether the value is within `ttl` and no notification has made it stale.
    pub fn is_fresh(&self, ttl: Duration) -> bool {
        !self.is_invalidated() && self.fetched.elapsed() < ttl
    }

    /// Whether a notification (or an overtaking one, for a flight's result) made it stale.
    pub fn is_invalidated(&self) -> bool {
        self.invalidated.load(Ordering::Acquire)
    }

    /// How old the value is.
    pub fn age(&self) -> Duration {
        self.fetched.elapsed()
    }
}

/// A value handed to a reader.
#[derive(Debug)]
pub struct Fetched<V> {
    /// The stored value.
    pub entry: Arc<Entry<V>>,
    /// True when a fetch failed and this older value stands in (stale-if-error).
    pub stale: bool,
    /// Until when the value counts as fresh (now, for a stale or invalidated one).
    pub fresh_until: Instant,
}

impl<V> Clone for Fetched<V> {
    fn clone(&self) -> Self {
        Self {
            entry: Arc::clone(&self.entry),
            stale: self.stale,
            fresh_until: self.fresh_until,
        }
    }
}

/// A change applied to a stored value when a notification invalidates it: e.g. a person's
/// name removed at once, before the refetch that says whether it may come back.
pub type Redaction<V> = Arc<dyn Fn(&V) -> V + Send + Sync>;

type Landing<V> = Shared<BoxFuture<'static, Result<Arc<Entry<V>>, UpstreamError>>>;

/// One fetch in the air.
struct Flight<V> {
    id: u64,
    /// `None` while clean; once overtaken, the redactions asked for since it began.
    overtaken: Mutex<Option<Vec<Redaction<V>>>>,
}

impl<V> Flight<V> {
    fn overtaken(&self) -> MutexGuard<'_, Option<Vec<Redaction<V>>>> {
        self.overtaken.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct InFlight<V> {
    flight: Arc<Flight<V>>,
    landing: Landing<V>,
}

struct Inner<K, V> {
    entries: moka::sync::Cache<K, Arc<Entry<V>>>,
    /// Keys with fetches in the air, oldest first. Only this map's lock orders stores
    /// against invalidations; readers of `entries` never take it.
    flights: Mutex<HashMap<K, Vec<InFlight<V>>>>,
    next_flight: AtomicU64,
    max_stale: Duration,
    /// Whether landed values are stored (false: [`FlightCache::transient`]).
    keep: bool,
    /// Counts readers that joined a flight already in the air (single-flight joins).
    joins: Option<prometheus_client::metrics::counter::Counter>,
}

/// The cache; cheap to clone.
pub struct FlightCache<K, V> {
    inner: Arc<Inner<K, V>>,
}

impl<K, V> Clone for FlightCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K, V> FlightCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// A cache of at most `capacity` values, each forgotten after `idle` unread, served
    /// stale after a failed fetch while younger than `max_stale`.
    pub fn new(capacity: u64, idle: Duration, max_stale: Duration) -> Self {
        Self::counting_joins(capacity, idle, max_stale, None)
    }

    /// [`FlightCache::new`], counting in `joins` every reader that joins a flight already
    /// in the air.
    pub fn counting_joins(
        capacity: u64,
        idle: Duration,
        max_stale: Duration,
        joins: Option<prometheus_client::metrics::counter::Counter>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: moka::sync::Cache::builder()
                    .max_capacity(capacity)
                    .time_to_idle(idle)
                    .build(),
                flights: Mutex::new(HashMap::new()),
                next_flight: AtomicU64::new(1),
                max_stale,
                keep: true,
                joins,
            }),
        }
    }

    /// A cache that keeps nothing: concurrent readers of a key join one fetch, and an
    /// invalidation overtakes the fetches in the air as in any flight cache (their results
    /// come back already stale, redacted as asked), but a landed value is handed only to the
    /// readers of its flight. For a source that is itself a local copy (the account mirror):
    /// no stale-if-error, no [`FlightCache::peek`], and memory only for what is in the air.
    pub fn transient(joins: Option<prometheus_client::metrics::counter::Counter>) -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: moka::sync::Cache::builder().max_capacity(0).build(),
                flights: Mutex::new(HashMap::new()),
                next_flight: AtomicU64::new(1),
                max_stale: Duration::ZERO,
                keep: false,
                joins,
            }),
        }
    }

    /// Whether landed values are kept (false for [`FlightCache::transient`]).
    pub fn keeps_values(&self) -> bool {
        self.inner.keep
    }

    fn flights(&self) -> MutexGuard<'_, HashMap<K, Vec<InFlight<V>>>> {
        self.inner.flights.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of `key`: stored if fresh for `ttl`, else fetched by `fetch` (once for all
    /// concurrent callers), else the stored value if the fetch failed and it is younger than
    /// `max_stale`.
    pub async fn get<F, Fut>(
        &self,
        key: &K,
        ttl: Duration,
        fetch: F,
    ) -> Result<Fetched<V>, UpstreamError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, UpstreamError>> + Send + 'static,
    {
        if let Some(entry) = self.inner.entries.get(key)
            && entry.is_fresh(ttl)
        {
            return Ok(Fetched {
                fresh_until: entry.fetched + ttl,
                entry,
                stale: false,
            });
        }
        match self.flight(key, fetch).await {
            Ok(entry) => Ok(Fetched {
                fresh_until: if entry.is_invalidated() {
                    entry.fetched
                } else {
                    entry.fetched + ttl
                },
                entry,
                stale: false,
            }),
            // The value stored now, not the one seen before the fetch: a notification may
            // have redacted it meanwhile.
            Err(error) => match self.inner.entries.get(key) {
                Some(entry) if entry.age() <= self.inner.max_stale => {
                    tracing::warn!(%error, age_secs = entry.age().as_secs(), "serving stale data");
                    Ok(Fetched {
                        entry,
                        stale: true,
                        fresh_until: Instant::now(),
                    })
                }
                _ => Err(error),
            },
        }
    }

    /// The stored value of `key`, fresh or not, without fetching.
    pub fn peek(&self, key: &K) -> Option<Arc<Entry<V>>> {
        self.inner.entries.get(key)
    }

    /// Joins the clean flight of `key`, or starts one.
    fn flight<F, Fut>(&self, key: &K, fetch: F) -> Landing<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, UpstreamError>> + Send + 'static,
    {
        let mut flights = self.flights();
        let list = flights.entry(key.clone()).or_default();
        if let Some(last) = list.last()
            && last.flight.overtaken().is_none()
        {
            if let Some(joins) = &self.inner.joins {
                joins.inc();
            }
            return last.landing.clone();
        }
        let flight = Arc::new(Flight {
            id: self.inner.next_flight.fetch_add(1, Ordering::Relaxed),
            overtaken: Mutex::new(None),
        });
        let fetching = fetch();
        let cache = self.clone();
        let (landing_key, landing_flight) = (key.clone(), Arc::clone(&flight));
        let task = tokio::spawn(async move {
            let result = fetching.await;
            cache.land(&landing_key, &landing_flight, result)
        });
        let landing = async move {
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
        list.push(InFlight {
            flight,
            landing: landing.clone(),
        });
        landing
    }

    /// Ends `flight`: stores its value (stale and redacted if it was overtaken, and only if no
    /// later flight's value is stored) and returns what was stored.
    fn land(
        &self,
        key: &K,
        flight: &Arc<Flight<V>>,
        result: Result<V, UpstreamError>,
    ) -> Result<Arc<Entry<V>>, UpstreamError> {
        let mut flights = self.flights();
        if let Some(list) = flights.get_mut(key) {
            list.retain(|f| !Arc::ptr_eq(&f.flight, flight));
            if list.is_empty() {
                flights.remove(key);
            }
        }
        let overtaken = flight.overtaken().take();
        let value = result?;
        let (value, invalidated) = match overtaken {
            None => (value, false),
            Some(redactions) => (redactions.iter().fold(value, |v, redact| redact(&v)), true),
        };
        let entry = Arc::new(Entry {
            value,
            fetched_at: Utc::now(),
            fetched: Instant::now(),
            flight: flight.id,
            invalidated: AtomicBool::new(invalidated),
        });
        let later_stored = self
            .inner
            .entries
            .get(key)
            .is_some_and(|stored| stored.flight > flight.id);
        if self.inner.keep && !later_stored {
            self.inner.entries.insert(key.clone(), Arc::clone(&entry));
        }
        Ok(entry)
    }

    /// Makes `key` stale: its stored value (replaced by a redacted copy when `redaction` is
    /// given) is served only for stale-if-error from now on, and every flight of it in the
    /// air is overtaken. Returns whether anything was stored or in the air.
    pub fn invalidate(&self, key: &K, redaction: Option<Redaction<V>>) -> bool {
        let flights = self.flights();
        let mut touched = false;
        for in_flight in flights.get(key).into_iter().flatten() {
            in_flight
                .flight
                .overtaken()
                .get_or_insert_with(Vec::new)
                .extend(redaction.iter().cloned());
            touched = true;
        }
        if let Some(stored) = self.inner.entries.get(key) {
            touched = true;
            match &redaction {
                Some(redact) => {
                    let copy = Arc::new(Entry {
                        value: redact(&stored.value),
                        fetched_at: stored.fetched_at,
                        fetched: stored.fetched,
                        flight: stored.flight,
                        invalidated: AtomicBool::new(true),
                    });
                    self.inner.entries.insert(key.clone(), copy);
                }
                None => stored.invalidated.store(true, Ordering::Release),
            }
        }
        drop(flights);
        touched
    }

    /// Stores `value` for `key` as fresh, known from the caller's own write: it is newer
    /// than any fetch of `key` in the air, whose results are overtaken and never replace it.
    pub fn put(&self, key: K, value: V) {
        let flights = self.flights();
        for in_flight in flights.get(&key).into_iter().flatten() {
            in_flight.flight.overtaken().get_or_insert_with(Vec::new);
        }
        if !self.inner.keep {
            // Nothing to store it in; the fetches in the air are overtaken all the same.
            return;
        }
        let entry = Arc::new(Entry {
            value,
            fetched_at: Utc::now(),
            fetched: Instant::now(),
            flight: self.inner.next_flight.fetch_add(1, Ordering::Relaxed),
            invalidated: AtomicBool::new(false),
        });
        self.inner.entries.insert(key, entry);
        drop(flights);
    }

    /// Every stored key for which `pick` holds (of the key and its stored value).
    pub fn stored_where(&self, pick: impl Fn(&K, &V) -> bool) -> Vec<K> {
        self.inner
            .entries
            .iter()
            .filter(|(k, entry)| pick(k, &entry.value))
            .map(|(k, _)| K::clone(&k))
            .collect()
    }

    /// Every key with a fetch in the air for which `pick` holds.
    pub fn in_flight_where(&self, pick: impl Fn(&K) -> bool) -> Vec<K> {
        self.flights().keys().filter(|k| pick(k)).cloned().collect()
    }

    /// Invalidates every stored or in-flight key for which `pick` holds (no redaction).
    pub fn invalidate_where(&self, pick: impl Fn(&K) -> bool) -> usize {
        let mut keys = self.stored_where(|k, _| pick(k));
        for k in self.in_flight_where(&pick) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys.iter().filter(|k| self.invalidate(k, None)).count()
    }
}
