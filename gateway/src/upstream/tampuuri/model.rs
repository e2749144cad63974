//! Tampuuri's JSON as Rappu reads it: every Finnish field name in one place.
//!
//! Readers are tolerant: unknown fields are ignored (Tampuuri adds fields at any time),
//! missing optional fields default, and an unknown enum value becomes `Other`. Field names
//! marked *assumed* come from the simulator (`sim/README.md`), not the vendor's documents.
//! The bodies Rappu *sends* to create fault reports are in [`super::report_body`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::time;

/// Kind of an object in the object registry (`KohdeMetatyyppi`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// Cost centre: a housing company or property.
    #[serde(rename = "Kustannuspaikka")]
    CostCentre,
    /// A building.
    #[serde(rename = "Rakennus")]
    Building,
    /// A staircase of a building.
    #[serde(rename = "Porras")]
    Staircase,
    /// An apartment.
    #[serde(rename = "Huoneisto")]
    Apartment,
    /// A kind this version of Rappu does not know.
    #[serde(untagged)]
    Other(String),
}

/// An object (kohde) of the registry tree. *Assumed* names except `Id`, `KohdeMetatyyppi`
/// and `KustannuspaikkaId`.
#[derive(Debug, Clone, Deserialize)]
pub struct Object {
    /// `Id`.
    #[serde(rename = "Id")]
    pub id: u64,
    /// `KohdeMetatyyppi`.
    #[serde(rename = "KohdeMetatyyppi")]
    pub kind: ObjectKind,
    /// `Nimi`.
    #[serde(rename = "Nimi", default)]
    pub name: Option<String>,
    /// `Tunnus`: a short code such as `A 12`.
    #[serde(rename = "Tunnus", default)]
    pub code: Option<String>,
    /// `YlaKohdeId`: the parent object.
    #[serde(rename = "YlaKohdeId", default)]
    pub parent_id: Option<u64>,
    /// `KustannuspaikkaId`: the cost centre the object belongs to.
    #[serde(rename = "KustannuspaikkaId", default)]
    pub cost_centre_id: Option<u64>,
    /// `Katuosoite`.
    #[serde(rename = "Katuosoite", default)]
    pub street_address: Option<String>,
    /// `Postinumero`.
    #[serde(rename = "Postinumero", default)]
    pub postal_code: Option<String>,
    /// `Postitoimipaikka`.
    #[serde(rename = "Postitoimipaikka", default)]
    pub city: Option<String>,
    /// `Porras`: staircase letter, on staircases and apartments.
    #[serde(rename = "Porras", default)]
    pub staircase: Option<String>,
    /// `Kerros`: floor, on apartments.
    #[serde(rename = "Kerros", default)]
    pub floor: Option<i32>,
    /// `Huoneistonumero`: apartment number, on apartments.
    #[serde(rename = "Huoneistonumero", default)]
    pub apartment_number: Option<u32>,
}

/// Person or company (`Osapuolityyppi`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum PartyKind {
    /// `Henkilo`.
    #[serde(rename = "Henkilo")]
    Person,
    /// `Yritys`.
    #[serde(rename = "Yritys")]
    Company,
    /// Anything else.
    #[serde(untagged)]
    Other(String),
}

/// A party (osapuoli): a person or a company. Field names from the vendor's sample.
#[derive(Debug, Clone, Deserialize)]
pub struct Party {
    /// `Id`.
    #[serde(rename = "Id")]
    pub id: u64,
    /// `Osapuolityyppi`.
    #[serde(rename = "Osapuolityyppi", default)]
    pub kind: Option<PartyKind>,
    /// `Nimi`: full name or company name.
    #[serde(rename = "Nimi", default)]
    pub name: Option<String>,
    /// `Etunimi`.
    #[serde(rename = "Etunimi", default)]
    pub first_name: Option<String>,
    /// `Sukunimi`.
    #[serde(rename = "Sukunimi", default)]
    pub last_name: Option<String>,
    /// `Puhelin`.
    #[serde(rename = "Puhelin", default)]
    pub phone: Option<String>,
    /// `Matkapuhelin`.
    #[serde(rename = "Matkapuhelin", default)]
    pub mobile: Option<String>,
    /// `Sahkoposti`.
    #[serde(rename = "Sahkoposti", default)]
    pub email: Option<String>,
    /// `Turvakielto`: non-disclosure for personal safety. A missing value is treated as
    /// `true` by every reader that shows names: never show a name we are unsure about.
    #[serde(rename = "Turvakielto", default)]
    pub non_disclosure: Option<bool>,
    /// `Arkistoitu`: when the party was archived.
    #[serde(
        rename = "Arkistoitu",
        default,
        deserialize_with = "time::opt_datetime"
    )]
    pub archived_at: Option<DateTime<Utc>>,
}

/// Role of a party on an object (`Rooli`). *Assumed values.*
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionRole {
    /// `Asukas`: resident.
    #[serde(rename = "Asukas")]
    Resident,
    /// `Omistaja`: owner.
    #[serde(rename = "Omistaja")]
    Owner,
    /// `Isannoitsija`: property manager.
    #[serde(rename = "Isannoitsija")]
    Manager,
    /// `Huoltoyhtio`: maintenance company.
    #[serde(rename = "Huoltoyhtio")]
    Maintenance,
    /// `HallituksenPuheenjohtaja`: chair of the board.
    #[serde(rename = "HallituksenPuheenjohtaja")]
    BoardChair,
    /// Anything else.
    #[serde(untagged)]
    Other(String),
}

/// A party's connection to an object (`osapuolet/yhteydet`). *Assumed shape.*
#[derive(Debug, Clone, Deserialize)]
pub struct Connection {
    /// `Id`.
    #[serde(rename = "Id")]
    pub id: u64,
    /// `KohdeId`: the object.
    #[serde(rename = "KohdeId")]
    pub object_id: u64,
    /// `Rooli`.
    #[serde(rename = "Rooli")]
    pub role: ConnectionRole,
    /// `Alkaa`: move-in / start date.
    #[serde(rename = "Alkaa", default, deserialize_with = "time::opt_date")]
    pub starts: Option<NaiveDate>,
    /// `Paattyy`: move-out / end date.
    #[serde(rename = "Paattyy", default, deserialize_with = "time::opt_date")]
    pub ends: Option<NaiveDate>,
    /// `PiilotaPorrasnaytolta`: the resident asked to be left off the stairwell display.
    #[serde(rename = "PiilotaPorrasnaytolta", default)]
    pub hide_from_display: Option<bool>,
    /// `Osapuoli`: the party.
    #[serde(rename = "Osapuoli")]
    pub party: Party,
}

/// Body of `POST osapuolet/yhteydet/selaa`. *Assumed names.*
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConnectionQuery {
    /// `KohdeId`: connections on this object (absent: on any object).
    #[serde(rename = "KohdeId", skip_serializing_if = "Option::is_none")]
    pub object_id: Option<u64>,
    /// `SisallytaAlakohteet`: include connections on every descendant.
    #[serde(rename = "SisallytaAlakohteet")]
    pub include_descendants: bool,
    /// `Roolit`: only these roles (empty: all).
    #[serde(rename = "Roolit", skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ConnectionRole>,
    /// `OsapuoliId`: only this party's connections.
    #[serde(rename = "OsapuoliId", skip_serializing_if = "Option::is_none")]
    pub party_id: Option<u64>,
}

/// Body of `POST kohteet/{id}/selaa`.
#[derive(Debug, Clone, Serialize)]
pub struct DescendantQuery {
    /// `KohdeMetatyypit` (vendor): only these kinds (empty: all).
    #[serde(rename = "KohdeMetatyypit", skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<ObjectKind>,
}

/// An announcement (uutinen). *Assumed route and names.*
#[derive(Debug, Clone, Deserialize)]
pub struct Announcement {
    /// `Id`.
    #[serde(rename = "Id")]
    pub id: u64,
    /// `KohdeId`: the object it was posted on.
    #[serde(rename = "KohdeId", default)]
    pub object_id: Option<u64>,
    /// `Otsikko`.
    #[serde(rename = "Otsikko", default)]
    pub title: String,
    /// `Sisalto`.
    #[serde(rename = "Sisalto", default)]
    pub body: String,
    /// `Julkaistu`.
    #[serde(rename = "Julkaistu", default, deserialize_with = "time::opt_datetime")]
    pub published_at: Option<DateTime<Utc>>,
    /// `VoimassaAlkaen`.
    #[serde(
        rename = "VoimassaAlkaen",
        default,
        deserialize_with = "time::opt_datetime"
    )]
    pub valid_from: Option<DateTime<Utc>>,
    /// `VoimassaAsti`: `None` means no end.
    #[serde(
        rename = "VoimassaAsti",
        default,
        deserialize_with = "time::opt_datetime"
    )]
    pub valid_until: Option<DateTime<Utc>>,
}

/// Body of `POST uutiset/selaa`.
#[derive(Debug, Clone, Serialize)]
pub struct AnnouncementQuery {
    /// `KohdeId`.
    #[serde(rename = "KohdeId")]
    pub object_id: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_object_with_unknown_fields_and_kinds() {
        let o: Object = serde_json::from_str(
            r#"{"Id":5,"KohdeMetatyyppi":"Autopaikka","Nimi":"P1","Uusi":{"x":1},"Kerros":null}"#,
        )
        .unwrap();
        assert_eq!(o.kind, ObjectKind::Other("Autopaikka".into()));
        assert_eq!(o.floor, None);
        let o: Object =
            serde_json::from_str(r#"{"Id":6,"KohdeMetatyyppi":"Huoneisto","Kerros":3}"#).unwrap();
        assert_eq!(o.kind, ObjectKind::Apartment);
    }

    #[test]
    fn reads_the_vendors_party_sample() {
        let p: Party = serde_json::from_str(
            r#"{"Id":199497,"YritysId":null,"Osapuolityyppi":"Henkilo","Nimi":"Virtanen Aino",
                "Etunimi":"Aino","Sukunimi":"Virtanen","Turvakielto":true,
                "Tunnistautuminen":{"Tyyppi":"x","Tunnistettu":true},
                "Arkistoitu":"2021-10-26T13:20:55.1824125+03:00"}"#,
        )
        .unwrap();
        assert_eq!(p.non_disclosure, Some(true));
        assert_eq!(
            p.archived_at.unwrap().to_rfc3339(),
            "2021-10-26T10:20:55.182412500+00:00"
        );
    }

    #[test]
    fn serializes_queries_with_vendor_names() {
        let q = DescendantQuery {
            kinds: vec![ObjectKind::Apartment],
        };
        assert_eq!(
            serde_json::to_string(&q).unwrap(),
            r#"{"KohdeMetatyypit":["Huoneisto"]}"#
        );
    }
}

/// State of a fault report (`Tila`). *Assumed string values*; the vendor documents the
/// states, not their encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportState {
    /// `Avoin`: open, not yet taken.
    #[serde(rename = "Avoin")]
    Open,
    /// `Vastaanotettu`: the assignee took it.
    #[serde(rename = "Vastaanotettu")]
    Received,
    /// `Odottaa`: on hold, with a reason.
    #[serde(rename = "Odottaa")]
    Waiting,
    /// `Tehty`: the work is done.
    #[serde(rename = "Tehty")]
    Done,
    /// `Valmis`: completed (invoiced).
    #[serde(rename = "Valmis")]
    Completed,
    /// A state this version of Rappu does not know.
    #[serde(untagged)]
    Other(String),
}

/// One row of a report's state history (`Tilahistoria`). *Assumed.*
#[derive(Debug, Clone, Deserialize)]
pub struct ReportStateChange {
    /// `Tila`.
    #[serde(rename = "Tila")]
    pub state: ReportState,
    /// `Aika`.
    #[serde(rename = "Aika", default, deserialize_with = "time::opt_datetime")]
    pub at: Option<DateTime<Utc>>,
    /// `Selite`: e.g. why it waits.
    #[serde(rename = "Selite", default)]
    pub note: Option<String>,
}

/// A fault report (ilmoitus). *Assumed field names* (see `sim/README.md`).
#[derive(Debug, Clone, Deserialize)]
pub struct FaultReport {
    /// `Id`.
    #[serde(rename = "Id")]
    pub id: u64,
    /// `Ilmoitusnumero`.
    #[serde(rename = "Ilmoitusnumero", default)]
    pub number: Option<String>,
    /// `Otsikko`.
    #[serde(rename = "Otsikko", default)]
    pub title: String,
    /// `Kuvaus`.
    #[serde(rename = "Kuvaus", default)]
    pub description: Option<String>,
    /// `Aihe`: `Huoneisto`, `YleisetTilat`, `Ulkoalueet`.
    #[serde(rename = "Aihe", default)]
    pub topic: Option<String>,
    /// `KohdeId`: apartment, staircase or building.
    #[serde(rename = "KohdeId", default)]
    pub object_id: Option<u64>,
    /// `Vikaluokka`: the fault category from the account's pick list (vendor help page:
    /// a string of at most 255 characters).
    #[serde(rename = "Vikaluokka", default)]
    pub fault_class: Option<String>,
    /// `Sijainti`: where exactly (room, space).
    #[serde(rename = "Sijainti", default)]
    pub location: Option<String>,
    /// `Sisaanpaasy`: the worker may enter with a master key.
    #[serde(rename = "Sisaanpaasy", default)]
    pub entry_allowed: Option<bool>,
    /// `Kotielaimet`: pets in the apartment.
    #[serde(rename = "Kotielaimet", default)]
    pub pets: Option<String>,
    /// `IlmoittajanPuhelin`: the reporter's phone.
    #[serde(rename = "IlmoittajanPuhelin", default)]
    pub reporter_phone: Option<String>,
    /// `Tila`.
    #[serde(rename = "Tila")]
    pub state: ReportState,
    /// `Tilahistoria`.
    #[serde(rename = "Tilahistoria", default)]
    pub history: Vec<ReportStateChange>,
    /// `IlmoittajaId`: the reporting party.
    #[serde(rename = "IlmoittajaId", default)]
    pub reporter_id: Option<u64>,
    /// `TyonsuorittajaId`: the assignee.
    #[serde(rename = "TyonsuorittajaId", default)]
    pub assignee_id: Option<u64>,
    /// `YlaIlmoitusId`: the report this one follows up.
    #[serde(rename = "YlaIlmoitusId", default)]
    pub parent_id: Option<u64>,
    /// `Kasitelty`: passed on to a follow-up.
    #[serde(rename = "Kasitelty", default)]
    pub handled: Option<bool>,
    /// `UlkoinenTunniste`: the caller's correlation id.
    #[serde(rename = "UlkoinenTunniste", default)]
    pub external_id: Option<String>,
    /// `Luotu`.
    #[serde(rename = "Luotu", default, deserialize_with = "time::opt_datetime")]
    pub created_at: Option<DateTime<Utc>>,
    /// `Muokattu`: last change of any kind (e.g. becoming `Kasitelty`).
    #[serde(rename = "Muokattu", default, deserialize_with = "time::opt_datetime")]
    pub modified_at: Option<DateTime<Utc>>,
}

/// Body of `POST ilmoitukset/selaa`; every filter optional.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportQuery {
    /// `TyonsuorittajaId` (vendor).
    #[serde(rename = "TyonsuorittajaId", skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<u64>,
    /// `VainPäätasonIlmoitukset` (vendor): only top-level reports.
    #[serde(
        rename = "VainPäätasonIlmoitukset",
        skip_serializing_if = "Option::is_none"
    )]
    pub top_level_only: Option<bool>,
    /// `Tilat`: only these states.
    #[serde(rename = "Tilat", skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<ReportState>,
    /// `KohdeId`: the object or any descendant.
    #[serde(rename = "KohdeId", skip_serializing_if = "Option::is_none")]
    pub object_id: Option<u64>,
    /// `IlmoittajaId`.
    #[serde(rename = "IlmoittajaId", skip_serializing_if = "Option::is_none")]
    pub reporter_id: Option<u64>,
    /// `UlkoinenTunniste`.
    #[serde(rename = "UlkoinenTunniste", skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
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
