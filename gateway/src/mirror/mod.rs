//! The account mirror: what displays, residents and partners need of each Tampuuri account,
//! kept in Rappu's database so that Tampuuri calls follow what changes in Tampuuri, not how
//! many buildings, screens or page views there are.
//!
//! - **Read in bulk** ([`sync`]): the registry (properties and their subtrees), everyone's
//!   connections to objects, announcements and open fault reports, each read account-wide
//!   with 250 rows a call, on a cadence: a reconciliation that also catches a lost webhook.
//!   A reconciliation tells what changed by comparing rows, and only those feeds rebuild.
//! - **Fetch changes by id** ([`changes`]): a webhook notification marks what it names as
//!   *pending* before it is answered (a pending party or apartment is shown without names:
//!   a name that may have become protected never waits for Tampuuri), then the changed rows
//!   are fetched by id in the background, several parties in one call. A fetch that began
//!   before a later notification about the same thing never clears what that notification
//!   marked, and a reconciliation never overwrites rows a notification touched after it
//!   began.
//! - **Serve from the mirror** ([`upstream`]): feeds, buildings, properties, residents'
//!   reports and partners' work orders are read from here, never from Tampuuri per request.
//! - **Spend within a budget** ([`crate::usage::Budget`]): past the month's budget only
//!   writes and privacy changes still reach Tampuuri; the rest is served from the mirror and
//!   marked stale.
//!
//! Rows keep only the fields Rappu reads, and no name of anyone who may not be named
//! ([`rows::minimize`]). The mirror is a copy: lost, it is rebuilt by the next load.

pub mod changes;
pub use changes::Origin;
pub mod costs;
pub mod db;
pub mod reads;
pub mod rows;
pub mod shared;
pub mod sync;
pub mod upstream;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use tokio::sync::{Notify, mpsc, watch};

use crate::config::MirrorSettings;
use crate::feeds::resources::{Redaction, Resource};
use crate::store::StoreError;
use crate::store::sql::{Conn, DbError};
use crate::upstream::tampuuri::Tampuuri;
use crate::usage::Budget;

/// What changed in the mirror of an account: the feed resources to rebuild (with what to
/// remove from cached copies at once), and the fault reports whose views changed.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct MirrorEvent {
    /// The account.
    pub account: String,
    /// Feed resources and redactions.
    pub changes: Vec<(Resource, Option<Redaction>)>,
    /// Tampuuri ids of reports that changed.
    pub reports: Vec<u64>,
    /// Whether every feed of the account should be rebuilt from what is cached: the
    /// mirror's health changed (Tampuuri failing or back, the budget holding back work),
    /// and with it whether feeds are marked stale.
    pub restamp: bool,
    /// Notifications this change settled, by key: replicas following this one's writes
    /// clear their marks with them ([`shared`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settled: Vec<(Key, Vec<String>)>,
    /// The writer's health, with a restamp (followers mark feeds stale by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<shared::HealthNote>,
}

impl MirrorEvent {
    /// Feed `resources` of `account` to rebuild (nothing redacted at once) and `reports`
    /// whose views changed: what every sweep and change fetch announces.
    pub fn changed(
        account: &str,
        resources: impl IntoIterator<Item = Resource>,
        reports: Vec<u64>,
    ) -> Self {
        Self {
            account: account.to_owned(),
            changes: resources.into_iter().map(|r| (r, None)).collect(),
            reports,
            ..Self::default()
        }
    }

    /// Whether the event says anything.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.reports.is_empty()
            && !self.restamp
            && self.settled.is_empty()
    }
}

/// A thing a notification names and a fetch by id refreshes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub enum Key {
    /// A party's data (name, turvakielto, archived), fetched with others in one call.
    Party(u64),
    /// Every connection of a party (and its full data).
    PartyConnections(u64),
    /// The connections on an object (when the notification names no party).
    ObjectConnections(u64),
    /// An object of the registry.
    Object(u64),
    /// A fault report.
    Report(u64),
    /// Every announcement (news has no fetch by id).
    News,
}

impl Key {
    /// Whether refreshing this is about who may be named (never held back by the budget).
    pub fn is_privacy(&self) -> bool {
        matches!(
            self,
            Self::Party(_) | Self::PartyConnections(_) | Self::ObjectConnections(_)
        )
    }
}

/// The state of one account's mirror besides its rows.
#[derive(Debug, Default)]
pub struct AccountState {
    /// Bumped by every notification and every applied change.
    seq: AtomicU64,
    /// Keys a notification marked and no later fetch has settled, with the notification's
    /// sequence number: pending parties and apartments are shown without names.
    pending: Mutex<HashMap<Key, u64>>,
    /// When each key last changed (sequence number): a reconciliation that began before
    /// keeps the newer rows.
    touched: Mutex<HashMap<Key, u64>>,
    /// Keys waiting for their fetch.
    queue: Mutex<std::collections::BTreeSet<Key>>,
    /// The notifications that marked each pending key, with the sequence number of the mark:
    /// what a settling announces to the other replicas (see [`shared`]), and on a replica
    /// that follows another's writes, what keeps the key pending until that writer settles
    /// every one of them.
    noted: Mutex<HashMap<Key, Vec<(u64, String)>>>,
    /// Notifications the mirror's writer settled, when (a follower's memory: one learnt of
    /// late, in a catch-up, does not mark its keys again for good).
    settled_notes: Mutex<HashMap<String, std::time::Instant>>,
    /// Wakes the account's refresher.
    wake: Notify,
    /// Whether the first load finished.
    loaded: watch::Sender<bool>,
    /// Health, for the admin view and the `stale` mark.
    health: Mutex<Health>,
    /// Why the first load failed, while it has not succeeded: reads answer it at once
    /// rather than waiting for a load that cannot finish yet.
    load_error: Mutex<Option<crate::upstream::tampuuri::UpstreamError>>,
}

/// How the mirror of an account is doing. (Named `MirrorHealth` in the API document:
/// `Health` is `/healthz`'s answer, and one name for both made the document describe one
/// of them wrongly.)
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[schema(as = MirrorHealth)]
pub struct Health {
    /// The last successful reconciliation of each kind (registry, people, reports, news).
    pub synced_at: HashMap<String, DateTime<Utc>>,
    /// Calls each kind's last reconciliation made.
    pub sync_calls: HashMap<String, u64>,
    /// Since when fetches keep failing (Tampuuri unavailable), if they do.
    pub failing_since: Option<DateTime<Utc>>,
    /// The same on the runtime's clock (which tests can move).
    #[serde(skip)]
    pub failing_since_clock: Option<tokio::time::Instant>,
    /// Why the last fetch failed.
    pub last_error: Option<String>,
    /// Changes noted and not yet fetched.
    pub pending: usize,
    /// Reconciliations held back by the monthly budget.
    pub held_back: bool,
}

impl AccountState {
    fn new() -> Self {
        Self {
            loaded: watch::Sender::new(false),
            ..Self::default()
        }
    }

    /// A new sequence number.
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The current sequence number.
    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `key` is pending.
    pub fn is_pending(&self, key: Key) -> bool {
        Self::lock(&self.pending).contains_key(&key)
    }

    /// Pending parties and objects (apartments, properties) whose connections are pending.
    pub fn pending_people(&self) -> (Vec<u64>, Vec<u64>) {
        let pending = Self::lock(&self.pending);
        let mut parties = Vec::new();
        let mut objects = Vec::new();
        for key in pending.keys() {
            match key {
                Key::Party(p) | Key::PartyConnections(p) => parties.push(*p),
                Key::ObjectConnections(o) => objects.push(*o),
                _ => {}
            }
        }
        (parties, objects)
    }

    #[cfg(test)]
    fn mark(&self, keys: &[Key]) -> u64 {
        self.mark_noted(keys, None)
    }

    /// Marks `keys` for notification `note` (its id): privacy keys become pending. A
    /// notification the writer already settled (known to a follower) marks nothing pending.
    fn mark_noted(&self, keys: &[Key], note: Option<&str>) -> u64 {
        let seq = self.next_seq();
        let settled = note.is_some_and(|id| Self::lock(&self.settled_notes).contains_key(id));
        let mut pending = Self::lock(&self.pending);
        let mut touched = Self::lock(&self.touched);
        let mut noted = Self::lock(&self.noted);
        for key in keys {
            if !settled {
                if key.is_privacy() {
                    pending.insert(*key, seq);
                }
                if let Some(id) = note {
                    noted.entry(*key).or_default().push((seq, id.to_owned()));
                }
            }
            touched.insert(*key, seq);
        }
        seq
    }

    /// Settles `keys` fetched by a fetch that began at `began`: pending marks made before it
    /// are cleared, later ones stay for their own fetch. Returns the notifications settled,
    /// by key (what the other replicas' marks wait for).
    pub fn settle(&self, keys: &[Key], began: u64) -> Vec<(Key, Vec<String>)> {
        let seq = self.next_seq();
        let mut pending = Self::lock(&self.pending);
        let mut touched = Self::lock(&self.touched);
        let mut noted = Self::lock(&self.noted);
        let mut out = Vec::new();
        for key in keys {
            if pending.get(key).is_some_and(|marked| *marked <= began) {
                pending.remove(key);
            }
            touched.insert(*key, seq);
            if let Some(notes) = noted.get_mut(key) {
                let (done, later): (Vec<_>, Vec<_>) =
                    notes.drain(..).partition(|(marked, _)| *marked <= began);
                *notes = later;
                if notes.is_empty() {
                    noted.remove(key);
                }
                if !done.is_empty() {
                    out.push((*key, done.into_iter().map(|(_, id)| id).collect()));
                }
            }
        }
        out
    }

    /// On a follower: the mirror's writer settled notifications `ids` of `key` (its fetch
    /// began after it had noted them, and its rows are written). The key stays pending while
    /// any notification that marked it here is not among those settled.
    pub fn settle_noted(&self, key: Key, ids: &[String]) {
        let now = std::time::Instant::now();
        {
            let mut settled = Self::lock(&self.settled_notes);
            if settled.len() > 100_000 {
                settled.retain(|_, at| now.duration_since(*at) < Duration::from_secs(3_600));
            }
            for id in ids {
                settled.insert(id.clone(), now);
            }
        }
        let mut pending = Self::lock(&self.pending);
        let mut noted = Self::lock(&self.noted);
        let Some(notes) = noted.get_mut(&key) else {
            return;
        };
        notes.retain(|(_, id)| !ids.contains(id));
        if notes.is_empty() {
            noted.remove(&key);
            pending.remove(&key);
        }
    }

    /// Keys touched after `since`.
    pub fn touched_since(&self, since: u64) -> Vec<Key> {
        Self::lock(&self.touched)
            .iter()
            .filter(|(_, s)| **s > since)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Queues `keys` for a fetch and wakes the refresher.
    pub fn enqueue(&self, keys: &[Key]) {
        Self::lock(&self.queue).extend(keys.iter().copied());
        self.wake.notify_one();
    }

    fn take_queue(&self) -> Vec<Key> {
        std::mem::take(&mut *Self::lock(&self.queue))
            .into_iter()
            .collect()
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        Self::lock(&self.health)
    }
}

/// The mirror's two connections to its file: one writer, one reader (WAL lets them work at
/// once), so reconciling never stalls feed builds for long.
///
/// A caller waits for a connection *before* its work goes to a blocking thread: waiting on
/// the blocking thread instead parked one thread per waiting caller (warming 1,000 feeds at
/// 32 at a time grew the process to 150 threads and ~400 MB, each thread with its own
/// allocator heap), and the threads can only take turns anyway.
///
/// When neither connection has been used for [`IDLE_RELEASE_TICKS`] ticks of the gateway's
/// clock, both give their page caches back ([`MirrorDb::release_when_idle`]): feed builds
/// and sweeps come in bursts, and between them ~3 MB of cached pages (in the C library's
/// heap, not mimalloc's) would otherwise stay resident for nothing (README, "Memory (part
/// 3)"). The next burst reads its first pages from the operating system's cache again.
#[derive(Clone)]
pub struct MirrorDb {
    backend: Backend,
    idle: Arc<Idle>,
    writer: Arc<shared::Writer>,
}

/// Where the mirror's rows are.
#[derive(Clone)]
enum Backend {
    /// Its own SQLite file: one writer, one reader.
    Sqlite {
        writer: Arc<tokio::sync::Mutex<Connection>>,
        reader: Arc<tokio::sync::Mutex<Connection>>,
    },
    /// The shared store's database (PostgreSQL: the same tables for every replica).
    Store(crate::store::Store),
}

/// Ticks of the clock (seconds) without a read or write before the mirror's connections
/// give back their page caches.
pub const IDLE_RELEASE_TICKS: u32 = 2;

/// Uses of the mirror's connections, and how long they have been quiet.
#[derive(Default)]
struct Idle {
    /// Reads and writes begun (counted before waiting for the connection).
    uses: AtomicU64,
    quiet: Mutex<Quiet>,
}

#[derive(Default)]
struct Quiet {
    /// `uses` at the last tick.
    seen: u64,
    /// Ticks since `uses` last changed.
    ticks: u32,
    /// Whether this quiet spell's release has been made.
    released: bool,
}

/// What [`MirrorDb::release_when_idle`] did on one tick.
#[derive(Debug)]
pub enum IdleRelease {
    /// A read or write began since the last tick, or one is still running: nothing given
    /// back.
    Busy,
    /// Quiet, but not for [`IDLE_RELEASE_TICKS`] yet.
    Quiet,
    /// Giving the page caches back, on a blocking thread (the task ends when it is done;
    /// the connections are held meanwhile).
    Releasing(tokio::task::JoinHandle<()>),
    /// This quiet spell's release is already made.
    Released,
}

impl MirrorDb {
    /// Opens `path`, creating or rebuilding its schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut writer = Connection::open(path)?;
        writer.busy_timeout(Duration::from_secs(10))?;
        db::prepare(&mut writer)?;
        let reader = Connection::open(path)?;
        reader.busy_timeout(Duration::from_secs(10))?;
        reader.pragma_update(None, "cache_size", -db::READER_CACHE_KIB)?;
        Ok(Self {
            backend: Backend::Sqlite {
                writer: Arc::new(tokio::sync::Mutex::new(writer)),
                reader: Arc::new(tokio::sync::Mutex::new(reader)),
            },
            idle: Arc::default(),
            writer: Arc::new(shared::Writer::sole()),
        })
    }

    /// The mirror in `store`'s database, whose migrations made its tables (PostgreSQL),
    /// shared with the other replicas: this process writes it only while elected
    /// ([`shared::spawn_election`] with [`MirrorDb::writer`]).
    pub fn in_store(store: crate::store::Store) -> Self {
        Self {
            backend: Backend::Store(store),
            idle: Arc::default(),
            writer: Arc::new(shared::Writer::elected()),
        }
    }

    /// Whether (and in which epoch) this process writes the mirror.
    pub fn writer(&self) -> &Arc<shared::Writer> {
        &self.writer
    }

    /// The shared store the rows are in, if they are.
    pub fn store(&self) -> Option<&crate::store::Store> {
        match &self.backend {
            Backend::Store(store) => Some(store),
            Backend::Sqlite { .. } => None,
        }
    }

    /// Whether the rows are in the shared store's database.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Store(_))
    }

    /// Called once a tick (a second) by the gateway's clock: after [`IDLE_RELEASE_TICKS`]
    /// quiet ticks, once per quiet spell, both connections free their page caches and the C
    /// library gives the freed pages back to the system ([`rappu_alloc::trim_c_heap`]). A
    /// connection in use is never waited for: the release is tried again next tick.
    pub fn release_when_idle(&self) -> IdleRelease {
        let uses = self.idle.uses.load(Ordering::Acquire);
        let mut quiet = self
            .idle
            .quiet
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if uses != quiet.seen {
            *quiet = Quiet {
                seen: uses,
                ..Quiet::default()
            };
            return IdleRelease::Busy;
        }
        if quiet.released {
            return IdleRelease::Released;
        }
        let Backend::Sqlite { writer, reader } = &self.backend else {
            // The database's own server keeps its caches.
            quiet.released = true;
            return IdleRelease::Released;
        };
        quiet.ticks = quiet.ticks.saturating_add(1);
        if quiet.ticks < IDLE_RELEASE_TICKS {
            return IdleRelease::Quiet;
        }
        let (Ok(reader), Ok(writer)) = (
            Arc::clone(reader).try_lock_owned(),
            Arc::clone(writer).try_lock_owned(),
        ) else {
            return IdleRelease::Busy;
        };
        quiet.released = true;
        IdleRelease::Releasing(tokio::task::spawn_blocking(move || {
            for conn in [&*reader, &*writer] {
                if let Err(e) = conn.release_memory() {
                    tracing::debug!(error = %e, "the mirror's page cache was not released");
                }
            }
            drop((reader, writer));
            rappu_alloc::trim_c_heap();
        }))
    }

    fn used(&self) {
        self.idle.uses.fetch_add(1, Ordering::AcqRel);
    }

    /// An in-memory mirror (tests).
    pub fn open_in(dir: &Path) -> Result<Self, StoreError> {
        Self::open(&dir.join("mirror.db"))
    }

    /// Runs `f` with the writer on a blocking thread. In the shared store, `f` runs in a
    /// transaction that first checks this process still writes the mirror ([`shared::fence`]):
    /// refused otherwise.
    pub async fn write<F, R>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Conn<'_>) -> Result<R, DbError> + Send + 'static,
        R: Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite { writer, .. } => self.on(writer, f).await,
            Backend::Store(store) => {
                self.used();
                let epoch = self.writer.epoch();
                store
                    .call(move |c| {
                        c.transaction(|tx| {
                            shared::fence(tx, epoch)?;
                            f(tx)
                        })
                    })
                    .await
            }
        }
    }

    /// Runs `f` with the reader on a blocking thread.
    pub async fn read<F, R>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Conn<'_>) -> Result<R, DbError> + Send + 'static,
        R: Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite { reader, .. } => self.on(reader, f).await,
            Backend::Store(store) => {
                self.used();
                store.call(f).await
            }
        }
    }

    /// Runs `f` with the SQLite connection `conn` on a blocking thread, once it is free.
    async fn on<F, R>(
        &self,
        conn: &Arc<tokio::sync::Mutex<Connection>>,
        f: F,
    ) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Conn<'_>) -> Result<R, DbError> + Send + 'static,
        R: Send + 'static,
    {
        self.used();
        let guard = Arc::clone(conn).lock_owned().await;
        tokio::task::spawn_blocking(move || f(&mut Conn::sqlite(&guard)).map_err(StoreError::from))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// The mirror of every configured account; cheap to clone.
#[derive(Clone)]
pub struct Mirror {
    inner: Arc<Inner>,
}

struct Inner {
    tampuuri: Tampuuri,
    db: MirrorDb,
    accounts: HashMap<String, AccountState>,
    settings: MirrorSettings,
    webhooks: bool,
    budget: Budget,
    max_stale: Duration,
    events: mpsc::UnboundedSender<MirrorEvent>,
    /// What the writer appends to the shared log (PostgreSQL; see [`shared`]).
    publish: mpsc::UnboundedSender<MirrorEvent>,
    publish_rx: Mutex<Option<mpsc::UnboundedReceiver<MirrorEvent>>>,
    /// The last event of the shared log this replica applied (-1: not started).
    followed: tokio::sync::Mutex<i64>,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").finish_non_exhaustive()
    }
}

impl Mirror {
    /// The mirror of `tampuuri`'s accounts in `db`; what changes is sent on the returned
    /// receiver. `webhooks` picks the reconciliation cadences (see [`MirrorSettings`]);
    /// after `max_stale` of failing to reach Tampuuri, feeds are no longer served from it.
    pub fn new(
        tampuuri: Tampuuri,
        db: MirrorDb,
        settings: MirrorSettings,
        webhooks: bool,
        budget: Budget,
        max_stale: Duration,
    ) -> (Self, mpsc::UnboundedReceiver<MirrorEvent>) {
        let (events, receiver) = mpsc::unbounded_channel();
        let (publish, publish_rx) = mpsc::unbounded_channel();
        let accounts = tampuuri
            .account_names()
            .map(|a| (a.to_owned(), AccountState::new()))
            .collect();
        (
            Self {
                inner: Arc::new(Inner {
                    tampuuri,
                    db,
                    accounts,
                    settings,
                    webhooks,
                    budget,
                    max_stale,
                    events,
                    publish,
                    publish_rx: Mutex::new(Some(publish_rx)),
                    followed: tokio::sync::Mutex::new(-1),
                }),
            },
            receiver,
        )
    }

    /// The state of `account`, if it is served.
    pub fn account(&self, account: &str) -> Option<&AccountState> {
        self.inner.accounts.get(account)
    }

    /// The database.
    pub fn db(&self) -> &MirrorDb {
        &self.inner.db
    }

    /// The Tampuuri clients.
    pub fn tampuuri(&self) -> &Tampuuri {
        &self.inner.tampuuri
    }

    /// The settings.
    pub fn settings(&self) -> &MirrorSettings {
        &self.inner.settings
    }

    /// Whether webhooks keep the mirror current.
    pub fn webhooks(&self) -> bool {
        self.inner.webhooks
    }

    /// The monthly budget of calls.
    pub fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    fn emit(&self, event: MirrorEvent) {
        // Before the first load nothing was built from the mirror (reads wait for it).
        let loaded = self
            .account(&event.account)
            .is_some_and(|s| *s.loaded.borrow());
        if self.db().is_shared() && self.db().writer().is_writer() && !event.is_empty() {
            let _ = self.inner.publish.send(event.clone());
        }
        if loaded && (!event.changes.is_empty() || !event.reports.is_empty() || event.restamp) {
            let _ = self.inner.events.send(event);
        }
    }

    /// Whether this process may call Tampuuri for the mirror and write it: always with the
    /// mirror in its own file; on PostgreSQL while it is the elected writer.
    pub fn is_writer(&self) -> bool {
        self.db().writer().is_writer()
    }

    /// The writer's health as followers learn it.
    fn health_note(&self, account: &str) -> Option<shared::HealthNote> {
        let state = self.account(account)?;
        let health = state.health();
        Some(shared::HealthNote {
            failing_since: health.failing_since,
            last_error: health.last_error.clone(),
            held_back: health.held_back,
        })
    }

    /// Records how the last attempt to reach Tampuuri for `account` went (`None`: it
    /// worked; `Some(why)`: it failed) and whether the budget holds work back; announces a
    /// change of either (feeds' `stale` mark follows them).
    pub(crate) fn set_health(
        &self,
        account: &str,
        failure: Option<String>,
        held_back: Option<bool>,
    ) {
        let Some(state) = self.account(account) else {
            return;
        };
        let changed = {
            let mut health = state.health();
            let was = (health.failing_since.is_some(), health.held_back);
            match failure {
                Some(why) => {
                    health.failing_since.get_or_insert_with(Utc::now);
                    health
                        .failing_since_clock
                        .get_or_insert_with(tokio::time::Instant::now);
                    health.last_error = Some(why);
                }
                None => {
                    health.failing_since = None;
                    health.failing_since_clock = None;
                }
            }
            if let Some(held) = held_back {
                health.held_back = held;
            }
            was != (health.failing_since.is_some(), health.held_back)
        };
        if changed {
            self.emit(MirrorEvent {
                account: account.to_owned(),
                restamp: true,
                health: self.health_note(account),
                ..MirrorEvent::default()
            });
        }
    }

    /// Why `account`'s first load failed, if it has not loaded and its last try failed.
    pub fn load_error(&self, account: &str) -> Option<crate::upstream::tampuuri::UpstreamError> {
        let state = self.account(account)?;
        if *state.loaded.borrow() {
            return None;
        }
        AccountState::lock(&state.load_error).clone()
    }

    /// Waits until `account` has been loaded once (at most `wait`); `false` if not yet.
    pub async fn wait_loaded(&self, account: &str, wait: Duration) -> bool {
        let Some(state) = self.account(account) else {
            return false;
        };
        let mut rx = state.loaded.subscribe();
        if *rx.borrow_and_update() {
            return true;
        }
        tokio::time::timeout(wait, rx.wait_for(|loaded| *loaded))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// How `account`'s mirror is doing.
    pub fn health(&self, account: &str) -> Option<Health> {
        let state = self.account(account)?;
        let mut health = state.health().clone();
        health.pending =
            AccountState::lock(&state.pending).len() + AccountState::lock(&state.queue).len();
        Some(health)
    }

    /// Whether Tampuuri has failed for `account` longer than feeds may be served from what
    /// the mirror last knew (`feeds.max_stale_secs`): a board is better blank than wrong
    /// for days.
    pub fn too_stale(&self, account: &str) -> bool {
        let Some(state) = self.account(account) else {
            return true;
        };
        let health = state.health();
        health
            .failing_since_clock
            .is_some_and(|since| since.elapsed() > self.inner.max_stale)
    }

    /// Whether what `account`'s mirror serves should be marked stale: fetches keep failing,
    /// the budget holds reconciliations back, or a reconciliation is long overdue.
    pub fn is_stale(&self, account: &str) -> bool {
        let Some(state) = self.account(account) else {
            return true;
        };
        let health = state.health();
        if health.failing_since.is_some() || health.held_back {
            return true;
        }
        let cadence = self.inner.settings.people_every(self.inner.webhooks);
        health.synced_at.get(sync::PEOPLE).is_some_and(|at| {
            Utc::now()
                .signed_duration_since(*at)
                .to_std()
                .unwrap_or_default()
                > cadence * 3
        })
    }
}

#[cfg(test)]
mod versions_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod db_gate_tests {
    use std::time::{Duration, Instant};

    use super::{IDLE_RELEASE_TICKS, IdleRelease, MirrorDb};

    /// A mirror with ~3 MiB of rows, read whole once: both page caches full.
    async fn filled(dir: &std::path::Path) -> MirrorDb {
        let db = MirrorDb::open_in(dir).unwrap();
        db.write(|c| {
            c.batch("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, b BLOB)")?;
            c.transaction(|tx| {
                for i in 0..768_i64 {
                    tx.execute(
                        "INSERT OR REPLACE INTO filler VALUES ($1, zeroblob(4000))",
                        crate::args![i],
                    )?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();
        read_all(&db).await;
        db
    }

    async fn read_all(db: &MirrorDb) -> i64 {
        db.read(|c| {
            c.query_one("SELECT sum(length(b)) FROM filler", &[])?
                .get(0)
        })
        .await
        .unwrap()
    }

    /// Ticks until the release begins (at most a few), and waits for it to end.
    async fn release(db: &MirrorDb) -> usize {
        for _ in 0..=IDLE_RELEASE_TICKS + 1 {
            match db.release_when_idle() {
                IdleRelease::Releasing(done) => {
                    done.await.unwrap();
                    return 1;
                }
                IdleRelease::Busy | IdleRelease::Quiet => {}
                IdleRelease::Released => return 0,
            }
        }
        0
    }

    /// After [`IDLE_RELEASE_TICKS`] quiet ticks the page caches go back, once per quiet
    /// spell; a read starts a new spell; the rows read the same afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_mirror_gives_its_page_caches_back_once_per_quiet_spell() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled(dir.path()).await;
        // The first tick sees the reads and writes above.
        assert!(matches!(db.release_when_idle(), IdleRelease::Busy));
        for _ in 1..IDLE_RELEASE_TICKS {
            assert!(matches!(db.release_when_idle(), IdleRelease::Quiet));
        }
        let IdleRelease::Releasing(done) = db.release_when_idle() else {
            panic!("no release after {IDLE_RELEASE_TICKS} quiet ticks");
        };
        done.await.unwrap();
        assert!(matches!(db.release_when_idle(), IdleRelease::Released));
        assert!(matches!(db.release_when_idle(), IdleRelease::Released));
        assert_eq!(read_all(&db).await, 768 * 4000);
        assert!(matches!(db.release_when_idle(), IdleRelease::Busy));
        assert_eq!(release(&db).await, 1, "a new quiet spell releases again");
    }

    /// What the release gives back is the C library's memory SQLite held (~3 MiB of page
    /// caches here). The C heap is the whole test process's, so the best of three fills is
    /// taken (other tests' SQLite work can only make one reading smaller).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_release_gives_the_page_caches_memory_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled(dir.path()).await;
        let mut best = 0;
        for _ in 0..3 {
            read_all(&db).await;
            let held = rappu_alloc::c_heap_in_use();
            assert_eq!(release(&db).await, 1);
            best = best.max(held.saturating_sub(rappu_alloc::c_heap_in_use()));
        }
        assert!(
            best > 1 << 20,
            "the release gave back {best} bytes of the C heap"
        );
    }

    /// A connection in use is not waited for: the release waits for a tick when both are
    /// free.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_release_never_waits_for_a_connection_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled(dir.path()).await;
        let (started, running) = tokio::sync::oneshot::channel();
        let (finish, finished) = std::sync::mpsc::channel::<()>();
        let slow = db.clone();
        let reading = tokio::spawn(async move {
            slow.read(move |_| {
                let _ = started.send(());
                let _ = finished.recv_timeout(Duration::from_secs(10));
                Ok(())
            })
            .await
        });
        running.await.unwrap();
        assert!(matches!(db.release_when_idle(), IdleRelease::Busy));
        for _ in 1..IDLE_RELEASE_TICKS {
            assert!(matches!(db.release_when_idle(), IdleRelease::Quiet));
        }
        let started = Instant::now();
        assert!(matches!(db.release_when_idle(), IdleRelease::Busy));
        assert!(started.elapsed() < Duration::from_secs(1));
        finish.send(()).unwrap();
        reading.await.unwrap().unwrap();
        // The read ended without a new use: the spell goes on and the release is made.
        let IdleRelease::Releasing(done) = db.release_when_idle() else {
            panic!("no release once the reader was free");
        };
        done.await.unwrap();
    }

    /// Callers waiting for a connection wait without a blocking thread: with two blocking
    /// threads, one busy reading and a second read waiting, other blocking work still runs
    /// at once.
    #[test]
    fn waiting_for_the_connection_parks_no_thread() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = MirrorDb::open_in(dir.path()).unwrap();
        runtime.block_on(async move {
            let slow = db.clone();
            let a = tokio::spawn(async move {
                slow.read(|_| {
                    std::thread::sleep(Duration::from_millis(400));
                    Ok(())
                })
                .await
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
            let waiting = db.clone();
            let b = tokio::spawn(async move { waiting.read(|_| Ok(())).await });
            tokio::time::sleep(Duration::from_millis(50)).await;
            let started = Instant::now();
            tokio::task::spawn_blocking(|| ()).await.unwrap();
            assert!(
                started.elapsed() < Duration::from_millis(200),
                "other blocking work waited {:?}",
                started.elapsed()
            );
            a.await.unwrap().unwrap();
            b.await.unwrap().unwrap();
        });
    }
}
