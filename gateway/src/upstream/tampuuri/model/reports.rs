//! Fault reports (ilmoitukset) as Rappu reads them, and the bodies of the searches and
//! transitions it sends.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::super::time;
use super::super::wire::{self, wire_enum};

wire_enum! {
    /// State of a fault report (`Tila`; the states vendor (seed), names and codes assumed).
    pub enum ReportState {
        /// `Avoin`: open, not yet taken.
        Open = ("Avoin", 1),
        /// `Vastaanotettu`: the assignee took it.
        Received = ("Vastaanotettu", 2),
        /// `Odottaa`: on hold, with a reason.
        Waiting = ("Odottaa", 3),
        /// `Tehty`: the work is done.
        Done = ("Tehty", 4),
        /// `Valmis`: completed (invoiced).
        Completed = ("Valmis", 5),
    }
}

wire_enum! {
    /// What a report is about (`Aihe`). *Assumed names and codes*; the documented create
    /// body (`ilmoitukset/lisaa`) has no such field, so reports Rappu files carry none.
    pub enum Topic {
        /// `Huoneisto`: the apartment.
        Apartment = ("Huoneisto", 1),
        /// `YleisetTilat`: common areas.
        CommonAreas = ("YleisetTilat", 2),
        /// `Ulkoalueet`: outdoors.
        Outdoors = ("Ulkoalueet", 3),
    }
}

/// One row of a report's state history (`Tilahistoria`). *Assumed.*
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ReportStateChange {
    /// `Tila`.
    #[serde(rename = "Tila")]
    pub state: ReportState,
    /// `Aika`.
    #[serde(rename = "Aika", default, deserialize_with = "time::opt_datetime")]
    pub at: Option<DateTime<Utc>>,
    /// `Selite`: e.g. why it waits.
    #[serde(rename = "Selite", default, deserialize_with = "wire::opt_text")]
    pub note: Option<String>,
}

/// A history whose unreadable rows are left out rather than failing the report.
fn history<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ReportStateChange>, D::Error> {
    let rows: Option<Vec<serde_json::Value>> = Deserialize::deserialize(d)?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .filter_map(|row| serde_json::from_value(row).ok())
        .collect())
}

/// A fault report (ilmoitus). *Assumed field names* (see `sim/README.md`), except those the
/// create body documents (vendor (help page)): `TyotehtavanKuvaus`, `KustannuspaikkaId`,
/// `TilaId`, `Sisaanpaasy` (a pick-list value), `Kotielaimet`, `Vikaluokka`, `ParentId`.
/// Where two names are known for one thing (`TyotehtavanKuvaus`/`Kuvaus`,
/// `KohdeId`/`TilaId`, `YlaIlmoitusId`/`ParentId`) either is read, the documented first.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(from = "WireReport")]
pub struct FaultReport {
    /// `Id`.
    #[serde(rename = "Id")]
    pub id: u64,
    /// `Ilmoitusnumero`.
    #[serde(rename = "Ilmoitusnumero", skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// `Otsikko`.
    #[serde(rename = "Otsikko")]
    pub title: String,
    /// `TyotehtavanKuvaus` (or `Kuvaus`).
    #[serde(rename = "TyotehtavanKuvaus", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Aihe`: `Huoneisto`, `YleisetTilat`, `Ulkoalueet`.
    #[serde(rename = "Aihe", skip_serializing_if = "Option::is_none")]
    pub topic: Option<Topic>,
    /// `KohdeId` (or `TilaId`): apartment, staircase or building.
    #[serde(rename = "KohdeId", skip_serializing_if = "Option::is_none")]
    pub object_id: Option<u64>,
    /// `KustannuspaikkaId`: the property.
    #[serde(rename = "KustannuspaikkaId", skip_serializing_if = "Option::is_none")]
    pub cost_centre_id: Option<u64>,
    /// `Vikaluokka`: the fault category from the account's pick list (vendor (help page):
    /// a string of at most 255 characters).
    #[serde(rename = "Vikaluokka", skip_serializing_if = "Option::is_none")]
    pub fault_class: Option<String>,
    /// `Sijainti`: where exactly (room, space). *Assumed.*
    #[serde(rename = "Sijainti", skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `TyotehtavanLisatiedot` (or `Lisatiedot`): extra information (vendor (help page));
    /// Rappu writes the topic, the location and the contact phone there as `Name: value`
    /// lines.
    #[serde(
        rename = "TyotehtavanLisatiedot",
        skip_serializing_if = "Option::is_none"
    )]
    pub extra: Option<String>,
    /// `Sisaanpaasy`: entry permission, a pick-list value (vendor (help page)) or a flag (as
    /// the simulator's classic dialect sends it): kept as text, read with
    /// [`FaultReport::entry_allowed`].
    #[serde(rename = "Sisaanpaasy", skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// `Kotielaimet`: pets in the apartment.
    #[serde(rename = "Kotielaimet", skip_serializing_if = "Option::is_none")]
    pub pets: Option<String>,
    /// `IlmoittajanPuhelin`: the reporter's phone.
    #[serde(rename = "IlmoittajanPuhelin", skip_serializing_if = "Option::is_none")]
    pub reporter_phone: Option<String>,
    /// `Tila`.
    #[serde(rename = "Tila")]
    pub state: ReportState,
    /// `Tilahistoria`.
    #[serde(rename = "Tilahistoria")]
    pub history: Vec<ReportStateChange>,
    /// `IlmoittajaId`: the reporting party.
    #[serde(rename = "IlmoittajaId", skip_serializing_if = "Option::is_none")]
    pub reporter_id: Option<u64>,
    /// `TyonsuorittajaId`: the assignee.
    #[serde(rename = "TyonsuorittajaId", skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<u64>,
    /// `YlaIlmoitusId` (or `ParentId`): the report this one follows up.
    #[serde(rename = "YlaIlmoitusId", skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<u64>,
    /// `Kasitelty`: passed on to a follow-up.
    #[serde(rename = "Kasitelty", skip_serializing_if = "Option::is_none")]
    pub handled: Option<bool>,
    /// `UlkoinenTunniste`: the caller's correlation id, where the account keeps it.
    #[serde(rename = "UlkoinenTunniste", skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// `Luotu`.
    #[serde(rename = "Luotu", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// `Muokattu`: last change of any kind (e.g. becoming `Kasitelty`).
    #[serde(rename = "Muokattu", skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<DateTime<Utc>>,
}

/// The report as it comes, before the two names of a field are merged.
#[derive(Deserialize)]
struct WireReport {
    #[serde(rename = "Id", deserialize_with = "wire::id")]
    pub id: u64,
    #[serde(
        rename = "Ilmoitusnumero",
        default,
        deserialize_with = "wire::opt_text"
    )]
    pub number: Option<String>,
    #[serde(rename = "Otsikko", default, deserialize_with = "wire::text_or_empty")]
    pub title: String,
    #[serde(
        rename = "TyotehtavanKuvaus",
        default,
        deserialize_with = "wire::opt_text"
    )]
    pub description: Option<String>,
    #[serde(rename = "Kuvaus", default, deserialize_with = "wire::opt_text")]
    pub description_old: Option<String>,
    #[serde(rename = "Aihe", default)]
    pub topic: Option<Topic>,
    #[serde(rename = "KohdeId", default, deserialize_with = "wire::opt_int")]
    pub object_id: Option<u64>,
    #[serde(rename = "TilaId", default, deserialize_with = "wire::opt_int")]
    pub space_id: Option<u64>,
    #[serde(
        rename = "KustannuspaikkaId",
        default,
        deserialize_with = "wire::opt_int"
    )]
    pub cost_centre_id: Option<u64>,
    #[serde(rename = "Vikaluokka", default, deserialize_with = "wire::opt_text")]
    pub fault_class: Option<String>,
    #[serde(rename = "Sijainti", default, deserialize_with = "wire::opt_text")]
    pub location: Option<String>,
    #[serde(
        rename = "TyotehtavanLisatiedot",
        default,
        deserialize_with = "wire::opt_text"
    )]
    pub extra: Option<String>,
    #[serde(rename = "Lisatiedot", default, deserialize_with = "wire::opt_text")]
    pub extra_old: Option<String>,
    #[serde(rename = "Sisaanpaasy", default, deserialize_with = "wire::opt_text")]
    pub entry: Option<String>,
    #[serde(rename = "Kotielaimet", default, deserialize_with = "wire::opt_text")]
    pub pets: Option<String>,
    #[serde(
        rename = "IlmoittajanPuhelin",
        default,
        deserialize_with = "wire::opt_text"
    )]
    pub reporter_phone: Option<String>,
    #[serde(rename = "Tila")]
    pub state: ReportState,
    #[serde(rename = "Tilahistoria", default, deserialize_with = "history")]
    pub history: Vec<ReportStateChange>,
    #[serde(rename = "IlmoittajaId", default, deserialize_with = "wire::opt_int")]
    pub reporter_id: Option<u64>,
    #[serde(
        rename = "TyonsuorittajaId",
        default,
        deserialize_with = "wire::opt_int"
    )]
    pub assignee_id: Option<u64>,
    #[serde(rename = "YlaIlmoitusId", default, deserialize_with = "wire::opt_int")]
    pub parent_id: Option<u64>,
    #[serde(rename = "ParentId", default, deserialize_with = "wire::opt_int")]
    pub parent: Option<u64>,
    #[serde(rename = "Kasitelty", default, deserialize_with = "wire::opt_flag")]
    pub handled: Option<bool>,
    #[serde(
        rename = "UlkoinenTunniste",
        default,
        deserialize_with = "wire::opt_text"
    )]
    pub external_id: Option<String>,
    #[serde(rename = "Luotu", default, deserialize_with = "time::opt_datetime")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(rename = "Muokattu", default, deserialize_with = "time::opt_datetime")]
    pub modified_at: Option<DateTime<Utc>>,
}

impl From<WireReport> for FaultReport {
    fn from(w: WireReport) -> Self {
        Self {
            id: w.id,
            number: w.number,
            title: w.title,
            description: w.description.or(w.description_old),
            topic: w.topic,
            object_id: w.object_id.or(w.space_id),
            cost_centre_id: w.cost_centre_id,
            fault_class: w.fault_class,
            location: w.location,
            extra: w.extra.or(w.extra_old),
            entry: w.entry,
            pets: w.pets,
            reporter_phone: w.reporter_phone,
            state: w.state,
            history: w.history,
            reporter_id: w.reporter_id,
            assignee_id: w.assignee_id,
            parent_id: w.parent_id.or(w.parent),
            handled: w.handled,
            external_id: w.external_id,
            created_at: w.created_at,
            modified_at: w.modified_at,
        }
    }
}

impl FaultReport {
    /// Where exactly: `Sijainti`, else the `Sijainti:` line Rappu writes in the extra
    /// information.
    pub fn location_text(&self) -> Option<String> {
        self.location.clone().or_else(|| {
            self.extra.as_deref().and_then(|extra| {
                extra
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("Sijainti:"))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            })
        })
    }

    /// Whether the worker may enter with a master key: a flag, or the account's pick-list
    /// value for yes (`allowed`) or for no (`denied`); `None` for a value Rappu cannot
    /// interpret (shown as unknown).
    pub fn entry_allowed(&self, allowed: &str, denied: &str) -> Option<bool> {
        let value = self.entry.as_deref()?.trim();
        if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case(allowed) {
            Some(true)
        } else if value.eq_ignore_ascii_case("false") || value.eq_ignore_ascii_case(denied) {
            Some(false)
        } else {
            None
        }
    }
}

/// Body of `POST ilmoitukset/selaa`; every filter optional.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportQuery {
    /// `TyonsuorittajaId` (vendor (seed)).
    #[serde(rename = "TyonsuorittajaId", skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<u64>,
    /// `VainPäätasonIlmoitukset` (vendor (seed)): only top-level reports.
    #[serde(
        rename = "VainPäätasonIlmoitukset",
        skip_serializing_if = "Option::is_none"
    )]
    pub top_level_only: Option<bool>,
    /// `Tilat`: only these states. *Assumed.*
    #[serde(rename = "Tilat", skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<ReportState>,
    /// `KohdeId`: the object or any descendant. *Assumed.*
    #[serde(rename = "KohdeId", skip_serializing_if = "Option::is_none")]
    pub object_id: Option<u64>,
    /// `IlmoittajaId`. *Assumed.*
    #[serde(rename = "IlmoittajaId", skip_serializing_if = "Option::is_none")]
    pub reporter_id: Option<u64>,
    /// `UlkoinenTunniste`. *Assumed*; ignored by accounts that do not keep it.
    #[serde(rename = "UlkoinenTunniste", skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// `LuotuAlkaen`: created at or after. *Assumed.*
    #[serde(rename = "LuotuAlkaen", skip_serializing_if = "Option::is_none")]
    pub created_from: Option<String>,
    /// `LuotuPaattyen`: created at or before. *Assumed.*
    #[serde(rename = "LuotuPaattyen", skip_serializing_if = "Option::is_none")]
    pub created_until: Option<String>,
}

/// Body of `POST ilmoitukset/{id}/odotukseen`.
#[derive(Debug, Clone, Serialize)]
pub struct HoldRequest {
    /// `Syy`: why it waits; shown to the resident.
    #[serde(rename = "Syy")]
    pub reason: String,
    /// `IlmoitaOsallisille`: notify the parties.
    #[serde(rename = "IlmoitaOsallisille")]
    pub notify_parties: bool,
}

/// Body of `POST ilmoitukset/{id}/kuittaatehdyksi`.
#[derive(Debug, Clone, Serialize)]
pub struct DoneRequest {
    /// `Yhteenveto`: summary for the customer.
    #[serde(rename = "Yhteenveto")]
    pub summary: String,
    /// `IlmoitaOsallisille`: notify the parties.
    #[serde(rename = "IlmoitaOsallisille")]
    pub notify_parties: bool,
}

/// What `POST ilmoitukset/lisaa` answers: the new report's id, bare or as `{"Id": n}` (the
/// help says "returns its id"; its sample is not in the stored copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedId(pub u64);

impl<'de> Deserialize<'de> for CreatedId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value: serde_json::Value = Deserialize::deserialize(d)?;
        let id = match &value {
            serde_json::Value::Object(map) => map.get("Id").or_else(|| map.get("id")),
            other => Some(other),
        };
        id.and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .map(CreatedId)
        .ok_or_else(|| serde::de::Error::custom("the answer holds no report id"))
    }
}
