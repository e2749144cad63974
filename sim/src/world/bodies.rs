//! Request bodies of the routes that change data: fault reports (create, transitions) and
//! the admin changes. Every field is optional at the serde level so that a missing field is
//! a clear 400 from validation, not a serde error.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};

use crate::model::Role;
use crate::time::Timestamp;

/// Body of `POST ilmoitukset/base64` and `POST ilmoitukset/{id}/jatkoilmoitus`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewReport {
    /// Title (required).
    pub otsikko: Option<String>,
    /// Description.
    pub kuvaus: Option<String>,
    /// `Huoneisto`, `YleisetTilat` or `Ulkoalueet`.
    pub aihe: Option<String>,
    /// The object (required; a follow-up defaults to the original's).
    pub kohde_id: Option<i64>,
    /// Where exactly.
    pub sijainti: Option<String>,
    /// The worker may enter with a master key.
    pub sisaanpaasy: Option<bool>,
    /// Pets.
    pub kotielaimet: Option<String>,
    /// The reporting party.
    pub ilmoittaja_id: Option<i64>,
    /// Reporter's name.
    pub ilmoittajan_nimi: Option<String>,
    /// Reporter's phone.
    pub ilmoittajan_puhelin: Option<String>,
    /// Reporter's email.
    pub ilmoittajan_sahkoposti: Option<String>,
    /// Extra information.
    pub lisatiedot: Option<String>,
    /// The assignee (default: the maintenance company).
    pub tyonsuorittaja_id: Option<i64>,
    /// The caller's correlation id.
    pub ulkoinen_tunniste: Option<String>,
    /// Attachments.
    pub liitteet: Option<Vec<NewAttachment>>,
}

/// An attachment in a create body: the content base64-encoded.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewAttachment {
    /// File name (required).
    pub tiedostonimi: Option<String>,
    /// MIME type.
    pub tyyppi: Option<String>,
    /// Content, standard base64 (required).
    pub sisalto: Option<String>,
}

/// Body of the transition routes (each uses the fields it needs).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepBody {
    /// Why the report waits (required by `odotukseen`).
    pub syy: Option<String>,
    /// Summary of the work done.
    pub yhteenveto: Option<String>,
    /// Who did the work (default `Huoltomies`).
    pub resurssi: Option<String>,
    /// Date of the work (default today).
    pub pvm: Option<NaiveDate>,
    /// Notify the parties (accepted, no effect).
    pub ilmoita_osallisille: Option<bool>,
}

/// `Some(None)` for an explicit `null`, `None` for an absent field.
fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Body of `POST /_sim/accounts/{account}/announcements`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewAnnouncement {
    /// The object (required).
    pub kohde_id: Option<i64>,
    /// Title.
    pub otsikko: Option<String>,
    /// Body text.
    pub sisalto: Option<String>,
    /// Valid from (default now).
    pub voimassa_alkaen: Option<Timestamp>,
    /// Valid until (`null` = no end).
    pub voimassa_asti: Option<Timestamp>,
}

/// Body of `PATCH /_sim/accounts/{account}/announcements/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnnouncementPatch {
    /// Title.
    pub otsikko: Option<String>,
    /// Body text.
    pub sisalto: Option<String>,
    /// Valid until (`null` = no end).
    #[serde(default, deserialize_with = "nullable")]
    pub voimassa_asti: Option<Option<Timestamp>>,
}

/// Body of `PATCH /_sim/accounts/{account}/parties/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartyPatch {
    /// Last name.
    pub sukunimi: Option<String>,
    /// First name.
    pub etunimi: Option<String>,
    /// Non-disclosure.
    pub turvakielto: Option<bool>,
    /// Mobile phone (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub matkapuhelin: Option<Option<String>>,
    /// Archived at (`null` = active).
    #[serde(default, deserialize_with = "nullable")]
    pub arkistoitu: Option<Option<Timestamp>>,
}

/// Body of `PATCH /_sim/accounts/{account}/connections/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionPatch {
    /// Start (move-in) date.
    pub alkaa: Option<NaiveDate>,
    /// End (move-out) date (`null` clears).
    #[serde(default, deserialize_with = "nullable")]
    pub paattyy: Option<Option<NaiveDate>>,
    /// Leave off the stairwell display.
    pub piilota_porrasnaytolta: Option<bool>,
}

/// Body of `POST /_sim/accounts/{account}/connections`: a new resident.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewResident {
    /// The object (required).
    pub kohde_id: Option<i64>,
    /// An existing party to connect (a second home); then the name and contact fields are
    /// ignored and no party is created.
    pub osapuoli_id: Option<i64>,
    /// First name (required for a new party).
    pub etunimi: Option<String>,
    /// Last name (required for a new party).
    pub sukunimi: Option<String>,
    /// Start (move-in) date (required).
    pub alkaa: Option<NaiveDate>,
    /// End (move-out) date, if known.
    pub paattyy: Option<NaiveDate>,
    /// Non-disclosure.
    pub turvakielto: Option<bool>,
    /// Leave off the stairwell display.
    pub piilota_porrasnaytolta: Option<bool>,
    /// Mobile phone.
    pub matkapuhelin: Option<String>,
    /// Email.
    pub sahkoposti: Option<String>,
    /// Role (default `Asukas`).
    pub rooli: Option<Role>,
}
