//! The Tampuuri wire types of the object and party registries and of announcements, as
//! `sim/README.md` documents them. Field names are Tampuuri's own (Finnish, PascalCase on
//! the wire); type names say what a thing is, in English.
//!
//! Every object carries [`Extra`]: fields no reader knows, flattened into the JSON, so that
//! every client of the simulator learns to ignore what it does not understand.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Fields that no reader knows about (Tampuuri adds fields at any time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Extra {
    /// When the row last changed inside Tampuuri.
    pub muutettu: Timestamp,
    /// An internal code, e.g. `X-17`.
    pub sisainen_koodi: String,
    /// A nested object of unknown meaning.
    pub laajennus: ExtensionBlock,
}

/// The nested part of [`Extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExtensionBlock {
    /// A schema version.
    pub versio: u32,
    /// Flags of unknown meaning.
    pub liput: Vec<String>,
}

/// The level of an object in the registry tree (`KohdeMetatyyppi`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// A cost centre: a housing company, the root of a property.
    Kustannuspaikka,
    /// A building.
    Rakennus,
    /// A staircase.
    Porras,
    /// An apartment.
    Huoneisto,
}

impl ObjectKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kustannuspaikka => "Kustannuspaikka",
            Self::Rakennus => "Rakennus",
            Self::Porras => "Porras",
            Self::Huoneisto => "Huoneisto",
        }
    }
}

/// One object of the registry (`kohde`): cost centre, building, staircase or apartment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistryObject {
    /// Object id.
    pub id: i64,
    /// Level in the tree.
    pub kohde_metatyyppi: ObjectKind,
    /// Display name: `As Oy Koivukuja 3`, `Rakennus 1`, `Porras A`, `A 12`.
    pub nimi: String,
    /// Short code: `1001`, `1`, `A`, `A 12`.
    pub tunnus: String,
    /// The parent object; `None` for a cost centre.
    pub yla_kohde_id: Option<i64>,
    /// The cost centre this object belongs to (itself for a cost centre).
    pub kustannuspaikka_id: i64,
    /// Street address.
    pub katuosoite: String,
    /// Postcode.
    pub postinumero: String,
    /// Post town.
    pub postitoimipaikka: String,
    /// Staircase letter (staircases and apartments).
    pub porras: Option<String>,
    /// Floor (apartments).
    pub kerros: Option<i32>,
    /// Apartment number (apartments).
    pub huoneistonumero: Option<i32>,
    /// Object state; 1 = active.
    pub tila: i32,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Person or company (`Osapuolityyppi`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyKind {
    /// A natural person.
    Henkilo,
    /// A company.
    Yritys,
}

/// How a party has identified itself (`Tunnistautuminen`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Identification {
    /// Method, e.g. `Pankkitunnus`.
    pub tyyppi: String,
    /// Whether the identification succeeded.
    pub tunnistettu: bool,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A party (`osapuoli`): a person or a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Party {
    /// Party id.
    pub id: i64,
    /// Business id (companies).
    pub yritys_id: Option<String>,
    /// Person or company.
    pub osapuolityyppi: PartyKind,
    /// Full name, `Sukunimi Etunimi` for persons.
    pub nimi: String,
    /// First name (persons).
    pub etunimi: Option<String>,
    /// Last name (persons).
    pub sukunimi: Option<String>,
    /// Street address.
    pub katuosoite: String,
    /// Postcode.
    pub postinumero: String,
    /// Post town.
    pub postitoimipaikka: String,
    /// Landline.
    pub puhelin: Option<String>,
    /// Mobile phone.
    pub matkapuhelin: Option<String>,
    /// Email.
    pub sahkoposti: Option<String>,
    /// A customer code.
    pub tunnus: Option<String>,
    /// Non-disclosure for personal safety: never show this person to anyone else.
    pub turvakielto: bool,
    /// Strong identification, if any.
    pub tunnistautuminen: Option<Identification>,
    /// When the party was archived; `None` while active.
    pub arkistoitu: Option<Timestamp>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The role of a party on an object (`Rooli`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Resident (on apartments).
    Asukas,
    /// Owner (on apartments).
    Omistaja,
    /// Property manager (on the cost centre).
    Isannoitsija,
    /// Maintenance company (on the cost centre).
    Huoltoyhtio,
    /// Chair of the board (on the cost centre).
    HallituksenPuheenjohtaja,
}

impl Role {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asukas => "Asukas",
            Self::Omistaja => "Omistaja",
            Self::Isannoitsija => "Isannoitsija",
            Self::Huoltoyhtio => "Huoltoyhtio",
            Self::HallituksenPuheenjohtaja => "HallituksenPuheenjohtaja",
        }
    }
}

/// A connection of a party to an object in a role, as stored. On the wire it embeds the
/// party instead of `OsapuoliId` (see [`ConnectionView`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Connection {
    /// Connection id.
    pub id: i64,
    /// The object.
    pub kohde_id: i64,
    /// The party.
    pub osapuoli_id: i64,
    /// The role.
    pub rooli: Role,
    /// Start (move-in) date.
    pub alkaa: NaiveDate,
    /// End (move-out) date, if any.
    pub paattyy: Option<NaiveDate>,
    /// The resident asked to be left off the stairwell display.
    pub piilota_porrasnaytolta: bool,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Connection {
    /// Whether the connection is in force on `day` (started, not yet ended).
    pub fn is_current(&self, day: NaiveDate) -> bool {
        self.alkaa <= day && self.paattyy.is_none_or(|end| end >= day)
    }
}

/// A connection as `POST osapuolet/yhteydet/selaa` returns it: the party embedded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionView<'a> {
    /// Connection id.
    pub id: i64,
    /// The object.
    pub kohde_id: i64,
    /// The role.
    pub rooli: Role,
    /// Start date.
    pub alkaa: NaiveDate,
    /// End date.
    pub paattyy: Option<NaiveDate>,
    /// Left off the stairwell display.
    pub piilota_porrasnaytolta: bool,
    /// The party.
    pub osapuoli: &'a Party,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: &'a Extra,
}

impl<'a> ConnectionView<'a> {
    /// The wire form of `connection` with its `party`.
    pub fn new(connection: &'a Connection, party: &'a Party) -> Self {
        Self {
            id: connection.id,
            kohde_id: connection.kohde_id,
            rooli: connection.rooli,
            alkaa: connection.alkaa,
            paattyy: connection.paattyy,
            piilota_porrasnaytolta: connection.piilota_porrasnaytolta,
            osapuoli: party,
            extra: &connection.extra,
        }
    }
}

/// An announcement (`uutinen`) on an object; it shows on the object's descendants too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Announcement {
    /// Announcement id.
    pub id: i64,
    /// The object it is attached to.
    pub kohde_id: i64,
    /// Title.
    pub otsikko: String,
    /// Body text.
    pub sisalto: String,
    /// Publication time.
    pub julkaistu: Timestamp,
    /// Valid from.
    pub voimassa_alkaen: Timestamp,
    /// Valid until; `None` = no end.
    pub voimassa_asti: Option<Timestamp>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Flags that may appear in [`ExtensionBlock::liput`].
const FLAGS: [&str; 4] = ["SYNC", "LEGACY", "AUDIT", "V9"];

impl Extra {
    /// Extra fields for a row of kind `tag` with id `id`, last changed at `muutettu`.
    /// Everything but the time derives from the id, so the same row always gets the same
    /// extras.
    pub fn stamped(tag: u64, id: i64, muutettu: Timestamp) -> Self {
        let h = crate::data::rng::hash(&[tag, id as u64]);
        let letter = char::from(b'A' + (h % 26) as u8);
        let liput = (0..(h >> 8) % 3)
            .map(|i| FLAGS[((h >> (16 + i * 4)) % 4) as usize].to_owned())
            .collect();
        Self {
            muutettu,
            sisainen_koodi: format!("{letter}-{}", (h >> 32) % 100),
            laajennus: ExtensionBlock {
                versio: 1 + ((h >> 40) % 4) as u32,
                liput,
            },
        }
    }
}
