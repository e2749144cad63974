//! `POST ilmoitukset/lisaa`: a fault report created with the help page's model
//! (`ApiIlmoitusRequestModel`), validated by its documented limits.

use serde::Deserialize;

use super::reports::{Draft, NewFile, decode, invalid, report_change, text};
use super::{Action, Change, World, WorldError};
use crate::model::{ObjectKind, Party};
use crate::report::{ENTRY_ALLOWED, FaultReport, ReportContact, ReportDetails, Topic};
use crate::time::Timestamp;

/// `Otsikko` and the pick-list values: at most this many characters (help page).
const MAX_SHORT: usize = 255;
/// `TyotehtavanKuvaus`: at most this many characters (help page).
const MAX_DESCRIPTION: usize = 8000;
/// `TyotehtavanLisatiedot`: at most this many characters (help page).
const MAX_EXTRA: usize = 20_000;

/// Body of `POST ilmoitukset/lisaa` (`ApiIlmoitusRequestModel`). Fields the simulator does
/// not use (`TarkastusId`, `Yksityinen`, execution times, products, ...) are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportRequest {
    /// The main report of a follow-up.
    pub parent_id: Option<i64>,
    /// The reporter.
    pub ilmoittaja: Option<ContactRequest>,
    /// Who orders the work.
    pub tilaaja: Option<ContactRequest>,
    /// Who pays.
    pub maksaja: Option<ContactRequest>,
    /// The assignee (default: the cost centre's maintenance company).
    pub tyonsuorittaja_id: Option<i64>,
    /// Entry permission, a pick-list value.
    pub sisaanpaasy: Option<String>,
    /// Urgency, a pick-list value.
    pub kiireellisyys: Option<String>,
    /// Fault class, a pick-list value.
    pub vikaluokka: Option<String>,
    /// Pets, a pick-list value.
    pub kotielaimet: Option<String>,
    /// The cost centre (required).
    pub kustannuspaikka_id: Option<i64>,
    /// The space (apartment, sauna) the report concerns.
    pub tila_id: Option<i64>,
    /// The room.
    pub huone_id: Option<i64>,
    /// Title (required).
    pub otsikko: Option<String>,
    /// Description of the work (required).
    pub tyotehtavan_kuvaus: Option<String>,
    /// Extra information.
    pub tyotehtavan_lisatiedot: Option<String>,
    /// A caller's correlation id: not in the help model; kept only by accounts that
    /// support it.
    pub ulkoinen_tunniste: Option<String>,
    /// Attachments in the help's shared file model.
    pub liitteet: Option<Vec<FileRequest>>,
}

/// A party in a create body (`ApiIlmoitusOsapuoliRequest`; its fields are assumed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactRequest {
    /// The party, if it is one of the registry's.
    pub osapuoli_id: Option<i64>,
    /// Name.
    pub nimi: Option<String>,
    /// Phone.
    pub puhelin: Option<String>,
    /// Email.
    pub sahkoposti: Option<String>,
}

/// A file in the help's shared model (`ApiFileBase64Container`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileRequest {
    /// File name (required).
    pub file_name: Option<String>,
    /// MIME type.
    pub content_type: Option<String>,
    /// What the file shows.
    pub description: Option<String>,
    /// The content, standard base64 (required).
    pub base64_content: Option<String>,
}

/// A text no longer than `max` characters.
fn limited(value: Option<String>, field: &str, max: usize) -> Result<Option<String>, WorldError> {
    let value = text(value);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(invalid(format!("{field} on yli {max} merkkiä")));
    }
    Ok(value)
}

/// A party in a report, its missing details filled from the registry.
fn contact(c: ContactRequest, party: Option<&Party>) -> ReportContact {
    let name = party.map(|p| match (&p.etunimi, &p.sukunimi) {
        (Some(first), Some(last)) => format!("{first} {last}"),
        _ => p.nimi.clone(),
    });
    ReportContact {
        osapuoli_id: c.osapuoli_id,
        nimi: text(c.nimi).or(name),
        puhelin: text(c.puhelin).or_else(|| party.and_then(|p| p.matkapuhelin.clone())),
        sahkoposti: text(c.sahkoposti).or_else(|| party.and_then(|p| p.sahkoposti.clone())),
    }
}

impl World {
    /// Create a report from the help's model, state `Avoin`.
    pub fn add_report(
        &mut self,
        body: ReportRequest,
        now: Timestamp,
    ) -> Result<(FaultReport, Vec<Change>), WorldError> {
        let otsikko = limited(body.otsikko, "Otsikko", MAX_SHORT)?
            .ok_or_else(|| invalid("Otsikko puuttuu"))?;
        let kuvaus = limited(
            body.tyotehtavan_kuvaus,
            "TyotehtavanKuvaus",
            MAX_DESCRIPTION,
        )?
        .ok_or_else(|| invalid("TyotehtavanKuvaus puuttuu"))?;
        let lisatiedot = limited(
            body.tyotehtavan_lisatiedot,
            "TyotehtavanLisatiedot",
            MAX_EXTRA,
        )?;
        let sisaanpaasy = limited(body.sisaanpaasy, "Sisaanpaasy", MAX_SHORT)?;
        let kotielaimet = limited(body.kotielaimet, "Kotielaimet", MAX_SHORT)?;
        let kiireellisyys = limited(body.kiireellisyys, "Kiireellisyys", MAX_SHORT)?;
        let vikaluokka = limited(body.vikaluokka, "Vikaluokka", MAX_SHORT)?;
        let cost_centre = body
            .kustannuspaikka_id
            .ok_or_else(|| invalid("KustannuspaikkaId puuttuu"))?;
        let is_cost_centre = self
            .objects
            .get(cost_centre)
            .is_some_and(|o| o.kohde_metatyyppi == ObjectKind::Kustannuspaikka);
        if !is_cost_centre {
            return Err(invalid(format!("Kustannuspaikkaa {cost_centre} ei löydy")));
        }
        let kohde_id = match body.tila_id {
            Some(tila) if self.is_within(cost_centre, tila) => tila,
            Some(tila) => {
                return Err(invalid(format!(
                    "Tilaa {tila} ei löydy kustannuspaikalta {cost_centre}"
                )));
            }
            None => cost_centre,
        };
        if let Some(parent) = body.parent_id
            && self.reports.get(parent).is_none()
        {
            return Err(invalid(format!("Pääilmoitusta {parent} ei löydy")));
        }
        let party_of = |c: &Option<ContactRequest>| c.as_ref().and_then(|c| c.osapuoli_id);
        let reporter_id = party_of(&body.ilmoittaja);
        self.known_parties(&[
            reporter_id,
            party_of(&body.tilaaja),
            party_of(&body.maksaja),
            body.tyonsuorittaja_id,
        ])?;
        let mut files = Vec::new();
        for (i, f) in body.liitteet.unwrap_or_default().into_iter().enumerate() {
            let name = text(f.file_name)
                .ok_or_else(|| invalid(format!("Liitteet[{i}].FileName puuttuu")))?;
            let content = f
                .base64_content
                .ok_or_else(|| invalid(format!("Liitteet[{i}].Base64Content puuttuu")))?;
            files.push(NewFile {
                name,
                content_type: text(f.content_type),
                description: text(f.description),
                content: decode(i, "Base64Content", &content)?,
            });
        }
        let reporter = body
            .ilmoittaja
            .map(|c| contact(c, reporter_id.and_then(|id| self.parties.get(id))));
        let with_party = |c: Option<ContactRequest>| {
            c.map(|c| {
                let party = c.osapuoli_id.and_then(|id| self.parties.get(id));
                contact(c, party)
            })
        };
        let tilaaja = with_party(body.tilaaja);
        let maksaja = with_party(body.maksaja);
        let is_apartment = self
            .objects
            .get(kohde_id)
            .is_some_and(|o| o.kohde_metatyyppi == ObjectKind::Huoneisto);
        let draft = Draft {
            otsikko,
            kuvaus: Some(kuvaus),
            aihe: if is_apartment {
                Topic::Huoneisto
            } else {
                Topic::YleisetTilat
            },
            kohde_id,
            kustannuspaikka_id: cost_centre,
            sijainti: None,
            sisaanpaasy: sisaanpaasy
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case(ENTRY_ALLOWED)),
            kotielaimet,
            ilmoittaja_id: reporter_id,
            ilmoittajan_nimi: reporter.as_ref().and_then(|r| r.nimi.clone()),
            ilmoittajan_puhelin: reporter.as_ref().and_then(|r| r.puhelin.clone()),
            ilmoittajan_sahkoposti: reporter.as_ref().and_then(|r| r.sahkoposti.clone()),
            lisatiedot,
            tyonsuorittaja_id: body.tyonsuorittaja_id,
            yla_ilmoitus_id: body.parent_id,
            ulkoinen_tunniste: body.ulkoinen_tunniste.filter(|u| !u.is_empty()),
            files,
            details: ReportDetails {
                tila_id: body.tila_id,
                huone_id: body.huone_id,
                kiireellisyys,
                vikaluokka,
                tilaaja,
                maksaja,
                sisaanpaasy_valinta: sisaanpaasy,
            },
        };
        let report = self.insert_draft(draft, now);
        let change = report_change(Action::IlmoitusUusi, &report);
        Ok((report, vec![change]))
    }
}
