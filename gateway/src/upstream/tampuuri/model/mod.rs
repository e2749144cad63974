//! Tampuuri's JSON as Rappu reads it: every Finnish field name in one place.
//!
//! Readers are tolerant (see [`super::wire`]): unknown fields are ignored (Tampuuri adds
//! fields at any time), an enum comes as its name or its number and an unknown one becomes
//! `Other`, a field Rappu does not depend on is read from whatever scalar it comes as (and
//! becomes `None` otherwise), and a row that still cannot be read is skipped by the client
//! with a warning rather than failing its page. Only what a row cannot do without is
//! required: ids, an object's kind, a connection's object, role and party, a report's
//! state. Field names marked *assumed* come from the simulator (`sim/README.md`), not the
//! vendor's documents. What Rappu *sends* to create fault reports is in
//! [`super::report_body`].

mod reports;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use reports::*;

use super::time;
use super::wire::{self, wire_enum};

wire_enum! {
    /// Kind of an object in the object registry (`KohdeMetatyyppi`; names vendor (seed),
    /// codes assumed).
    pub enum ObjectKind {
        /// Cost centre: a housing company or property.
        CostCentre = ("Kustannuspaikka", 1),
        /// A building.
        Building = ("Rakennus", 2),
        /// A staircase of a building.
        Staircase = ("Porras", 3),
        /// An apartment.
        Apartment = ("Huoneisto", 4),
    }
}

/// An object (kohde) of the registry tree. *Assumed* names except `Id`, `KohdeMetatyyppi`,
/// `KustannuspaikkaId` (vendor (seed)) and `ParentId` (vendor (help page), read as the
/// parent when `YlaKohdeId` is absent).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Object {
    /// `Id`.
    #[serde(rename = "Id", deserialize_with = "wire::id")]
    pub id: u64,
    /// `KohdeMetatyyppi`.
    #[serde(rename = "KohdeMetatyyppi")]
    pub kind: ObjectKind,
    /// `Nimi`.
    #[serde(
        rename = "Nimi",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// `Tunnus`: a short code such as `A 12`.
    #[serde(
        rename = "Tunnus",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
    /// `YlaKohdeId` (or `ParentId`): the parent object.
    #[serde(
        rename = "YlaKohdeId",
        default,
        deserialize_with = "wire::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_id: Option<u64>,
    /// `ParentId`, the help's create models' name of the parent: read where `YlaKohdeId`
    /// is absent (see [`Object::parent`]).
    #[serde(
        rename = "ParentId",
        default,
        deserialize_with = "wire::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_alt: Option<u64>,
    /// `KustannuspaikkaId`: the cost centre the object belongs to.
    #[serde(
        rename = "KustannuspaikkaId",
        default,
        deserialize_with = "wire::opt_int"
    )]
    pub cost_centre_id: Option<u64>,
    /// `Katuosoite`.
    #[serde(
        rename = "Katuosoite",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub street_address: Option<String>,
    /// `Postinumero`.
    #[serde(
        rename = "Postinumero",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub postal_code: Option<String>,
    /// `Postitoimipaikka`.
    #[serde(
        rename = "Postitoimipaikka",
        default,
        deserialize_with = "wire::opt_text"
    )]
    pub city: Option<String>,
    /// `Porras`: staircase letter, on staircases and apartments.
    #[serde(
        rename = "Porras",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub staircase: Option<String>,
    /// `Kerros`: floor, on apartments.
    #[serde(
        rename = "Kerros",
        default,
        deserialize_with = "wire::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub floor: Option<i32>,
    /// `Huoneistonumero`: apartment number, on apartments.
    #[serde(
        rename = "Huoneistonumero",
        default,
        deserialize_with = "wire::opt_int"
    )]
    pub apartment_number: Option<u32>,
}

impl Object {
    /// The parent object, by either name.
    pub fn parent(&self) -> Option<u64> {
        self.parent_id.or(self.parent_alt)
    }
}

wire_enum! {
    /// Person or company (`Osapuolityyppi`, `ApiOsapuoliTyyppi`: vendor (help page) names
    /// the type; the names and the codes are assumed, seed 003 shows `0`).
    pub enum PartyKind {
        /// `Henkilo`.
        Person = ("Henkilo", 0),
        /// `Yritys`.
        Company = ("Yritys", 1),
    }
}

/// A party (osapuoli): a person or a company. Field names from the vendor's sample.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Party {
    /// `Id`.
    #[serde(rename = "Id", deserialize_with = "wire::id")]
    pub id: u64,
    /// `Osapuolityyppi`.
    #[serde(rename = "Osapuolityyppi", default)]
    pub kind: Option<PartyKind>,
    /// `Nimi`: full name or company name.
    #[serde(
        rename = "Nimi",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// `Etunimi`.
    #[serde(
        rename = "Etunimi",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_name: Option<String>,
    /// `Sukunimi`.
    #[serde(
        rename = "Sukunimi",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_name: Option<String>,
    /// `Puhelin`.
    #[serde(
        rename = "Puhelin",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<String>,
    /// `Matkapuhelin`.
    #[serde(
        rename = "Matkapuhelin",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub mobile: Option<String>,
    /// `Sahkoposti`.
    #[serde(
        rename = "Sahkoposti",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    /// `Turvakielto`: non-disclosure for personal safety. A missing or unreadable value is
    /// treated as `true` by every reader that shows names: never show a name we are unsure
    /// about.
    #[serde(rename = "Turvakielto", default, deserialize_with = "wire::opt_flag")]
    pub non_disclosure: Option<bool>,
    /// `Arkistoitu`: when the party was archived.
    #[serde(
        rename = "Arkistoitu",
        default,
        deserialize_with = "time::opt_datetime"
    )]
    pub archived_at: Option<DateTime<Utc>>,
}

wire_enum! {
    /// Role of a party on an object (`Rooli`). *Assumed names and codes.*
    pub enum ConnectionRole {
        /// `Asukas`: resident.
        Resident = ("Asukas", 1),
        /// `Omistaja`: owner.
        Owner = ("Omistaja", 2),
        /// `Isannoitsija`: property manager.
        Manager = ("Isannoitsija", 3),
        /// `Huoltoyhtio`: maintenance company.
        Maintenance = ("Huoltoyhtio", 4),
        /// `HallituksenPuheenjohtaja`: chair of the board.
        BoardChair = ("HallituksenPuheenjohtaja", 5),
    }
}

/// A party's connection to an object (`osapuolet/yhteydet`). *Assumed shape.*
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Connection {
    /// `Id`.
    #[serde(rename = "Id", deserialize_with = "wire::id")]
    pub id: u64,
    /// `KohdeId`: the object.
    #[serde(rename = "KohdeId", deserialize_with = "wire::id")]
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
    #[serde(
        rename = "PiilotaPorrasnaytolta",
        default,
        deserialize_with = "wire::opt_flag"
    )]
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
    /// `KohdeMetatyypit` (vendor (seed)): only these kinds (empty: all).
    #[serde(rename = "KohdeMetatyypit", skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<ObjectKind>,
}

/// An announcement (uutinen). *Assumed route and names.*
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Announcement {
    /// `Id`.
    #[serde(rename = "Id", deserialize_with = "wire::id")]
    pub id: u64,
    /// `KohdeId`: the object it was posted on.
    #[serde(
        rename = "KohdeId",
        default,
        deserialize_with = "wire::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub object_id: Option<u64>,
    /// `Otsikko`.
    #[serde(rename = "Otsikko", default, deserialize_with = "wire::text_or_empty")]
    pub title: String,
    /// `Sisalto`.
    #[serde(rename = "Sisalto", default, deserialize_with = "wire::text_or_empty")]
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
    /// `KohdeId`: announcements on this object and its ancestors (absent: every
    /// announcement of the account, *assumed*).
    #[serde(rename = "KohdeId", skip_serializing_if = "Option::is_none")]
    pub object_id: Option<u64>,
}

/// A party as `POST osapuolitiedot/osapuolet/hae` answers it (`ApiOsapuoliResponseModel`,
/// vendor (help page)): no first or last name, no contact details, no archive date (only
/// parties not archived are returned at all).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PartySummary {
    /// `Id`.
    #[serde(rename = "Id", deserialize_with = "wire::id")]
    pub id: u64,
    /// `Nimi`.
    #[serde(
        rename = "Nimi",
        default,
        deserialize_with = "wire::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// `Osapuolityyppi`.
    #[serde(rename = "Osapuolityyppi", default)]
    pub kind: Option<PartyKind>,
    /// `Turvakielto`.
    #[serde(rename = "Turvakielto", default, deserialize_with = "wire::opt_flag")]
    pub non_disclosure: Option<bool>,
}

/// Body of `POST osapuolitiedot/osapuolet/hae` (vendor (help page)).
#[derive(Debug, Clone, Serialize)]
pub struct PartiesQuery {
    /// `OsapuoliIdt` (required).
    #[serde(rename = "OsapuoliIdt")]
    pub ids: Vec<u64>,
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
