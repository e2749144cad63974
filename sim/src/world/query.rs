//! The `selaa` searches: body filters and the rows they select, in the order the routes
//! return them. Filters ignore fields they do not know, as Tampuuri does.

use serde::Deserialize;

use super::{World, WorldError};
use crate::model::{Announcement, Connection, RegistryObject};
use crate::report::FaultReport;

/// Body of `POST kohteet/{id}/selaa`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectFilter {
    /// Only these levels (`Huoneisto`, ...); absent or empty = all.
    pub kohde_metatyypit: Option<Vec<String>>,
}

/// Body of `POST osapuolet/yhteydet/selaa`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionFilter {
    /// Connections on this object; absent = every connection of the account.
    pub kohde_id: Option<i64>,
    /// Also connections on the object's descendants.
    pub sisallyta_alakohteet: Option<bool>,
    /// Only these roles; absent or empty = all.
    pub roolit: Option<Vec<String>>,
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
    /// Only these states.
    pub tilat: Option<Vec<String>>,
    /// Only reports on this object or its descendants.
    pub kohde_id: Option<i64>,
    /// Only reports by this party.
    pub ilmoittaja_id: Option<i64>,
    /// Only reports with this external id.
    pub ulkoinen_tunniste: Option<String>,
    /// Only these topics.
    pub aiheet: Option<Vec<String>>,
}

/// `None` or an empty list accepts everything; otherwise the name must be listed.
fn listed(list: Option<&Vec<String>>, name: &str) -> bool {
    list.is_none_or(|l| l.is_empty() || l.iter().any(|x| x == name))
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
        let end = self
            .subtree_end(id)
            .ok_or_else(|| WorldError::NotFound(format!("Kohdetta {id} ei löydy")))?;
        let kinds = filter.kohde_metatyypit.as_ref();
        Ok(self
            .objects
            .range(id + 1, end)
            .filter(|o| listed(kinds, o.kohde_metatyyppi.as_str()))
            .collect())
    }

    /// Connections matching `filter`, in id order.
    pub fn find_connections(
        &self,
        filter: &ConnectionFilter,
    ) -> Result<Vec<&Connection>, WorldError> {
        let roles = filter.roolit.as_ref();
        let keep = |c: &&Connection| {
            listed(roles, c.rooli.as_str()) && filter.osapuoli_id.is_none_or(|p| c.osapuoli_id == p)
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
        let within = match filter.kohde_id {
            Some(id) => {
                let end = self
                    .subtree_end(id)
                    .ok_or_else(|| WorldError::NotFound(format!("Kohdetta {id} ei löydy")))?;
                Some(id..=end)
            }
            None => None,
        };
        let top_only = filter.vain_paatason_ilmoitukset.unwrap_or(false);
        let mut rows: Vec<&FaultReport> = self
            .reports
            .iter()
            .filter(|r| {
                filter
                    .tyonsuorittaja_id
                    .is_none_or(|t| r.tyonsuorittaja_id == Some(t))
                    && (!top_only || r.yla_ilmoitus_id.is_none())
                    && listed(filter.tilat.as_ref(), r.tila.as_str())
                    && within.as_ref().is_none_or(|w| w.contains(&r.kohde_id))
                    && filter
                        .ilmoittaja_id
                        .is_none_or(|p| r.ilmoittaja_id == Some(p))
                    && filter
                        .ulkoinen_tunniste
                        .as_ref()
                        .is_none_or(|u| r.ulkoinen_tunniste.as_ref() == Some(u))
                    && listed(filter.aiheet.as_ref(), r.aihe.as_str())
            })
            .collect();
        rows.sort_by(|a, b| b.luotu.cmp(&a.luotu).then(b.id.cmp(&a.id)));
        Ok(rows)
    }
}
