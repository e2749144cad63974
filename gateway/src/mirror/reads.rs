//! Reads for everything besides feeds: properties, buildings and their staircases, whether
//! someone lives somewhere, a resident's phone, reports by reporter or assignee. All from
//! the mirror; none calls Tampuuri.

use crate::args;
use rappu_shared::{Building, Property, Staircase};

use super::Mirror;
use super::db;
use super::sync::MirrorError;
use crate::property::{address_of, name_of};
use crate::upstream::tampuuri::model::{
    Connection, ConnectionRole, FaultReport, Object, ObjectKind, ReportState,
};
use crate::upstream::tampuuri::{UpstreamError, routes};

fn not_found() -> MirrorError {
    MirrorError::Upstream(UpstreamError::NotFound {
        route: routes::OBJECT.label,
    })
}

fn objects(rows: Vec<(u64, String)>) -> Vec<Object> {
    rows.into_iter()
        .filter_map(|(_, t)| serde_json::from_str(&t).ok())
        .collect()
}

fn building_of(object: &Object, below: &[Object]) -> Building {
    let mut staircases: Vec<Staircase> = below
        .iter()
        .filter(|o| o.kind == ObjectKind::Staircase)
        .map(|o| Staircase {
            id: o.id,
            name: o.staircase.clone().unwrap_or_else(|| name_of(o)),
        })
        .collect();
    staircases.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Building {
        id: object.id,
        property_id: object.cost_centre_id,
        name: name_of(object),
        address: address_of(object),
        staircases,
    }
}

impl Mirror {
    async fn loaded(&self, account: &str) -> Result<(), MirrorError> {
        if let Some(e) = self.load_error(account) {
            return Err(MirrorError::Upstream(e));
        }
        let wait = std::time::Duration::from_secs(self.settings().load_wait_secs);
        if self.wait_loaded(account, wait).await {
            Ok(())
        } else if let Some(e) = self.load_error(account) {
            Err(MirrorError::Upstream(e))
        } else {
            Err(MirrorError::Upstream(UpstreamError::Unavailable {
                route: "(mirror)",
                reason: "the account's data is still being loaded".into(),
                retry_after: None,
            }))
        }
    }

    /// Every property of `account`.
    pub async fn properties(&self, account: &str) -> Result<Vec<Property>, MirrorError> {
        self.loaded(account).await?;
        let account = account.to_owned();
        let rows = self
            .db()
            .read(move |c| {
                db::id_rows(
                    c,
                    "SELECT id, row FROM mirror_objects WHERE account = $1 AND kind = $2 ORDER BY id",
                    args![account, ObjectKind::CostCentre.name()],
                )
            })
            .await?;
        Ok(objects(rows)
            .iter()
            .map(|o| Property {
                id: o.id,
                name: name_of(o),
                address: address_of(o),
            })
            .collect())
    }

    /// One building of `account` with its staircases; anything else is not found.
    pub async fn building(&self, account: &str, id: u64) -> Result<Building, MirrorError> {
        self.loaded(account).await?;
        let account = account.to_owned();
        let (object, below) = self
            .db()
            .read(move |c| {
                let object = db::row(c, "mirror_objects", &account, id)?;
                let below =
                    db::rows_where(c, "mirror_objects", &account, Some(("building_id", id)))?;
                Ok((object, below))
            })
            .await?;
        let object: Object = object
            .and_then(|t| serde_json::from_str(&t).ok())
            .ok_or_else(not_found)?;
        if object.kind != ObjectKind::Building {
            return Err(not_found());
        }
        Ok(building_of(&object, &objects(below)))
    }

    /// One object of `account` as the registry has it, with the property it belongs to
    /// (`None` if the mirror does not have it).
    pub async fn object(&self, account: &str, id: u64) -> Result<Option<Object>, MirrorError> {
        self.loaded(account).await?;
        let account = account.to_owned();
        let row = self
            .db()
            .read(move |c| {
                let row = db::row(c, "mirror_objects", &account, id)?;
                let property = super::sync::place_of(c, &account, Some(id))?.property;
                Ok(row.map(|r| (r, property)))
            })
            .await?;
        Ok(row.and_then(|(text, property)| {
            let mut object: Object = serde_json::from_str(&text).ok()?;
            if object.cost_centre_id.is_none() {
                object.cost_centre_id = property;
            }
            Some(object)
        }))
    }

    /// Every building of `account` (of one property, when given), with staircases.
    pub async fn buildings(
        &self,
        account: &str,
        property: Option<u64>,
    ) -> Result<Vec<Building>, MirrorError> {
        self.loaded(account).await?;
        let account = account.to_owned();
        let (buildings, staircases) = self
            .db()
            .read(move |c| {
                let mut select = |kind: &str| match property {
                    Some(p) => db::id_rows(
                        c,
                        "SELECT id, row FROM mirror_objects
                         WHERE account = $1 AND kind = $2 AND property_id = $3 ORDER BY id",
                        args![account, kind, i64::try_from(p).unwrap_or(-1)],
                    ),
                    None => db::id_rows(
                        c,
                        "SELECT id, row FROM mirror_objects WHERE account = $1 AND kind = $2 ORDER BY id",
                        args![account, kind],
                    ),
                };
                Ok((
                    select(ObjectKind::Building.name())?,
                    select(ObjectKind::Staircase.name())?,
                ))
            })
            .await?;
        let staircases = objects(staircases);
        Ok(objects(buildings)
            .iter()
            .map(|b| {
                let mine: Vec<Object> = staircases
                    .iter()
                    .filter(|s| s.parent() == Some(b.id))
                    .cloned()
                    .collect();
                building_of(b, &mine)
            })
            .collect())
    }

    /// The connections of `party` in `account`.
    pub async fn party_connections(
        &self,
        account: &str,
        party: u64,
    ) -> Result<Vec<Connection>, MirrorError> {
        self.loaded(account).await?;
        let account = account.to_owned();
        let rows = self
            .db()
            .read(move |c| {
                db::rows_where(c, "mirror_connections", &account, Some(("party_id", party)))
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(_, t)| serde_json::from_str(&t).ok())
            .collect())
    }

    /// Whether `party` is a current resident of `apartment` (not archived, moved in and not
    /// out by today in Finland).
    pub async fn lives_in(
        &self,
        account: &str,
        party: u64,
        apartment: u64,
    ) -> Result<bool, MirrorError> {
        let today = rappu_shared::finnish_time::local_date(chrono::Utc::now());
        Ok(self
            .party_connections(account, party)
            .await?
            .iter()
            .any(|c| {
                c.object_id == apartment
                    && c.role == ConnectionRole::Resident
                    && crate::feeds::assemble::in_force(c, today)
                    && c.party.archived_at.is_none()
            }))
    }

    /// The phone numbers Tampuuri has for `party` (mobile first).
    pub async fn phones(
        &self,
        account: &str,
        party: u64,
    ) -> Result<[Option<String>; 2], MirrorError> {
        let list = self.party_connections(account, party).await?;
        Ok(list
            .first()
            .map(|c| [c.party.mobile.clone(), c.party.phone.clone()])
            .unwrap_or_default())
    }

    /// Reports of `account` filed by `party`.
    pub async fn reports_by_reporter(
        &self,
        account: &str,
        party: u64,
    ) -> Result<Vec<FaultReport>, MirrorError> {
        self.report_rows(account, "reporter_id", party).await
    }

    /// Reports of `account` assigned to `party`, newest first, in `states` (all if empty).
    pub async fn reports_by_assignee(
        &self,
        account: &str,
        party: u64,
        states: &[ReportState],
    ) -> Result<Vec<FaultReport>, MirrorError> {
        let mut rows = self.report_rows(account, "assignee_id", party).await?;
        rows.retain(|r| {
            r.assignee_id == Some(party) && (states.is_empty() || states.contains(&r.state))
        });
        rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(rows)
    }

    /// Reports of `account` on building `building` or anything in it, newest first, in
    /// `states` (all if empty): what a third-party app's scope over the building reaches.
    pub async fn reports_in_building(
        &self,
        account: &str,
        building: u64,
        states: &[ReportState],
    ) -> Result<Vec<FaultReport>, MirrorError> {
        let mut rows = self.report_rows(account, "building_id", building).await?;
        rows.retain(|r| states.is_empty() || states.contains(&r.state));
        rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(rows)
    }

    /// One report of `account`, if the mirror has it.
    pub async fn report(&self, account: &str, id: u64) -> Result<Option<FaultReport>, MirrorError> {
        self.loaded(account).await?;
        let account = account.to_owned();
        let text = self
            .db()
            .read(move |c| db::row(c, "mirror_reports", &account, id))
            .await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    async fn report_rows(
        &self,
        account: &str,
        column: &'static str,
        party: u64,
    ) -> Result<Vec<FaultReport>, MirrorError> {
        self.loaded(account).await?;
        let account = account.to_owned();
        let rows = self
            .db()
            .read(move |c| db::rows_where(c, "mirror_reports", &account, Some((column, party))))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(_, t)| serde_json::from_str(&t).ok())
            .collect())
    }
}
