//! The mirror shared by replicas on PostgreSQL: one replica writes it, the others follow.
//!
//! The mirror's ordering rules (pending marks, fetches that never clear later marks,
//! reconciliations that keep newer rows, report versions) compare sequence numbers of one
//! process ([`super::AccountState`]). So one process applies them: the replica holding the
//! session advisory lock [`LOCK`] is the mirror's *writer*. Only it calls Tampuuri for the
//! mirror (first load, reconciliations, change fetches) and writes its rows.
//!
//! - **Fence.** Taking the lock bumps `mirror_writer.epoch`; every write transaction checks
//!   the epoch is still its own ([`fence`]), so a writer that lost its lock (a broken
//!   connection, a paused machine) cannot write once its successor has begun.
//! - **Followers** note every webhook notification as the writer does: what may concern a
//!   person is pending at once, on every replica. They queue no fetch. Their marks remember
//!   which notifications made them.
//! - **The log.** Each change the writer makes is appended to `mirror_events` (with the
//!   notifications it settled) and announced on [`CHANNEL`]. Followers apply the log in
//!   order ([`super::Mirror::follow`]): marks settled first, then feeds invalidated and
//!   event streams woken, so a rebuild never still sees the mark. A follower that lost its
//!   listening connection reads what it missed from the table.
//! - **Takeover.** A new writer re-notes the last 15 minutes of webhook notifications and
//!   fetches them (marks the old writer left are settled by their ids), and tells every
//!   replica to rebuild its feeds from the mirror (the old writer may have written rows and
//!   died before announcing them).
//! - **Rappu's own report writes** on a follower (a delivery's answer, a partner's
//!   transition) are fetched by the writer ([`ASK`]): one call each, where writing the answer
//!   from another process could put an older answer over a newer fetch.
//!
//! The design and the tests it has: `docs/shared-mirror.md`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Key, MirrorEvent};
use crate::args;
use crate::store::postgres::{PgTarget, lock_key};
use crate::store::sql::{Conn, DbError};

/// The session advisory lock the mirror's writer holds.
pub const LOCK: &str = "rappu:mirror";
/// The channel announcing a new row of `mirror_events` (its `seq`).
pub const CHANNEL: &str = "rappu_mirror";
/// The channel on which a follower asks the writer to fetch keys ([`Ask`]).
pub const ASK: &str = "rappu_mirror_ask";
/// How far back a new writer re-notes webhook notifications (seconds).
pub const RENOTE_SECS: i64 = 900;
/// How far back a starting follower applies the log (ms): settlements of notifications it
/// may learn of in its first catch-up.
pub const REPLAY_MS: i64 = 60_000;
/// How long the log is kept (ms).
pub const KEEP_MS: i64 = 86_400_000;

/// Whether this process writes the mirror, and in which epoch (0: it does not).
#[derive(Debug)]
pub struct Writer {
    epoch: AtomicI64,
    changed: watch::Sender<i64>,
}

impl Writer {
    /// The only writer there is (the mirror in its own SQLite file): always epoch 1.
    pub fn sole() -> Self {
        Self {
            epoch: AtomicI64::new(1),
            changed: watch::Sender::new(1),
        }
    }

    /// Not the writer until elected ([`spawn_election`]).
    pub fn elected() -> Self {
        Self {
            epoch: AtomicI64::new(0),
            changed: watch::Sender::new(0),
        }
    }

    /// The epoch this process writes in; 0 when it does not write.
    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Whether this process writes the mirror.
    pub fn is_writer(&self) -> bool {
        self.epoch() > 0
    }

    /// Follows the epoch.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.changed.subscribe()
    }

    fn set(&self, epoch: i64) {
        self.epoch.store(epoch, Ordering::Release);
        self.changed.send_replace(epoch);
    }
}

/// The writer's health, carried by its restamp events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthNote {
    /// Since when its fetches keep failing.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why the last one failed.
    pub last_error: Option<String>,
    /// Whether the budget holds reconciliations back.
    pub held_back: bool,
}

/// A follower's request that the writer fetch `keys` of `account`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ask {
    /// The account.
    pub account: String,
    /// What to fetch.
    pub keys: Vec<Key>,
}

/// Fails unless `epoch` is still the mirror's writing epoch; holds the row shared until the
/// transaction ends, so a successor's bump waits for this write and sees it.
pub fn fence(c: &mut Conn<'_>, epoch: i64) -> Result<(), DbError> {
    let current: Option<i64> = c
        .query_opt(
            "SELECT epoch FROM mirror_writer WHERE name = 'mirror' FOR SHARE",
            &[],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    if epoch > 0 && current == Some(epoch) {
        Ok(())
    } else {
        Err(DbError::Refused(if epoch == 0 {
            "this replica does not write the account mirror".to_owned()
        } else {
            format!(
                "this replica no longer writes the account mirror (epoch {epoch}, now {current:?})"
            )
        }))
    }
}

/// Appends `event` to the log and announces it (inside the fenced write); its `seq`.
pub fn append(c: &mut Conn<'_>, epoch: i64, event: &MirrorEvent) -> Result<i64, DbError> {
    let text = crate::store::sql::to_json(event)?;
    let seq: i64 = c
        .query_one(
            "INSERT INTO mirror_events (epoch, account, at, event) VALUES ($1, $2, $3, $4)
             RETURNING seq",
            args![epoch, event.account, Utc::now().timestamp_millis(), text],
        )?
        .get(0)?;
    c.execute("SELECT pg_notify($1, $2)", args![CHANNEL, seq.to_string()])?;
    Ok(seq)
}

/// Up to `limit` events after `seq`, in order: `(seq, epoch, event)`. An event that cannot
/// be read (a newer build's) is skipped with a warning.
pub fn events_after(
    c: &mut Conn<'_>,
    seq: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, MirrorEvent)>, DbError> {
    let mut out = Vec::new();
    for r in c.query(
        "SELECT seq, epoch, event FROM mirror_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        args![seq, limit],
    )? {
        let seq: i64 = r.get(0)?;
        match r.json::<MirrorEvent>(2) {
            Ok(event) => out.push((seq, r.get(1)?, event)),
            Err(e) => tracing::warn!(seq, error = %e, "unreadable mirror event skipped"),
        }
    }
    Ok(out)
}

/// Where a starting follower begins the log: after the last event older than `before_ms`.
pub fn start_seq(c: &mut Conn<'_>, before_ms: i64) -> Result<i64, DbError> {
    c.query_one(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM mirror_events WHERE at < $1",
        args![before_ms],
    )?
    .get(0)
}

/// Removes events older than `before_ms`; how many.
pub fn prune(c: &mut Conn<'_>, before_ms: i64) -> Result<usize, DbError> {
    c.execute("DELETE FROM mirror_events WHERE at < $1", args![before_ms])
}

/// Asks the writer to fetch `ask` (no fence: any replica may ask).
pub fn send_ask(c: &mut Conn<'_>, ask: &Ask) -> Result<(), DbError> {
    c.execute(
        "SELECT pg_notify($1, $2)",
        args![ASK, crate::store::sql::to_json(ask)?],
    )?;
    Ok(())
}

/// Keeps trying to become the mirror's writer until `stop`: on a connection of its own,
/// `pg_try_advisory_lock` every second; once held, bumps the epoch and checks the connection
/// every second. A lost connection (or `stop`) ends the writing at once; the database
/// releases the lock when the connection closes, and the next replica takes it.
pub fn spawn_election(
    target: PgTarget,
    writer: Arc<Writer>,
    instance: String,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = Duration::from_millis(200);
        while !stop.is_cancelled() {
            match campaign(&target, &writer, &instance, &stop).await {
                Ok(()) => break,
                Err(e) => {
                    if writer.is_writer() {
                        tracing::warn!(error = %e, "this replica stopped writing the account mirror");
                    } else {
                        tracing::debug!(error = %e, retry_in = ?wait, "cannot run for the mirror's writer");
                    }
                    writer.set(0);
                }
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(Duration::from_secs(5));
        }
        writer.set(0);
    })
}

async fn campaign(
    target: &PgTarget,
    writer: &Writer,
    instance: &str,
    stop: &CancellationToken,
) -> Result<(), String> {
    let client = crate::store::listen::connect(target).await?;
    let key = lock_key(LOCK);
    let ping = Duration::from_secs(1);
    let within = Duration::from_secs(5);
    loop {
        let got: bool = tokio::time::timeout(
            within,
            client.query_one("SELECT pg_try_advisory_lock($1)", &[&key]),
        )
        .await
        .map_err(|_| "the database did not answer".to_owned())?
        .map_err(|e| e.to_string())?
        .try_get(0)
        .map_err(|e| e.to_string())?;
        if got {
            break;
        }
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            () = tokio::time::sleep(ping) => {}
        }
    }
    let epoch: i64 = tokio::time::timeout(
        within,
        client.query_one(
            "INSERT INTO mirror_writer (name, epoch, instance, since) VALUES ('mirror', 1, $1, $2)
             ON CONFLICT (name) DO UPDATE SET epoch = mirror_writer.epoch + 1,
                 instance = excluded.instance, since = excluded.since
             RETURNING epoch",
            &[&instance, &Utc::now().timestamp()],
        ),
    )
    .await
    .map_err(|_| "the database did not answer".to_owned())?
    .map_err(|e| e.to_string())?
    .try_get(0)
    .map_err(|e| e.to_string())?;
    tracing::info!(epoch, "this replica writes the account mirror");
    writer.set(epoch);
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                writer.set(0);
                return Ok(());
            }
            () = tokio::time::sleep(ping) => {}
        }
        tokio::time::timeout(within, client.simple_query("SELECT 1"))
            .await
            .map_err(|_| "the database did not answer".to_owned())?
            .map_err(|e| e.to_string())?;
    }
}

impl super::Mirror {
    /// Applies the writer's log after the last event this replica applied, in order: each
    /// event's settled notifications clear this replica's marks first, then its feeds are
    /// invalidated and its event streams woken. A replica's own events (as the writer) are
    /// skipped. Called on each announcement, after a reconnection, and every two seconds.
    pub async fn follow(&self) -> Result<usize, crate::store::StoreError> {
        let Some(store) = self.db().store().cloned() else {
            return Ok(0);
        };
        let mut followed = self.inner.followed.lock().await;
        if *followed < 0 {
            let before = Utc::now().timestamp_millis() - REPLAY_MS;
            *followed = store.call(move |c| start_seq(c, before)).await?;
        }
        let mut applied = 0;
        loop {
            let after = *followed;
            let batch = store.call(move |c| events_after(c, after, 500)).await?;
            if batch.is_empty() {
                return Ok(applied);
            }
            for (seq, epoch, event) in batch {
                *followed = seq;
                if epoch == self.db().writer().epoch() {
                    continue;
                }
                self.apply_followed(event);
                applied += 1;
            }
        }
    }

    fn apply_followed(&self, event: MirrorEvent) {
        let Some(state) = self.account(&event.account) else {
            return;
        };
        for (key, ids) in &event.settled {
            state.settle_noted(*key, ids);
        }
        if let Some(note) = &event.health {
            let mut health = state.health();
            health.failing_since = note.failing_since;
            health.failing_since_clock = note.failing_since.and_then(|at| {
                let ago = Utc::now().signed_duration_since(at).to_std().ok()?;
                tokio::time::Instant::now().checked_sub(ago)
            });
            health.last_error.clone_from(&note.last_error);
            health.held_back = note.held_back;
        }
        let loaded = *state.loaded.borrow();
        if loaded && (!event.changes.is_empty() || !event.reports.is_empty() || event.restamp) {
            let _ = self.inner.events.send(event);
        }
    }

    /// A follower asked for `ask` to be fetched: queued, if this replica writes.
    pub fn asked(&self, ask: &Ask) {
        if self.is_writer()
            && let Some(state) = self.account(&ask.account)
        {
            state.enqueue(&ask.keys);
        }
    }

    /// Asks the writer to fetch `keys` of `account` (this replica does not write).
    pub(super) async fn ask(&self, account: &str, keys: Vec<Key>) {
        let Some(store) = self.db().store() else {
            return;
        };
        let ask = Ask {
            account: account.to_owned(),
            keys,
        };
        if let Err(e) = store.call(move |c| send_ask(c, &ask)).await {
            tracing::warn!(error = %e, "cannot ask the mirror's writer to fetch a report; the next reconciliation reads it");
        }
    }

    /// The shared mirror's tasks: the election, the writer's work while elected, the
    /// publisher of the writer's events, and the follower's clock (log, `loaded`, sync
    /// times).
    pub(super) fn spawn_shared(
        &self,
        stop: &CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let Some(store) = self.db().store().cloned() else {
            return Vec::new();
        };
        let mut tasks = Vec::new();
        if let Some(pool) = store.postgres() {
            tasks.push(spawn_election(
                pool.target().clone(),
                Arc::clone(self.db().writer()),
                store.instance().to_owned(),
                stop.clone(),
            ));
        }
        let mirror = self.clone();
        let until = stop.clone();
        tasks.push(tokio::spawn(async move { mirror.supervise(until).await }));
        let mirror = self.clone();
        let until = stop.clone();
        tasks.push(tokio::spawn(async move { mirror.publish_log(until).await }));
        let mirror = self.clone();
        let until = stop.clone();
        tasks.push(tokio::spawn(
            async move { mirror.follower_clock(until).await },
        ));
        tasks
    }

    /// Runs the writer's work (reconciliations, change fetches) while this replica is
    /// elected; stops it the moment it is not.
    async fn supervise(&self, stop: CancellationToken) {
        let mut epochs = self.db().writer().subscribe();
        loop {
            let epoch = *epochs.borrow_and_update();
            if epoch == 0 {
                tokio::select! {
                    () = stop.cancelled() => return,
                    changed = epochs.changed() => if changed.is_err() { return },
                }
                continue;
            }
            let work = stop.child_token();
            self.take_over().await;
            let handles = self.spawn_writing(&work);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    changed = epochs.changed() => {
                        if changed.is_err() || *epochs.borrow() != epoch {
                            break;
                        }
                    }
                }
            }
            work.cancel();
            for handle in handles {
                let _ = handle.await;
            }
            if stop.is_cancelled() {
                return;
            }
        }
    }

    /// A new writer's first steps: report versions start again (they are its sequence
    /// numbers); the notifications of the last [`RENOTE_SECS`] are noted and fetched again
    /// (the old writer may have died before settling them); every replica rebuilds its
    /// feeds from the mirror (the old writer may have died between a write and its event).
    async fn take_over(&self) {
        if let Err(e) = self
            .db()
            .write(|c| {
                c.execute(
                    "UPDATE mirror_reports SET version = 0 WHERE version <> 0",
                    &[],
                )
            })
            .await
        {
            tracing::warn!(error = %e, "cannot reset the mirror's report versions");
        }
        if let Some(store) = self.db().store() {
            let since = Utc::now().timestamp() - RENOTE_SECS;
            // What the log says was settled needs no second fetch (a plain restart of the
            // only replica fetches nothing again).
            let from = since.saturating_mul(1000);
            let settled: std::collections::HashSet<String> = store
                .call(move |c| {
                    let first = start_seq(c, from)?;
                    events_after(c, first, 1_000_000)
                })
                .await
                .unwrap_or_default()
                .into_iter()
                .flat_map(|(_, _, event)| event.settled)
                .flat_map(|(_, ids)| ids)
                .collect();
            match store.all_notifications_since(since).await {
                Ok(recent) => {
                    for n in recent.into_iter().filter(|n| !settled.contains(&n.id)) {
                        if let Err(e) = self.note(&n.account, &n).await {
                            tracing::warn!(error = %e, "cannot note a recent notification again");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read recent webhook notifications"),
            }
        }
        let names: Vec<String> = self.tampuuri().account_names().map(str::to_owned).collect();
        for account in names {
            self.emit(MirrorEvent {
                restamp: true,
                health: self.health_note(&account),
                account,
                ..MirrorEvent::default()
            });
        }
    }

    /// Appends the writer's events to the log, in order, until `stop` (what is queued then
    /// is appended first). An event that cannot be appended while this replica still writes
    /// is tried again; once it no longer writes, the next writer's takeover stands for it.
    async fn publish_log(&self, stop: CancellationToken) {
        let Some(mut events) = super::AccountState::lock(&self.inner.publish_rx).take() else {
            return;
        };
        loop {
            let event = tokio::select! {
                biased;
                event = events.recv() => match event {
                    Some(event) => event,
                    None => return,
                },
                () = stop.cancelled() => return,
            };
            let mut wait = Duration::from_millis(100);
            loop {
                let epoch = self.db().writer().epoch();
                if epoch == 0 {
                    break;
                }
                let written = event.clone();
                match self.db().write(move |c| append(c, epoch, &written)).await {
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot append to the mirror's log; trying again");
                        tokio::select! {
                            () = stop.cancelled() => return,
                            () = tokio::time::sleep(wait) => {}
                        }
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
    }

    /// Every two seconds: the writer's log (a safety net under the announcements), and, on a
    /// follower, whether each account is loaded and when it was last reconciled.
    async fn follower_clock(&self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let names: Vec<String> = self.tampuuri().account_names().map(str::to_owned).collect();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = self.follow().await {
                tracing::debug!(error = %e, "cannot read the mirror's log");
            }
            if self.is_writer() {
                continue;
            }
            for account in &names {
                let Some(state) = self.account(account) else {
                    continue;
                };
                let mut all = true;
                for kind in [
                    super::sync::REGISTRY,
                    super::sync::PEOPLE,
                    super::sync::REPORTS,
                    super::sync::NEWS,
                ] {
                    match self.last_synced(account, kind).await {
                        Some(at) => {
                            state.health().synced_at.insert(kind.to_owned(), at);
                        }
                        None => all = false,
                    }
                }
                if all && !*state.loaded.borrow() {
                    tracing::info!(account, "mirror loaded (by the replica that writes it)");
                    state.loaded.send_replace(true);
                }
            }
        }
    }
}
