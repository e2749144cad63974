//! The feeds' [`Upstream`] in production: every resource a feed is built from, read from
//! the mirror (a local query, no Tampuuri call). A pending party or apartment comes back
//! as protected (no name, no contact) until its change has been fetched.

use crate::args;
use crate::store::sql::{Conn, DbError};
use futures::FutureExt;
use futures::future::BoxFuture;

use super::db;
use super::{Key, Mirror};
use crate::feeds::resources::{Raw, Resource, ResourceKey, Upstream};
use crate::upstream::tampuuri::model::{
    Announcement, Connection, ConnectionRole, FaultReport, Object,
};
use crate::upstream::tampuuri::{UpstreamError, routes};

/// Feeds read from the mirror.
pub struct MirrorUpstream(pub Mirror);

fn unavailable(reason: &str) -> UpstreamError {
    UpstreamError::Unavailable {
        route: "(mirror)",
        reason: reason.to_owned(),
        retry_after: None,
    }
}

fn parse<T: serde::de::DeserializeOwned>(rows: Vec<(u64, String)>) -> Vec<T> {
    rows.into_iter()
        .filter_map(|(_, text)| serde_json::from_str(&text).ok())
        .collect()
}

impl Upstream for MirrorUpstream {
    fn fetch(&self, key: &ResourceKey) -> BoxFuture<'static, Result<Raw, UpstreamError>> {
        let (mirror, key) = (self.0.clone(), key.clone());
        async move { mirror.resource(&key.account, &key.resource).await }.boxed()
    }

    fn stale(&self, account: &str) -> bool {
        self.0.is_stale(account)
    }

    fn usable(&self, account: &str) -> bool {
        !self.0.too_stale(account)
    }
}

impl Mirror {
    /// One feed resource of `account`, from the mirror.
    pub async fn resource(&self, account: &str, resource: &Resource) -> Result<Raw, UpstreamError> {
        if let Some(e) = self.load_error(account) {
            return Err(e);
        }
        let wait = std::time::Duration::from_secs(self.settings().load_wait_secs);
        if !self.wait_loaded(account, wait).await {
            return Err(self
                .load_error(account)
                .unwrap_or_else(|| unavailable("the account's data is still being loaded")));
        }
        if self.too_stale(account) {
            return Err(unavailable(
                "Tampuuri has failed for longer than feeds.max_stale_secs",
            ));
        }
        let (account_owned, resource_owned) = (account.to_owned(), resource.clone());
        let raw = self
            .db()
            .read(move |c| read(c, &account_owned, &resource_owned))
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let raw = raw.ok_or(UpstreamError::NotFound {
            route: routes::OBJECT.label,
        })?;
        Ok(match raw {
            Raw::Connections(list) => Raw::Connections(self.protect_pending(account, list)),
            other => other,
        })
    }

    /// `list` with every pending party or object's people marked protected.
    fn protect_pending(&self, account: &str, mut list: Vec<Connection>) -> Vec<Connection> {
        let Some(state) = self.account(account) else {
            return list;
        };
        let (parties, objects) = state.pending_people();
        if parties.is_empty() && objects.is_empty() {
            return list;
        }
        for c in &mut list {
            if parties.contains(&c.party.id) || objects.contains(&c.object_id) {
                c.party.non_disclosure = Some(true);
                c.party.name = None;
                c.party.first_name = None;
                c.party.last_name = None;
            }
        }
        list
    }

    /// Whether `key` is pending for `account` (tests and the admin view).
    pub fn is_pending(&self, account: &str, key: Key) -> bool {
        self.account(account).is_some_and(|s| s.is_pending(key))
    }
}

fn read(c: &mut Conn<'_>, account: &str, resource: &Resource) -> Result<Option<Raw>, DbError> {
    Ok(Some(match *resource {
        Resource::Object(id) => match db::row(c, "mirror_objects", account, id)? {
            Some(text) => match serde_json::from_str::<Object>(&text) {
                Ok(o) => Raw::Object(Box::new(o)),
                Err(_) => return Ok(None),
            },
            None => return Ok(None),
        },
        Resource::BuildingTree(b) => {
            let rows = db::rows_where(c, "mirror_objects", account, Some(("building_id", b)))?;
            Raw::Objects(
                parse::<Object>(rows)
                    .into_iter()
                    .filter(|o| o.id != b)
                    .collect(),
            )
        }
        Resource::Residents(b) => {
            let rows = db::id_rows(
                c,
                "SELECT id, row FROM mirror_connections
                 WHERE account = $1 AND building_id = $2 AND role = $3 ORDER BY id",
                args![
                    account,
                    i64::try_from(b).unwrap_or(-1),
                    ConnectionRole::Resident.name()
                ],
            )?;
            Raw::Connections(parse(rows))
        }
        Resource::Staff(p) => {
            let rows = db::id_rows(
                c,
                "SELECT id, row FROM mirror_connections
                 WHERE account = $1 AND object_id = $2 AND role <> $3 ORDER BY id",
                args![
                    account,
                    i64::try_from(p).unwrap_or(-1),
                    ConnectionRole::Resident.name()
                ],
            )?;
            let mut staff: Vec<Connection> = parse(rows);
            hide_where_asked_anywhere(c, account, &mut staff)?;
            Raw::Connections(staff)
        }
        Resource::Announcements(b) => {
            let property = super::sync::place_of(c, account, Some(b))?.property;
            let mut list: Vec<Announcement> = parse(db::rows_where(
                c,
                "mirror_announcements",
                account,
                Some(("object_id", b)),
            )?);
            if let Some(p) = property {
                list.extend(parse::<Announcement>(db::rows_where(
                    c,
                    "mirror_announcements",
                    account,
                    Some(("object_id", p)),
                )?));
            }
            list.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
            Raw::Announcements(list)
        }
        Resource::OpenReports(b) => {
            let rows = db::id_rows(
                c,
                "SELECT id, row FROM mirror_reports
                 WHERE account = $1 AND building_id = $2 AND open = 1 ORDER BY id DESC",
                args![account, i64::try_from(b).unwrap_or(-1)],
            )?;
            Raw::Reports(parse::<FaultReport>(rows))
        }
    }))
}

/// A person who asked to be left off the display on any of their connections (typically
/// their own resident connection) is left off as staff too: a board chair is a resident who
/// may make that wish without a board decision. Read from the mirror: no call.
fn hide_where_asked_anywhere(
    c: &mut Conn<'_>,
    account: &str,
    staff: &mut [Connection],
) -> Result<(), DbError> {
    let today = rappu_shared::finnish_time::local_date(chrono::Utc::now());
    for s in staff.iter_mut() {
        if crate::feeds::privacy::is_company(&s.party) {
            continue;
        }
        let rows = db::id_rows(
            c,
            "SELECT id, row FROM mirror_connections WHERE account = $1 AND party_id = $2 AND hides = 1",
            args![account, i64::try_from(s.party.id).unwrap_or(-1)],
        )?;
        let asked = parse::<Connection>(rows)
            .iter()
            .any(|t| t.hide_from_display == Some(true) && t.ends.is_none_or(|e| e >= today));
        if asked {
            s.hide_from_display = Some(true);
        }
    }
    Ok(())
}
