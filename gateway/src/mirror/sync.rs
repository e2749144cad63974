//! Reconciliations: each kind of data read account-wide, 250 rows a call, compared with
//! what the mirror holds, and only the differences written and announced.
//!
//! | kind | reads | cadence |
//! |---|---|---|
//! | `registry` | `kustannuspaikat/selaa`, then `kohteet/{id}/selaa` per property | `mirror.registry_secs` (a week) |
//! | `people` | `osapuolet/yhteydet/selaa` for residents and staff, account-wide (*assumed*: no `KohdeId` = every object) | `mirror.reconcile_secs` (a day) with webhooks, `mirror.poll_secs` without |
//! | `reports` | `ilmoitukset/selaa` for open, received, waiting and done reports (a report that left them is then read by id) | as `people` |
//! | `news` | `uutiset/selaa` account-wide (*assumed*) | `mirror.news_secs` (an hour) |
//!
//! A reconciliation never overwrites rows that a notification touched after it began (its
//! copy may be older), and settles what notifications before it marked pending (its copy
//! is newer). Reports carry their version instead (the sequence number their fetch began
//! at, or Tampuuri answered Rappu's own write at): the latest read wins, whoever lands
//! last ([`Mirror::write_reports`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use crate::args;
use crate::store::sql::{Conn, DbError};
use chrono::Utc;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::db::{self, ConnectionRow, ObjectRow};
use super::rows::{self, Place};
use super::{Key, Mirror, MirrorEvent};
use crate::feeds::resources::Resource;
use crate::store::StoreError;
use crate::upstream::tampuuri::model::{
    Connection, ConnectionQuery, ConnectionRole, FaultReport, Object, ObjectKind, ReportQuery,
    ReportState,
};
use crate::upstream::tampuuri::{TampuuriClient, UpstreamError, routes};

/// The registry: properties, buildings, staircases, apartments.
pub const REGISTRY: &str = "registry";
/// Residents' and staff's connections.
pub const PEOPLE: &str = "people";
/// Open fault reports.
pub const REPORTS: &str = "reports";
/// Announcements.
pub const NEWS: &str = "news";

/// Rows a page holds.
const PAGE: u64 = super::costs::PAGE_ROWS;
/// Rows a reconciliation writes at a time (see [`Mirror::sync_registry`]).
const WRITE_BATCH: usize = 1024;

/// What a registry sweep's writes changed so far.
#[derive(Default)]
struct RegistryWrites {
    /// The resources whose feeds the changed rows concern.
    affected: BTreeSet<Resource>,
    /// Rows written or deleted.
    changed: u64,
}

/// Why the mirror could not do something.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// Tampuuri failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The mirror's database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The account is not served.
    #[error("account {0} is not served")]
    UnknownAccount(String),
}

impl From<MirrorError> for UpstreamError {
    fn from(e: MirrorError) -> Self {
        match e {
            MirrorError::Upstream(e) => e,
            MirrorError::Store(e) => UpstreamError::Unavailable {
                route: "(mirror)",
                reason: e.to_string(),
                retry_after: None,
            },
            MirrorError::UnknownAccount(account) => UpstreamError::Unauthorized { account },
        }
    }
}

/// What a reconciliation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// Rows read.
    pub rows: u64,
    /// Calls made.
    pub calls: u64,
    /// Rows added, changed or removed.
    pub changed: u64,
}

/// Calls a paged read of `rows` rows takes.
pub fn calls_for(rows: u64) -> u64 {
    rows.div_ceil(PAGE).max(1)
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The roles the mirror keeps: residents for the boards and sign-in, staff for contacts.
pub fn kept_roles() -> Vec<ConnectionRole> {
    vec![
        ConnectionRole::Resident,
        ConnectionRole::Manager,
        ConnectionRole::Maintenance,
        ConnectionRole::BoardChair,
    ]
}

/// The place of `object` as the registry has it.
pub(super) fn place_of(
    conn: &mut Conn<'_>,
    account: &str,
    object: Option<u64>,
) -> Result<Place, DbError> {
    let Some(object) = object.and_then(|o| i64::try_from(o).ok()) else {
        return Ok(Place::default());
    };
    let Some(r) = conn.query_opt(
        "SELECT building_id, property_id FROM mirror_objects WHERE account = $1 AND id = $2",
        args![account, object],
    )?
    else {
        return Ok(Place::default());
    };
    Ok(Place {
        building: r.get::<Option<i64>>(0)?.and_then(|v| u64::try_from(v).ok()),
        property: r.get::<Option<i64>>(1)?.and_then(|v| u64::try_from(v).ok()),
    })
}

/// The buildings an announcement on `object` concerns: every building of a property, the
/// building itself, or the building an object below it is in.
pub(super) fn buildings_for_object(
    conn: &mut Conn<'_>,
    account: &str,
    object: u64,
) -> Result<Vec<u64>, DbError> {
    let kind: Option<String> = conn
        .query_opt(
            "SELECT kind FROM mirror_objects WHERE account = $1 AND id = $2",
            args![account, i64::try_from(object).unwrap_or(-1)],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    if kind.as_deref() == Some(ObjectKind::CostCentre.name()) {
        return conn
            .query(
                "SELECT id FROM mirror_objects WHERE account = $1 AND property_id = $2 AND kind = $3",
                args![
                    account,
                    i64::try_from(object).unwrap_or(-1),
                    ObjectKind::Building.name()
                ],
            )?
            .into_iter()
            .map(|r| Ok(u64::try_from(r.get::<i64>(0)?).unwrap_or(0)))
            .collect();
    }
    Ok(place_of(conn, account, Some(object))?
        .building
        .into_iter()
        .collect())
}

impl Mirror {
    pub(super) fn client(&self, account: &str) -> Result<TampuuriClient, MirrorError> {
        self.tampuuri()
            .account(account)
            .cloned()
            .ok_or_else(|| MirrorError::UnknownAccount(account.to_owned()))
    }

    fn record(&self, account: &str, kind: &'static str, synced: Synced) {
        if let Some(state) = self.account(account) {
            let mut health = state.health();
            health.synced_at.insert(kind.to_owned(), Utc::now());
            health.sync_calls.insert(kind.to_owned(), synced.calls);
        }
        tracing::info!(
            account,
            kind,
            rows = synced.rows,
            calls = synced.calls,
            changed = synced.changed,
            "mirror reconciled"
        );
    }

    async fn note_sync(
        &self,
        account: &str,
        kind: &'static str,
        synced: Synced,
    ) -> Result<(), MirrorError> {
        let account_owned = account.to_owned();
        self.db()
            .write(move |c| {
                db::record_sync(c, &account_owned, kind, now_ms(), synced.rows, synced.calls)
            })
            .await?;
        self.record(account, kind, synced);
        Ok(())
    }

    /// Reconciles the registry of `account`.
    pub async fn sync_registry(&self, account: &str) -> Result<Synced, MirrorError> {
        let client = self.client(account)?;
        let state = self
            .account(account)
            .ok_or_else(|| MirrorError::UnknownAccount(account.into()))?;
        let began = state.seq();
        let properties = client.cost_centres().await?;
        let mut synced = Synced {
            rows: properties.len() as u64,
            calls: calls_for(properties.len() as u64),
            changed: 0,
        };
        // What is stored now, as digests: ~16 bytes an object. Holding every fetched row
        // until the last subtree came took ~250 bytes an object (57 MB of peak at 230,000
        // objects, which the allocator then kept around what stayed live): now each
        // subtree's changed rows are written as they arrive, a batch at a time, and only
        // the ids seen are kept for finding what is gone.
        let owned = account.to_owned();
        let old = self
            .db()
            .read(move |c| db::digests(c, "mirror_objects", &owned))
            .await?;
        let mut seen: HashSet<u64> = HashSet::with_capacity(old.len());
        let mut sweep = RegistryWrites::default();
        let ids: Vec<u64> = properties.iter().map(|p| p.id).collect();
        let mut by_id: HashMap<u64, Object> = properties.into_iter().map(|p| (p.id, p)).collect();
        let reader = client.clone();
        let mut subtrees = futures::stream::iter(ids.into_iter().map(move |id| {
            let client = reader.clone();
            async move { client.descendants(id, Vec::new()).await.map(|d| (id, d)) }
        }))
        .buffer_unordered(4);
        let mut batch: Vec<ObjectRow> = Vec::new();
        while let Some(subtree) = subtrees.next().await {
            let (property, below) = subtree?;
            synced.rows += below.len() as u64;
            synced.calls += calls_for(below.len() as u64);
            let mut all: Vec<Object> = Vec::with_capacity(below.len() + 1);
            all.extend(by_id.remove(&property));
            all.extend(below);
            let places = rows::places(&all, Some(property));
            for o in &all {
                let row = rows::object_row(o, places.get(&o.id).copied().unwrap_or_default());
                seen.insert(row.id);
                if old.get(&row.id) != Some(&db::digest(&row.row)) {
                    batch.push(row);
                }
            }
            if batch.len() >= WRITE_BATCH {
                let rows = std::mem::take(&mut batch);
                sweep = self
                    .write_registry(account, began, rows, None, sweep)
                    .await?;
            }
        }
        drop(by_id);
        // The last batch, what is gone and the connections' new places in one transaction.
        let gone: Vec<u64> = old
            .keys()
            .filter(|id| !seen.contains(id))
            .copied()
            .collect();
        drop(seen);
        drop(old);
        let sweep = self
            .write_registry(account, began, batch, Some(gone), sweep)
            .await?;
        synced.changed = sweep.changed;
        self.emit(MirrorEvent::changed(account, sweep.affected, Vec::new()));
        self.note_sync(account, REGISTRY, synced).await?;
        Ok(synced)
    }

    /// Writes one batch of a registry sweep's changed rows (and, with the last, the ids
    /// that are `gone`), skipping rows a change fetch wrote since the sweep `began`: the
    /// fresher copy stays. Moves the connections and reports to their objects' places once
    /// something changed, with the last batch.
    async fn write_registry(
        &self,
        account: &str,
        began: u64,
        rows: Vec<ObjectRow>,
        gone: Option<Vec<u64>>,
        mut sweep: RegistryWrites,
    ) -> Result<RegistryWrites, MirrorError> {
        let last = gone.is_some();
        let gone = gone.unwrap_or_default();
        let mirror = self.clone();
        let account = account.to_owned();
        let sweep = self
            .db()
            .write(move |c| {
                let Some(state) = mirror.account(&account) else {
                    return Ok(sweep);
                };
                let touched: HashSet<u64> = state
                    .touched_since(began)
                    .into_iter()
                    .filter_map(|k| match k {
                        Key::Object(o) => Some(o),
                        _ => None,
                    })
                    .collect();
                c.transaction(|tx| {
                    let mut write = Vec::with_capacity(rows.len());
                    for row in rows {
                        if touched.contains(&row.id) {
                            continue;
                        }
                        // Each row's place before is its own row's: writing others first does
                        // not change it.
                        let before = place_of(tx, &account, Some(row.id))?;
                        sweep
                            .affected
                            .extend(object_resources(row.id, &row.kind, before));
                        sweep.affected.extend(object_resources(
                            row.id,
                            &row.kind,
                            Place {
                                building: row.building_id,
                                property: row.property_id,
                            },
                        ));
                        write.push(row);
                    }
                    let gone: Vec<u64> = gone
                        .into_iter()
                        .filter(|id| !touched.contains(id))
                        .collect();
                    for id in &gone {
                        let before = place_of(tx, &account, Some(*id))?;
                        sweep.affected.extend(object_resources(*id, "", before));
                    }
                    db::put_objects(tx, &account, &write)?;
                    db::delete_ids(tx, "mirror_objects", &account, &gone)?;
                    sweep.changed += (write.len() + gone.len()) as u64;
                    if last && sweep.changed > 0 {
                        relocate(tx, &account)?;
                    }
                    Ok(sweep)
                })
            })
            .await?;
        Ok(sweep)
    }

    /// Reconciles residents' and staff's connections of `account`.
    pub async fn sync_people(&self, account: &str) -> Result<Synced, MirrorError> {
        let client = self.client(account)?;
        let state = self
            .account(account)
            .ok_or_else(|| MirrorError::UnknownAccount(account.into()))?;
        let began = state.seq();
        let query = ConnectionQuery {
            roles: kept_roles(),
            ..ConnectionQuery::default()
        };
        let account_owned = account.to_owned();
        let old = {
            let account = account_owned.clone();
            self.db()
                .read(move |c| db::digests(c, "mirror_connections", &account))
                .await?
        };
        let mut synced = Synced::default();
        let mut seen: HashSet<u64> = HashSet::with_capacity(old.len());
        let mut affected: BTreeSet<Resource> = BTreeSet::new();
        let mut pages =
            std::pin::pin!(client.browse::<Connection>(&routes::CONNECTIONS, None, Some(&query)));
        while let Some(page) = pages.next().await {
            let page = page?;
            synced.calls += 1;
            synced.rows += page.len() as u64;
            let changed: Vec<Connection> = page
                .into_iter()
                .filter(|c| {
                    seen.insert(c.id);
                    let stored = rows::connection_row(c.clone(), Place::default());
                    old.get(&c.id) != Some(&db::digest(&stored.row))
                })
                .collect();
            if changed.is_empty() {
                continue;
            }
            let (n, resources) = self
                .write_connections(&account_owned, began, changed, Vec::new())
                .await?;
            synced.changed += n;
            affected.extend(resources);
        }
        let gone: Vec<u64> = old
            .keys()
            .filter(|id| !seen.contains(id))
            .copied()
            .collect();
        if !gone.is_empty() {
            let (n, resources) = self
                .write_connections(&account_owned, began, Vec::new(), gone)
                .await?;
            synced.changed += n;
            affected.extend(resources);
        }
        // Notifications before this began are answered by it.
        let settled: Vec<Key> = {
            let pending = super::AccountState::lock(&state.pending);
            pending
                .iter()
                .filter(|(k, marked)| k.is_privacy() && **marked <= began)
                .map(|(k, _)| *k)
                .collect()
        };
        let notes = state.settle(&settled, began);
        for key in &settled {
            affected.extend(self.people_resources(account, *key).await?);
        }
        let mut event = MirrorEvent::changed(account, affected, Vec::new());
        event.settled = notes;
        self.emit(event);
        self.note_sync(account, PEOPLE, synced).await?;
        Ok(synced)
    }

    /// Writes connection rows `put` and deletes `delete` (ids), except rows of parties and
    /// objects a notification touched after `began`; the number written and the feed
    /// resources affected (before and after).
    pub(super) async fn write_connections(
        &self,
        account: &str,
        began: u64,
        put: Vec<Connection>,
        delete: Vec<u64>,
    ) -> Result<(u64, Vec<Resource>), MirrorError> {
        let mirror = self.clone();
        let account = account.to_owned();
        Ok(self
            .db()
            .write(move |c| {
                let Some(state) = mirror.account(&account) else {
                    return Ok((0, Vec::new()));
                };
                let (parties, objects) = touched_people(&state.touched_since(began));
                c.transaction(|tx| {
                let mut affected = BTreeSet::new();
                let mut rows = Vec::with_capacity(put.len());
                for conn in put {
                    if parties.contains(&conn.party.id) || objects.contains(&conn.object_id) {
                        continue;
                    }
                    let id = conn.id;
                    affected.extend(connection_resources(tx, &account, id)?);
                    let place = place_of(tx, &account, Some(conn.object_id))?;
                    let row = rows::connection_row(conn, place);
                    affected.extend(row_resources(tx, &account, &row)?);
                    rows.push(row);
                }
                let mut gone = Vec::with_capacity(delete.len());
                for id in delete {
                    let owner: Option<(i64, i64)> = tx
                        .query_opt(
                            "SELECT party_id, object_id FROM mirror_connections WHERE account = $1 AND id = $2",
                            args![account, i64::try_from(id).unwrap_or(-1)],
                        )?
                        .map(|r| Ok::<_, DbError>((r.get(0)?, r.get(1)?)))
                        .transpose()?;
                    let Some((party, object)) = owner else { continue };
                    let (party, object) = (
                        u64::try_from(party).unwrap_or(0),
                        u64::try_from(object).unwrap_or(0),
                    );
                    if parties.contains(&party) || objects.contains(&object) {
                        continue;
                    }
                    affected.extend(connection_resources(tx, &account, id)?);
                    gone.push(id);
                }
                db::put_connections(tx, &account, &rows)?;
                db::delete_ids(tx, "mirror_connections", &account, &gone)?;
                Ok(((rows.len() + gone.len()) as u64, affected.into_iter().collect()))
                })
            })
            .await?)
    }

    /// Reconciles the open fault reports of `account`.
    pub async fn sync_reports(&self, account: &str) -> Result<Synced, MirrorError> {
        let client = self.client(account)?;
        let state = self
            .account(account)
            .ok_or_else(|| MirrorError::UnknownAccount(account.into()))?;
        let began = state.seq();
        // Done reports too: they wait for completion, which residents follow.
        let query = ReportQuery {
            states: vec![
                ReportState::Open,
                ReportState::Received,
                ReportState::Waiting,
                ReportState::Done,
            ],
            ..ReportQuery::default()
        };
        let open = client.fault_reports(&query).await?;
        let synced_rows = open.len() as u64;
        let (changes, reports, left) = self.write_reports(account, began, open, true).await?;
        // Reports the mirror had open that are no longer: their new state by id.
        state.enqueue(&left.into_iter().map(Key::Report).collect::<Vec<_>>());
        let synced = Synced {
            rows: synced_rows,
            calls: calls_for(synced_rows),
            changed: reports.len() as u64,
        };
        self.emit(MirrorEvent::changed(account, changes, reports));
        self.note_sync(account, REPORTS, synced).await?;
        Ok(synced)
    }

    /// Writes `reports`, read by a fetch that began at sequence number `began` (or answered
    /// to Rappu's own write then), as version `began`: a row already holding a later
    /// version keeps it, so neither a fetch that began before Rappu's own write nor one that
    /// began before a notification's fetch ever puts older data back, whichever lands
    /// last. With `complete_open`, `reports` is every open report, and the ids of mirror
    /// rows still open but absent (and not written since `began`) are returned too. Returns
    /// the feed resources affected, the ids written, and those absent ids.
    pub(super) async fn write_reports(
        &self,
        account: &str,
        began: u64,
        reports: Vec<FaultReport>,
        complete_open: bool,
    ) -> Result<(Vec<Resource>, Vec<u64>, Vec<u64>), MirrorError> {
        let account = account.to_owned();
        let version = i64::try_from(began).unwrap_or(i64::MAX);
        Ok(self
            .db()
            .write(move |c| {
                c.transaction(|tx| {
                    let mut affected = BTreeSet::new();
                    let mut written = Vec::new();
                    let mut rows: Vec<db::Versioned> = Vec::new();
                    let mut confirmed = Vec::new();
                    let mut seen = HashSet::new();
                    for r in &reports {
                        seen.insert(r.id);
                        let building = place_of(tx, &account, r.object_id)?.building;
                        let row = rows::report_row(r, building);
                        let old: Option<(String, Option<i64>, i64)> = tx
                            .query_opt(
                                "SELECT row, building_id, version FROM mirror_reports
                             WHERE account = $1 AND id = $2",
                                args![account, i64::try_from(r.id).unwrap_or(-1)],
                            )?
                            .map(|mut x| Ok::<_, DbError>((x.take_text(0)?, x.get(1)?, x.get(2)?)))
                            .transpose()?;
                        if let Some((text, building_was, kept)) = old {
                            if kept > version {
                                continue;
                            }
                            if text == row.row {
                                // The same data, read later: its version moves on, or an
                                // older read landing after this one could still replace it.
                                if kept < version {
                                    confirmed.push(r.id);
                                }
                                continue;
                            }
                            if let Some(b) = building_was.and_then(|b| u64::try_from(b).ok()) {
                                affected.insert(Resource::OpenReports(b));
                            }
                        }
                        if let Some(b) = building {
                            affected.insert(Resource::OpenReports(b));
                        }
                        written.push(r.id);
                        rows.push((row, began));
                    }
                    db::put_reports(tx, &account, &rows, now_ms())?;
                    db::confirm_reports(tx, &account, &confirmed, began)?;
                    let mut absent = Vec::new();
                    if complete_open {
                        let open: Vec<i64> = tx
                            .query(
                                "SELECT id FROM mirror_reports
                             WHERE account = $1 AND (open = 1 OR state = $2) AND version <= $3",
                                args![account, ReportState::Done.name(), version],
                            )?
                            .into_iter()
                            .map(|r| r.get(0))
                            .collect::<Result<_, _>>()?;
                        absent = open
                            .into_iter()
                            .filter_map(|id| u64::try_from(id).ok())
                            .filter(|id| !seen.contains(id))
                            .collect();
                    }
                    Ok((affected.into_iter().collect(), written, absent))
                })
            })
            .await?)
    }

    /// Reconciles the announcements of `account`.
    pub async fn sync_news(&self, account: &str) -> Result<Synced, MirrorError> {
        let client = self.client(account)?;
        let all = client.all_announcements().await?;
        let synced_rows = all.len() as u64;
        let account_owned = account.to_owned();
        let (changes, changed) = self
            .db()
            .write(move |c| {
                let old = db::digests(c, "mirror_announcements", &account_owned)?;
                c.transaction(|tx| {
                let mut affected = BTreeSet::new();
                let mut write = Vec::new();
                let mut seen = HashSet::new();
                for a in &all {
                    seen.insert(a.id);
                    let row = rows::announcement_row(a);
                    if old.get(&a.id) != Some(&db::digest(&row.2)) {
                        write.push(row);
                    }
                }
                let gone: Vec<u64> = old
                    .keys()
                    .filter(|id| !seen.contains(id))
                    .copied()
                    .collect();
                let mut objects: Vec<u64> = write.iter().filter_map(|(_, o, _)| *o).collect();
                for id in &gone {
                    let object: Option<Option<i64>> = tx
                        .query_opt(
                            "SELECT object_id FROM mirror_announcements WHERE account = $1 AND id = $2",
                            args![account_owned, i64::try_from(*id).unwrap_or(-1)],
                        )?
                        .map(|r| r.get(0))
                        .transpose()?;
                    objects.extend(object.flatten().and_then(|o| u64::try_from(o).ok()));
                }
                for (id, _, _) in &write {
                    let object: Option<Option<i64>> = tx
                        .query_opt(
                            "SELECT object_id FROM mirror_announcements WHERE account = $1 AND id = $2",
                            args![account_owned, i64::try_from(*id).unwrap_or(-1)],
                        )?
                        .map(|r| r.get(0))
                        .transpose()?;
                    objects.extend(object.flatten().and_then(|o| u64::try_from(o).ok()));
                }
                for object in objects {
                    for b in buildings_for_object(tx, &account_owned, object)? {
                        affected.insert(Resource::Announcements(b));
                    }
                }
                db::put_announcements(tx, &account_owned, &write)?;
                db::delete_ids(tx, "mirror_announcements", &account_owned, &gone)?;
                let changed = (write.len() + gone.len()) as u64;
                Ok((affected.into_iter().collect::<Vec<_>>(), changed))
                })
            })
            .await?;
        let synced = Synced {
            rows: synced_rows,
            calls: calls_for(synced_rows),
            changed,
        };
        self.emit(MirrorEvent::changed(account, changes, Vec::new()));
        self.note_sync(account, NEWS, synced).await?;
        Ok(synced)
    }

    /// Keeps every account's mirror reconciled until `stop`: a first load where there is
    /// none, one reconciliation at start where there is (notifications may have been lost
    /// while Rappu was down), then each kind on its cadence. Also runs each account's
    /// refresher ([`super::changes`]). With the mirror shared by replicas, only the elected
    /// writer does this, while it is elected ([`super::shared`]).
    pub fn spawn(&self, stop: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
        if self.db().is_shared() {
            return self.spawn_shared(&stop);
        }
        self.spawn_writing(&stop)
    }

    /// The writer's work: each account's reconciliations and change fetches, until `stop`.
    pub(super) fn spawn_writing(
        &self,
        stop: &CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        let names: Vec<String> = self.tampuuri().account_names().map(str::to_owned).collect();
        for account in names {
            let mirror = self.clone();
            let stop_sync = stop.clone();
            let name = account.clone();
            tasks.push(tokio::spawn(async move {
                mirror.run_account(name, stop_sync).await
            }));
            let mirror = self.clone();
            let stop_refresh = stop.clone();
            tasks.push(tokio::spawn(async move {
                mirror.run_refresher(account, stop_refresh).await;
            }));
        }
        tasks
    }

    pub(super) async fn last_synced(
        &self,
        account: &str,
        kind: &'static str,
    ) -> Option<chrono::DateTime<Utc>> {
        let account = account.to_owned();
        self.db()
            .read(move |c| db::last_sync(c, &account, kind))
            .await
            .ok()
            .flatten()
            .and_then(|(at, _, _)| chrono::DateTime::from_timestamp_millis(at))
    }

    async fn run_kind(&self, account: &str, kind: &'static str) -> Result<Synced, MirrorError> {
        match kind {
            REGISTRY => self.sync_registry(account).await,
            PEOPLE => self.sync_people(account).await,
            REPORTS => self.sync_reports(account).await,
            _ => self.sync_news(account).await,
        }
    }

    async fn run_account(&self, account: String, stop: CancellationToken) {
        let Some(state) = self.account(&account) else {
            return;
        };
        let kinds = [REGISTRY, PEOPLE, REPORTS, NEWS];
        let loaded = self.last_synced(&account, PEOPLE).await.is_some()
            && self.last_synced(&account, REGISTRY).await.is_some();
        if loaded {
            state.loaded.send_replace(true);
        }
        // Due: a first load does everything; a restart reconciles everything but the
        // registry, which waits for its cadence.
        let mut due: HashMap<&'static str, tokio::time::Instant> = HashMap::new();
        let now = tokio::time::Instant::now();
        for kind in kinds {
            let at = if !loaded || kind != REGISTRY {
                now
            } else {
                let last = self.last_synced(&account, kind).await;
                let age = last
                    .map(|at| {
                        Utc::now()
                            .signed_duration_since(at)
                            .to_std()
                            .unwrap_or_default()
                    })
                    .unwrap_or(Duration::MAX);
                now + self.cadence(kind).saturating_sub(age)
            };
            due.insert(kind, at);
        }
        // Each kind's own retry delay after a failure (5 s, doubling up to 15 minutes): one
        // delay shared by every kind doubled with each kind's failure, so a one-minute outage
        // could leave the people sweep waiting six minutes after Tampuuri was back.
        let mut backoff: HashMap<&'static str, Duration> = HashMap::new();
        loop {
            let (kind, at) = kinds
                .iter()
                .map(|k| (*k, due[k]))
                .min_by_key(|(_, at)| *at)
                .unwrap_or((PEOPLE, now));
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep_until(at) => {}
            }
            let first_load = !*state.loaded.borrow();
            if !first_load && !self.budget().allows_background(&account) {
                self.set_health(&account, None, Some(true));
                due.insert(
                    kind,
                    tokio::time::Instant::now() + Duration::from_secs(3_600),
                );
                continue;
            }
            if state.health().held_back {
                self.set_health(&account, None, Some(false));
            }
            match self.run_kind(&account, kind).await {
                Ok(_) => {
                    backoff.remove(kind);
                    // A sweep holds a whole account's rows for a moment, on threads that
                    // then go quiet: give that memory back now rather than keep the peak
                    // (the `rappu_alloc` crate's docs; README, "Memory (part 3)").
                    let _ = tokio::task::spawn_blocking(rappu_alloc::release_unused).await;
                    self.set_health(&account, None, None);
                    due.insert(kind, tokio::time::Instant::now() + self.cadence(kind));
                    if first_load && kinds.iter().all(|k| due[k] > tokio::time::Instant::now()) {
                        *super::AccountState::lock(&state.load_error) = None;
                        state.loaded.send_replace(true);
                        tracing::info!(account, "mirror loaded");
                    }
                }
                Err(e) => {
                    let delay = backoff.get(kind).copied().unwrap_or(Duration::from_secs(5));
                    tracing::warn!(account, kind, error = %e, retry_in_secs = delay.as_secs(), "mirror reconciliation failed");
                    if first_load {
                        *super::AccountState::lock(&state.load_error) = Some(match &e {
                            MirrorError::Upstream(e) => e.clone(),
                            other => UpstreamError::Unavailable {
                                route: "(mirror)",
                                reason: other.to_string(),
                                retry_after: None,
                            },
                        });
                    }
                    self.set_health(&account, Some(e.to_string()), None);
                    due.insert(kind, tokio::time::Instant::now() + delay);
                    backoff.insert(kind, (delay * 2).min(Duration::from_secs(900)));
                }
            }
        }
    }

    fn cadence(&self, kind: &str) -> Duration {
        let s = self.settings();
        match kind {
            REGISTRY => s.registry_every(),
            NEWS => s.news_every(self.webhooks()),
            _ => s.people_every(self.webhooks()),
        }
    }
}

/// The parties and objects among `keys`.
fn touched_people(keys: &[Key]) -> (HashSet<u64>, HashSet<u64>) {
    let mut parties = HashSet::new();
    let mut objects = HashSet::new();
    for key in keys {
        match key {
            Key::Party(p) | Key::PartyConnections(p) => {
                parties.insert(*p);
            }
            Key::ObjectConnections(o) => {
                objects.insert(*o);
            }
            _ => {}
        }
    }
    (parties, objects)
}

/// The feed resources an object's row feeds, at `place`.
fn object_resources(id: u64, kind: &str, place: Place) -> Vec<Resource> {
    let mut out = Vec::new();
    if let Some(b) = place.building {
        out.push(Resource::BuildingTree(b));
        out.push(Resource::Object(b));
    }
    if kind == ObjectKind::CostCentre.name() || place.property == Some(id) {
        out.push(Resource::Object(id));
    }
    out
}

/// The resources a stored connection row (by id) feeds, read from the database.
pub(super) fn connection_resources(
    conn: &mut Conn<'_>,
    account: &str,
    id: u64,
) -> Result<Vec<Resource>, DbError> {
    let row: Option<(i64, String, Option<i64>, Option<i64>)> = conn
        .query_opt(
            "SELECT party_id, role, building_id, property_id FROM mirror_connections
             WHERE account = $1 AND id = $2",
            args![account, i64::try_from(id).unwrap_or(-1)],
        )?
        .map(|mut r| Ok::<_, DbError>((r.get(0)?, r.take_text(1)?, r.get(2)?, r.get(3)?)))
        .transpose()?;
    let Some((party, role, building, property)) = row else {
        return Ok(Vec::new());
    };
    let stored = ConnectionRow {
        id,
        party_id: u64::try_from(party).unwrap_or(0),
        object_id: 0,
        role,
        building_id: building.and_then(|b| u64::try_from(b).ok()),
        property_id: property.and_then(|p| u64::try_from(p).ok()),
        hides: false,
        row: String::new(),
    };
    row_resources(conn, account, &stored)
}

/// The resources a connection row feeds: its building's residents or its property's staff,
/// and the staff entries of the same party anywhere (a wish to be left off made on one
/// connection hides them all).
pub(super) fn row_resources(
    conn: &mut Conn<'_>,
    account: &str,
    row: &ConnectionRow,
) -> Result<Vec<Resource>, DbError> {
    let mut out = Vec::new();
    if row.role == ConnectionRole::Resident.name() {
        if let Some(b) = row.building_id {
            out.push(Resource::Residents(b));
        }
    } else if let Some(p) = row.property_id {
        out.push(Resource::Staff(p));
    }
    for property in db::ids_where(
        conn,
        "mirror_connections",
        "property_id",
        account,
        "party_id",
        row.party_id,
    )? {
        out.push(Resource::Staff(property));
    }
    Ok(out)
}

/// Sets every connection's and report's building and property from the registry (after it
/// changed).
fn relocate(tx: &mut Conn<'_>, account: &str) -> Result<(), DbError> {
    tx.execute(
        "UPDATE mirror_connections SET
           building_id = (SELECT o.building_id FROM mirror_objects o WHERE o.account = mirror_connections.account AND o.id = mirror_connections.object_id),
           property_id = COALESCE((SELECT o.property_id FROM mirror_objects o WHERE o.account = mirror_connections.account AND o.id = mirror_connections.object_id), property_id)
         WHERE account = $1",
        args![account],
    )?;
    tx.execute(
        "UPDATE mirror_reports SET
           building_id = (SELECT o.building_id FROM mirror_objects o WHERE o.account = mirror_reports.account AND o.id = mirror_reports.object_id)
         WHERE account = $1",
        args![account],
    )?;
    Ok(())
}
