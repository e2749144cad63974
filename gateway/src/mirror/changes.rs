//! Change notifications: marked before they are answered, fetched by id afterwards.
//!
//! [`Mirror::note`] runs before a webhook is answered: what a notification names is marked
//! *pending* (a pending party or apartment is read without names, [`super::upstream`]),
//! queued for its fetch, and the feed resources it may concern are returned with what to
//! remove from cached copies at once. The account's refresher then fetches what is queued
//! (what arrives within `mirror.batch_ms` together, each thing once): a party's or an
//! object's connections in one search each, an object, a report by id, the announcements
//! at once. What
//! it fetched is written unless a later notification touched it (that one's fetch has
//! newer data), marks made before the fetch began are settled, and the feeds built from
//! what changed (before and after) are rebuilt.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use crate::args;
use tokio_util::sync::CancellationToken;

use super::db;
use super::sync::{MirrorError, kept_roles, place_of};
use super::{Key, Mirror, MirrorEvent};
use crate::feeds::resources::{Redaction, Resource};
use crate::store::webhooks::NotificationRecord;
use crate::upstream::tampuuri::UpstreamError;
use crate::upstream::tampuuri::model::{Connection, ConnectionQuery, ObjectKind};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Report,
    Connection,
    Party,
    News,
    Object,
    Other,
}

/// The kind of change an action names (Tampuuri's action names, plus the simulator's
/// *assumed* `Uutinen*` for news).
fn kind(action: &str) -> Kind {
    if action.starts_with("Ilmoitus") {
        Kind::Report
    } else if action.starts_with("KohdeOsapuoli") {
        Kind::Connection
    } else if action.starts_with("Osapuoli") {
        Kind::Party
    } else if action.starts_with("Uutinen") {
        Kind::News
    } else if action.starts_with("Kohde") {
        Kind::Object
    } else {
        Kind::Other
    }
}

fn id(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

impl Mirror {
    /// Marks what `n` names as pending, queues its fetch, and returns the feed resources it
    /// may concern with what to remove from their cached copies at once. Runs before the
    /// notification is answered.
    pub async fn note(
        &self,
        account: &str,
        n: &NotificationRecord,
    ) -> Result<Vec<(Resource, Option<Redaction>)>, MirrorError> {
        let Some(state) = self.account(account) else {
            return Ok(Vec::new());
        };
        let (keys, redaction_of): (Vec<Key>, Vec<(Key, Option<Redaction>)>) = match kind(&n.action)
        {
            Kind::Party => match id(&n.reference_id) {
                Some(p) => (
                    vec![Key::Party(p)],
                    vec![(Key::Party(p), Some(Redaction::Party(p)))],
                ),
                None => (Vec::new(), Vec::new()),
            },
            Kind::Connection => {
                let object = id(&n.reference_id);
                let party = id(&n.reference_secondary_id);
                let mut keys = Vec::new();
                let mut redactions = Vec::new();
                if let Some(q) = party {
                    keys.push(Key::PartyConnections(q));
                    redactions.push((Key::PartyConnections(q), Some(Redaction::Party(q))));
                }
                if let Some(o) = object {
                    if party.is_none() {
                        keys.push(Key::ObjectConnections(o));
                    }
                    redactions.push((
                        Key::ObjectConnections(o),
                        Some(party.map_or(Redaction::Apartment(o), Redaction::Party)),
                    ));
                }
                (keys, redactions)
            }
            Kind::Object => match id(&n.reference_id) {
                Some(o) => (vec![Key::Object(o)], vec![(Key::Object(o), None)]),
                None => (Vec::new(), Vec::new()),
            },
            Kind::Report => match id(&n.reference_id) {
                Some(r) => (vec![Key::Report(r)], vec![(Key::Report(r), None)]),
                None => (Vec::new(), Vec::new()),
            },
            Kind::News => (vec![Key::News], Vec::new()),
            Kind::Other => (Vec::new(), Vec::new()),
        };
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        state.mark_noted(&keys, Some(&n.id));
        let mut out: Vec<(Resource, Option<Redaction>)> = Vec::new();
        for (key, redaction) in redaction_of {
            for resource in self.key_resources(account, key).await? {
                let redaction = redaction
                    .filter(|_| matches!(resource, Resource::Residents(_) | Resource::Staff(_)));
                // An apartment's redaction means nothing to staff: redact them all.
                let redaction = match (&resource, redaction) {
                    (Resource::Staff(_), Some(Redaction::Apartment(_))) => {
                        Some(Redaction::AllContacts)
                    }
                    (_, r) => r,
                };
                if !out.contains(&(resource.clone(), redaction)) {
                    out.push((resource, redaction));
                }
            }
        }
        // With the mirror shared by replicas, only its writer fetches; the others' marks
        // wait for its announcement ([`super::shared`]).
        if self.is_writer() {
            state.enqueue(&keys);
        }
        Ok(out)
    }

    /// The feed resources that what `key` names feeds now, from the mirror.
    pub(super) async fn key_resources(
        &self,
        account: &str,
        key: Key,
    ) -> Result<Vec<Resource>, MirrorError> {
        let account = account.to_owned();
        Ok(self
            .db()
            .read(move |c| {
                let mut out = BTreeSet::new();
                match key {
                    Key::Party(p) | Key::PartyConnections(p) => {
                        for b in db::ids_where(
                            c,
                            "mirror_connections",
                            "building_id",
                            &account,
                            "party_id",
                            p,
                        )? {
                            out.insert(Resource::Residents(b));
                        }
                        for prop in db::ids_where(
                            c,
                            "mirror_connections",
                            "property_id",
                            &account,
                            "party_id",
                            p,
                        )? {
                            out.insert(Resource::Staff(prop));
                        }
                    }
                    Key::ObjectConnections(o) => {
                        let place = place_of(c, &account, Some(o))?;
                        if place.property == Some(o) && place.building.is_none() {
                            out.insert(Resource::Staff(o));
                        } else if let Some(b) = place.building {
                            out.insert(Resource::Residents(b));
                        } else {
                            // An object the registry does not know (yet): its connections
                            // could be anywhere it will be.
                            for prop in db::ids_where(
                                c,
                                "mirror_connections",
                                "property_id",
                                &account,
                                "object_id",
                                o,
                            )? {
                                out.insert(Resource::Staff(prop));
                            }
                        }
                    }
                    Key::Object(o) => {
                        let place = place_of(c, &account, Some(o))?;
                        if let Some(b) = place.building {
                            out.insert(Resource::BuildingTree(b));
                            out.insert(Resource::Object(b));
                        }
                        if place.property == Some(o) {
                            out.insert(Resource::Object(o));
                        }
                    }
                    Key::Report(r) => {
                        for b in
                            db::ids_where(c, "mirror_reports", "building_id", &account, "id", r)?
                        {
                            out.insert(Resource::OpenReports(b));
                        }
                    }
                    Key::News => {}
                }
                Ok(out.into_iter().collect())
            })
            .await?)
    }

    pub(super) async fn people_resources(
        &self,
        account: &str,
        key: Key,
    ) -> Result<Vec<Resource>, MirrorError> {
        self.key_resources(account, key).await
    }

    /// Fetches what is queued for `account` until `stop`.
    pub(super) async fn run_refresher(&self, account: String, stop: CancellationToken) {
        let Some(state) = self.account(&account) else {
            return;
        };
        let batch = Duration::from_millis(self.settings().batch_ms);
        let mut backoff = Duration::from_millis(500);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = state.wake.notified() => {}
            }
            // Gather what arrives together.
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(batch) => {}
            }
            let keys = state.take_queue();
            if keys.is_empty() {
                continue;
            }
            let over = !self.budget().allows_background(&account);
            let (now, later): (Vec<Key>, Vec<Key>) =
                keys.into_iter().partition(|k| k.is_privacy() || !over);
            if !later.is_empty() {
                self.set_health(&account, None, Some(true));
                let mirror = self.clone();
                let account = account.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(3_600)).await;
                    if let Some(state) = mirror.account(&account) {
                        state.enqueue(&later);
                    }
                });
            }
            match self.refresh(&account, &now).await {
                Ok(()) => {
                    backoff = Duration::from_millis(500);
                    self.set_health(&account, None, None);
                }
                Err(e) => {
                    tracing::warn!(account, error = %e, retry_in_ms = backoff.as_millis() as u64, "fetching changes failed; what they name stays without names until they are fetched");
                    self.set_health(&account, Some(e.to_string()), None);
                    state.enqueue(&now);
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    /// Fetches `keys` of `account` and applies them. On an error nothing already applied is
    /// lost; what failed is fetched again by the caller.
    pub async fn refresh(&self, account: &str, keys: &[Key]) -> Result<(), MirrorError> {
        let Some(state) = self.account(account) else {
            return Ok(());
        };
        let began = state.seq();
        let mut affected: BTreeSet<Resource> = BTreeSet::new();
        let mut reports = Vec::new();
        let mut settled = Vec::new();
        let client = self.client(account)?;
        let mut parties_done = HashSet::new();

        for key in keys {
            match *key {
                // A party's search carries its full data with every connection: one call.
                // (The batch route `osapuolitiedot/osapuolet/hae` answers no first or last
                // name and no contact details, so it cannot refresh a party.)
                Key::Party(p) | Key::PartyConnections(p) => {
                    if !parties_done.insert(p) {
                        settled.push(*key);
                        continue;
                    }
                    let query = ConnectionQuery {
                        party_id: Some(p),
                        roles: kept_roles(),
                        ..ConnectionQuery::default()
                    };
                    let found = client.connections(&query).await?;
                    affected.extend(
                        self.replace_connections(account, began, "party_id", p, found)
                            .await?,
                    );
                    // A party whose summary was refreshed too is settled by this.
                    settled.push(Key::Party(p));
                    settled.push(*key);
                }
                Key::ObjectConnections(o) => {
                    let query = ConnectionQuery {
                        object_id: Some(o),
                        roles: kept_roles(),
                        ..ConnectionQuery::default()
                    };
                    let found = match client.connections(&query).await {
                        Err(UpstreamError::NotFound { .. }) => Vec::new(),
                        other => other?,
                    };
                    affected.extend(
                        self.replace_connections(account, began, "object_id", o, found)
                            .await?,
                    );
                    settled.push(*key);
                }
                Key::Object(o) => {
                    affected.extend(self.key_resources(account, *key).await?);
                    match client.object(o).await {
                        Ok(object) => self.put_object(account, began, object).await?,
                        Err(UpstreamError::NotFound { .. }) => {
                            self.remove_object(account, began, o).await?
                        }
                        Err(e) => return Err(e.into()),
                    }
                    affected.extend(self.key_resources(account, *key).await?);
                    settled.push(*key);
                }
                Key::Report(r) => {
                    affected.extend(self.key_resources(account, *key).await?);
                    match client.fault_report(r).await {
                        Ok(report) => {
                            let (changes, written, _) = self
                                .write_reports(account, began, vec![report], false)
                                .await?;
                            affected.extend(changes);
                            reports.extend(written);
                        }
                        Err(UpstreamError::NotFound { .. }) => {
                            let account = account.to_owned();
                            let deleted = self
                                .db()
                                .write(move |c| db::delete_report(c, &account, r, began))
                                .await?;
                            if deleted {
                                reports.push(r);
                            }
                        }
                        Err(e) => return Err(e.into()),
                    }
                    settled.push(*key);
                }
                Key::News => {
                    self.sync_news(account).await?;
                    settled.push(*key);
                }
            }
        }
        let notes = state.settle(&settled, began);
        // What was pending and is settled now may be named again: rebuild from the mirror.
        for key in &settled {
            if key.is_privacy() {
                affected.extend(self.key_resources(account, *key).await?);
            }
        }
        let mut event = MirrorEvent::changed(account, affected, reports);
        event.settled = notes;
        self.emit(event);
        Ok(())
    }

    /// Replaces every connection row of `account` whose `column` is `value` with `found`
    /// (unless a later notification touched them); the resources affected.
    async fn replace_connections(
        &self,
        account: &str,
        began: u64,
        column: &'static str,
        value: u64,
        found: Vec<Connection>,
    ) -> Result<Vec<Resource>, MirrorError> {
        let existing = {
            let account = account.to_owned();
            self.db()
                .read(move |c| {
                    db::rows_where(c, "mirror_connections", &account, Some((column, value)))
                })
                .await?
        };
        let keep: std::collections::HashSet<u64> = found.iter().map(|c| c.id).collect();
        let gone: Vec<u64> = existing
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !keep.contains(id))
            .collect();
        // Of a party's search, only that party's rows (an account could answer more).
        let found: Vec<Connection> = found
            .into_iter()
            .filter(|c| match column {
                "party_id" => c.party.id == value,
                _ => c.object_id == value,
            })
            .collect();
        let (_, affected) = self.write_connections(account, began, found, gone).await?;
        Ok(affected)
    }

    /// Stores one object fetched by id, placed from its parent (or itself).
    async fn put_object(
        &self,
        account: &str,
        began: u64,
        object: crate::upstream::tampuuri::model::Object,
    ) -> Result<(), MirrorError> {
        let mirror = self.clone();
        let account = account.to_owned();
        self.db()
            .write(move |c| {
                let Some(state) = mirror.account(&account) else {
                    return Ok(());
                };
                if state.touched_since(began).contains(&Key::Object(object.id)) {
                    return Ok(());
                }
                let parent = place_of(c, &account, object.parent())?;
                let place = match object.kind {
                    ObjectKind::Building => super::rows::Place {
                        building: Some(object.id),
                        property: object.cost_centre_id.or(parent.property),
                    },
                    ObjectKind::CostCentre => super::rows::Place {
                        building: None,
                        property: Some(object.id),
                    },
                    _ => super::rows::Place {
                        building: parent.building,
                        property: object.cost_centre_id.or(parent.property),
                    },
                };
                c.transaction(|tx| {
                db::put_objects(tx, &account, &[super::rows::object_row(&object, place)])?;
                tx.execute(
                    "UPDATE mirror_connections SET building_id = $3, property_id = COALESCE($4, property_id)
                     WHERE account = $1 AND object_id = $2",
                    args![
                        account,
                        i64::try_from(object.id).unwrap_or(-1),
                        place.building.and_then(|b| i64::try_from(b).ok()),
                        place.property.and_then(|p| i64::try_from(p).ok())
                    ],
                )?;
                Ok(())
                })
            })
            .await?;
        Ok(())
    }

    /// Removes an object Tampuuri no longer has (a building with everything below it).
    async fn remove_object(
        &self,
        account: &str,
        began: u64,
        object: u64,
    ) -> Result<(), MirrorError> {
        let mirror = self.clone();
        let account = account.to_owned();
        self.db()
            .write(move |c| {
                let Some(state) = mirror.account(&account) else {
                    return Ok(());
                };
                if state.touched_since(began).contains(&Key::Object(object)) {
                    return Ok(());
                }
                let o = i64::try_from(object).unwrap_or(-1);
                c.execute(
                    "DELETE FROM mirror_objects WHERE account = $1 AND (id = $2 OR building_id = $2)",
                    args![account, o],
                )?;
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// The sequence number a fetch of `account` beginning now carries: pass it to
    /// [`Mirror::put_report`] with what the fetch read.
    pub fn fetch_begins(&self, account: &str) -> u64 {
        self.account(account).map_or(0, super::AccountState::seq)
    }

    /// Stores a report Rappu read or wrote itself (a delivery, a partner's transition),
    /// unless the mirror already holds a later version of it ([`Origin`]).
    pub async fn put_report(
        &self,
        account: &str,
        report: crate::upstream::tampuuri::model::FaultReport,
        origin: Origin,
    ) -> Result<(), MirrorError> {
        let Some(state) = self.account(account) else {
            return Ok(());
        };
        if !self.is_writer() {
            // The writer fetches it: an answer written from this process could replace a
            // newer fetch of the writer's (versions are its sequence numbers).
            self.ask(account, vec![Key::Report(report.id)]).await;
            return Ok(());
        }
        let version = match origin {
            // Taken now, after Tampuuri answered: later than every fetch already begun,
            // whose answer may predate the write.
            Origin::Answer => state.next_seq(),
            Origin::Fetched { began } => began,
        };
        let (changes, written, _) = self
            .write_reports(account, version, vec![report], false)
            .await?;
        self.emit(MirrorEvent::changed(account, changes, written));
        Ok(())
    }
}

/// How Rappu came by a report it stores itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Tampuuri's answer to Rappu's own write: the report as it is after the write.
    Answer,
    /// Read by a fetch that began at this sequence number ([`Mirror::fetch_begins`]).
    Fetched {
        /// When the fetch began.
        began: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_classified() {
        assert_eq!(kind("IlmoitusTilamuutos"), Kind::Report);
        assert_eq!(kind("KohdeOsapuoliMuokkaa"), Kind::Connection);
        assert_eq!(kind("OsapuoliTietoMuokkaa"), Kind::Party);
        assert_eq!(kind("UutinenUusi"), Kind::News);
        assert_eq!(kind("KohdePoista"), Kind::Object);
        assert_eq!(kind("Testitapahtuma"), Kind::Other);
        assert_eq!(kind("SopimusUusi"), Kind::Other);
    }

    #[test]
    fn a_fetch_settles_only_marks_made_before_it_began() {
        let state = super::super::AccountState::new();
        state.mark(&[Key::Party(1), Key::Party(2)]);
        let began = state.seq();
        // A second notification about party 2 while the fetch is on its way.
        state.mark(&[Key::Party(2)]);
        state.settle(&[Key::Party(1), Key::Party(2)], began);
        assert!(!state.is_pending(Key::Party(1)));
        assert!(
            state.is_pending(Key::Party(2)),
            "the later mark waits for its own fetch"
        );
        let again = state.seq();
        state.settle(&[Key::Party(2)], again);
        assert!(!state.is_pending(Key::Party(2)));
    }

    /// The writer settles a key's notifications marked before its fetch began, and says
    /// which; a follower's mark waits for every notification that made it, and a
    /// notification already settled marks nothing again.
    #[test]
    fn settling_names_the_notifications_and_followers_wait_for_each_of_theirs() {
        let writer = super::super::AccountState::new();
        writer.mark_noted(&[Key::Party(1)], Some("a"));
        let began = writer.seq();
        writer.mark_noted(&[Key::Party(1)], Some("b"));
        writer.mark_noted(&[Key::Report(9)], Some("r"));
        assert_eq!(
            writer.settle(&[Key::Party(1), Key::Report(9)], began),
            vec![(Key::Party(1), vec!["a".to_owned()])],
            "only what was marked before the fetch began"
        );
        assert!(
            !writer.is_pending(Key::Report(9)),
            "reports are never pending"
        );
        assert!(writer.is_pending(Key::Party(1)));
        let again = writer.seq();
        assert_eq!(
            writer.settle(&[Key::Party(1)], again),
            vec![(Key::Party(1), vec!["b".to_owned()])]
        );
        assert!(!writer.is_pending(Key::Party(1)));

        let follower = super::super::AccountState::new();
        follower.mark_noted(&[Key::Party(1)], Some("a"));
        follower.mark_noted(&[Key::Party(1)], Some("b"));
        follower.settle_noted(Key::Party(1), &["a".to_owned()]);
        assert!(follower.is_pending(Key::Party(1)), "b is not settled yet");
        follower.settle_noted(Key::Party(1), &["x".to_owned()]);
        assert!(follower.is_pending(Key::Party(1)));
        follower.settle_noted(Key::Party(1), &["b".to_owned()]);
        assert!(!follower.is_pending(Key::Party(1)));
        // Learnt of after its settling (a catch-up): no mark that nothing would clear.
        follower.settle_noted(Key::Party(2), &["c".to_owned()]);
        follower.mark_noted(&[Key::Party(2)], Some("c"));
        assert!(!follower.is_pending(Key::Party(2)));
        follower.mark_noted(&[Key::Party(2)], Some("d"));
        assert!(follower.is_pending(Key::Party(2)));
    }

    #[test]
    fn only_privacy_keys_are_pending_but_all_are_touched() {
        let state = super::super::AccountState::new();
        let before = state.seq();
        state.mark(&[Key::Report(5), Key::ObjectConnections(7)]);
        assert!(!state.is_pending(Key::Report(5)));
        assert!(state.is_pending(Key::ObjectConnections(7)));
        let touched = state.touched_since(before);
        assert!(touched.contains(&Key::Report(5)) && touched.contains(&Key::ObjectConnections(7)));
        assert!(state.touched_since(state.seq()).is_empty());
    }
}
