//! The `selaa` searches: body filters and the rows they select, in the order the routes
//! return them. Filters ignore fields they do not know, as Tampuuri does.

use serde::Deserialize;

use super::{World, WorldError};
use crate::codes::{self, NameOrCode};
use crate::model::{Announcement, Connection, RegistryObject};
use crate::report::FaultReport;
use crate::time::{self, Timestamp};

/// Body of `POST kohteet/{id}/selaa`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectFilter {
    /// Only these levels (`Huoneisto` or its code, ...); absent or empty = all.
    pub kohde_metatyypit: Option<Vec<NameOrCode>>,
}

/// Body of `POST osapuolet/yhteydet/selaa`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionFilter {
    /// Connections on this object; absent = every connection of the account.
    pub kohde_id: Option<i64>,
    /// Also connections on the object's descendants.
    pub sisallyta_alakohteet: Option<bool>,
    /// Only these roles (names or codes); absent or empty = all.
    pub roolit: Option<Vec<NameOrCode>>,
    /// Only connections of this party.
    pub osapuoli_id: Option<i64>,
}

/// Body of `POST uutiset/selaa`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewsFilter {
    /// Announcements on this object or its ancestors; absent = all announcements.
    pub kohde_id: Option<i64>,
}

/// Body of `POST ilmoitukset/selaa`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportFilter {
    /// Only reports assigned to this party.
    pub tyonsuorittaja_id: Option<i64>,
    /// Only top-level reports (no follow-ups).
    #[serde(rename = "VainPäätasonIlmoitukset", alias = "VainPaatasonIlmoitukset")]
    pub vain_paatason_ilmoitukset: Option<bool>,
    /// Only these states (names or codes).
    pub tilat: Option<Vec<NameOrCode>>,
    /// Only reports on this object or its descendants.
    pub kohde_id: Option<i64>,
    /// Only reports on this space (object) or its descendants, like `KohdeId`.
    pub tila_id: Option<i64>,
    /// Only reports created at or after this time.
    pub luotu_alkaen: Option<String>,
    /// Only reports created at or before this time.
    pub luotu_paattyen: Option<String>,
    /// Only reports by this party.
    pub ilmoittaja_id: Option<i64>,
    /// Only reports with this external id.
    pub ulkoinen_tunniste: Option<String>,
    /// Only these topics (names or codes).
    pub aiheet: Option<Vec<NameOrCode>>,
}

/// A time bound of a search, else 400.
fn bound(value: Option<&String>, field: &str) -> Result<Option<Timestamp>, WorldError> {
    value
        .map(|v| {
            time::parse_flexible(v)
                .ok_or_else(|| WorldError::Invalid(format!("Virheellinen {field}: {v:?}")))
        })
        .transpose()
}

/// The code of an enum value in a table. Every model value has one (tested in
/// `codes`); a value without one would match no filter.
fn code(table: &codes::CodeTable, name: &str) -> i64 {
    table.number(name).unwrap_or(i64::MIN)
}

impl World {
    fn known_object(&self, id: i64) -> Result<(), WorldError> {
        match self.objects.get(id) {
            Some(_) => Ok(()),
            None => Err(WorldError::NotFound(format!("Kohdetta {id} ei löydy"))),
        }
    }

    /// Every cost centre, in id order.
    pub fn cost_centres(&self) -> Vec<&RegistryObject> {
        self.cost_centres
            .iter()
            .filter_map(|id| self.objects.get(*id))
            .collect()
    }

    /// The descendants of `id` (not `id` itself), in id order, filtered by level.
    pub fn descendants(
        &self,
        id: i64,
        filter: &ObjectFilter,
    ) -> Result<Vec<&RegistryObject>, WorldError> {
        self.descendants_coded(id, filter, |o| {
            code(&codes::OBJECT_KINDS, o.kohde_metatyyppi.as_str())
        })
    }

    /// [`World::descendants`], the level filter matched against `kind_code` (the code a
    /// dialect gives each object).
    pub fn descendants_coded(
        &self,
        id: i64,
        filter: &ObjectFilter,
        kind_code: impl Fn(&RegistryObject) -> i64,
    ) -> Result<Vec<&RegistryObject>, WorldError> {
        let end = self
            .subtree_end(id)
            .ok_or_else(|| WorldError::NotFound(format!("Kohdetta {id} ei löydy")))?;
        let kinds = codes::OBJECT_KINDS.selection(filter.kohde_metatyypit.as_ref());
        Ok(self
            .objects
            .range(id + 1, end)
            .filter(|o| codes::selected(kinds.as_ref(), kind_code(o)))
            .collect())
    }

    /// Connections matching `filter`, in id order.
    pub fn find_connections(
        &self,
        filter: &ConnectionFilter,
    ) -> Result<Vec<&Connection>, WorldError> {
        self.find_connections_coded(filter, |c| code(&codes::ROLES, c.rooli.as_str()))
    }

    /// [`World::find_connections`], the role filter matched against `role_code` (the code
    /// a dialect gives each connection).
    pub fn find_connections_coded(
        &self,
        filter: &ConnectionFilter,
        role_code: impl Fn(&Connection) -> i64,
    ) -> Result<Vec<&Connection>, WorldError> {
        let roles = codes::ROLES.selection(filter.roolit.as_ref());
        let keep = |c: &&Connection| {
            codes::selected(roles.as_ref(), role_code(c))
                && filter.osapuoli_id.is_none_or(|p| c.osapuoli_id == p)
        };
        let Some(object) = filter.kohde_id else {
            return Ok(self.connections.iter().filter(keep).collect());
        };
        let end = self
            .subtree_end(object)
            .ok_or_else(|| WorldError::NotFound(format!("Kohdetta {object} ei löydy")))?;
        if !filter.sisallyta_alakohteet.unwrap_or(false) {
            return Ok(self.connections_on(object).filter(keep).collect());
        }
        let mut rows: Vec<&Connection> = self
            .objects
            .range(object, end)
            .flat_map(|o| self.connections_on(o.id))
            .filter(keep)
            .collect();
        rows.sort_by_key(|c| c.id);
        Ok(rows)
    }

    /// Announcements on the object or its ancestors, newest `Julkaistu` first.
    pub fn find_news(&self, filter: &NewsFilter) -> Result<Vec<&Announcement>, WorldError> {
        let mut rows: Vec<&Announcement> = match filter.kohde_id {
            None => self.announcements.iter().collect(),
            Some(id) => {
                self.known_object(id)?;
                let lineage = self.lineage(id);
                self.announcements
                    .iter()
                    .filter(|a| lineage.contains(&a.kohde_id))
                    .collect()
            }
        };
        rows.sort_by(|a, b| b.julkaistu.cmp(&a.julkaistu).then(b.id.cmp(&a.id)));
        Ok(rows)
    }

    /// Fault reports matching `filter`, newest `Luotu` first.
    pub fn find_reports(&self, filter: &ReportFilter) -> Result<Vec<&FaultReport>, WorldError> {
        let range = |id: Option<i64>| match id {
            Some(id) => self
                .subtree_end(id)
                .map(|end| Some(id..=end))
                .ok_or_else(|| WorldError::NotFound(format!("Kohdetta {id} ei löydy"))),
            None => Ok(None),
        };
        let within = range(filter.kohde_id)?;
        let space = range(filter.tila_id)?;
        let from = bound(filter.luotu_alkaen.as_ref(), "LuotuAlkaen")?;
        let until = bound(filter.luotu_paattyen.as_ref(), "LuotuPaattyen")?;
        let states = codes::REPORT_STATES.selection(filter.tilat.as_ref());
        let topics = codes::TOPICS.selection(filter.aiheet.as_ref());
        let top_only = filter.vain_paatason_ilmoitukset.unwrap_or(false);
        let mut rows: Vec<&FaultReport> = self
            .reports
            .iter()
            .filter(|r| {
                filter
                    .tyonsuorittaja_id
                    .is_none_or(|t| r.tyonsuorittaja_id == Some(t))
                    && (!top_only || r.yla_ilmoitus_id.is_none())
                    && codes::selected(
                        states.as_ref(),
                        code(&codes::REPORT_STATES, r.tila.as_str()),
                    )
                    && within.as_ref().is_none_or(|w| w.contains(&r.kohde_id))
                    && space.as_ref().is_none_or(|w| w.contains(&r.kohde_id))
                    && from.is_none_or(|t| r.luotu >= t)
                    && until.is_none_or(|t| r.luotu <= t)
                    && filter
                        .ilmoittaja_id
                        .is_none_or(|p| r.ilmoittaja_id == Some(p))
                    && filter
                        .ulkoinen_tunniste
                        .as_ref()
                        .is_none_or(|u| r.ulkoinen_tunniste.as_ref() == Some(u))
                    && codes::selected(topics.as_ref(), code(&codes::TOPICS, r.aihe.as_str()))
            })
            .collect();
        rows.sort_by(|a, b| b.luotu.cmp(&a.luotu).then(b.id.cmp(&a.id)));
        Ok(rows)
    }
}
