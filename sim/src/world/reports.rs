//! The fault-report lifecycle: create (with base64 attachments), the state transitions and
//! follow-ups. Each change returns the webhook notifications it causes.

use base64::Engine as _;
use chrono::Datelike;

use super::bodies::{NewReport, StepBody};
use super::{Action, Change, REPORT_BASE, World, WorldError};
use crate::data::tags;
use crate::model::{Extra, ObjectKind, Role};
use crate::report::{
    Attachment, FaultReport, ReportDetails, ReportState, StateChange, Topic, Transition, WorkAction,
};
use crate::time::Timestamp;

const MAX_TEXT: usize = 4000;

pub(crate) fn invalid(msg: impl Into<String>) -> WorldError {
    WorldError::Invalid(msg.into())
}

fn not_found(id: i64) -> WorldError {
    WorldError::NotFound(format!("Ilmoitusta {id} ei löydy"))
}

/// A present, non-blank text trimmed, or `None`.
pub(crate) fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Standard base64 content of attachment `i`, else 400.
pub(crate) fn decode(i: usize, field: &str, content: &str) -> Result<Vec<u8>, WorldError> {
    base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .map_err(|e| invalid(format!("Liitteet[{i}].{field} ei ole base64: {e}")))
}

/// An attachment of a new report, decoded.
pub(crate) struct NewFile {
    pub(crate) name: String,
    pub(crate) content_type: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) content: Vec<u8>,
}

/// A validated new report, before it gets its id.
pub(crate) struct Draft {
    pub(crate) otsikko: String,
    pub(crate) kuvaus: Option<String>,
    pub(crate) aihe: Topic,
    pub(crate) kohde_id: i64,
    pub(crate) kustannuspaikka_id: i64,
    pub(crate) sijainti: Option<String>,
    pub(crate) sisaanpaasy: bool,
    pub(crate) kotielaimet: Option<String>,
    pub(crate) ilmoittaja_id: Option<i64>,
    pub(crate) ilmoittajan_nimi: Option<String>,
    pub(crate) ilmoittajan_puhelin: Option<String>,
    pub(crate) ilmoittajan_sahkoposti: Option<String>,
    pub(crate) lisatiedot: Option<String>,
    pub(crate) tyonsuorittaja_id: Option<i64>,
    pub(crate) yla_ilmoitus_id: Option<i64>,
    pub(crate) ulkoinen_tunniste: Option<String>,
    pub(crate) files: Vec<NewFile>,
    pub(crate) details: ReportDetails,
}

pub(crate) fn report_change(action: Action, report: &FaultReport) -> Change {
    Change {
        data: Some(report.kohde_id),
        ..Change::new(action, report.id)
    }
}

impl World {
    /// One fault report.
    pub fn report(&self, id: i64) -> Option<&FaultReport> {
        self.reports.get(id)
    }

    /// Create a report (a follow-up of `parent` when given), state `Avoin`.
    pub fn create_report(
        &mut self,
        body: NewReport,
        parent: Option<&FaultReport>,
        now: Timestamp,
    ) -> Result<(FaultReport, Vec<Change>), WorldError> {
        let otsikko = text(body.otsikko).ok_or_else(|| invalid("Otsikko puuttuu"))?;
        let too_long = [&Some(otsikko.clone()), &body.kuvaus, &body.lisatiedot]
            .into_iter()
            .flatten()
            .any(|s| s.chars().count() > MAX_TEXT);
        if too_long {
            return Err(invalid("Teksti on liian pitkä"));
        }
        let kohde_id = body
            .kohde_id
            .or(parent.map(|p| p.kohde_id))
            .ok_or_else(|| invalid("KohdeId puuttuu"))?;
        let object = self
            .objects
            .get(kohde_id)
            .ok_or_else(|| invalid(format!("Kohdetta {kohde_id} ei löydy")))?;
        let aihe = match text(body.aihe) {
            Some(a) => Topic::parse(&a).ok_or_else(|| invalid(format!("Tuntematon Aihe: {a}")))?,
            None => match (parent, object.kohde_metatyyppi) {
                (Some(p), _) => p.aihe,
                (None, ObjectKind::Huoneisto) => Topic::Huoneisto,
                (None, _) => Topic::YleisetTilat,
            },
        };
        let is_apartment = object.kohde_metatyyppi == ObjectKind::Huoneisto;
        let cost_centre = object.kustannuspaikka_id;
        self.known_parties(&[body.ilmoittaja_id, body.tyonsuorittaja_id])?;
        let mut files = Vec::new();
        for (i, a) in body.liitteet.unwrap_or_default().into_iter().enumerate() {
            let name = text(a.tiedostonimi)
                .ok_or_else(|| invalid(format!("Liitteet[{i}].Tiedostonimi puuttuu")))?;
            let content = a
                .sisalto
                .ok_or_else(|| invalid(format!("Liitteet[{i}].Sisalto puuttuu")))?;
            files.push(NewFile {
                name,
                content_type: text(a.tyyppi),
                description: None,
                content: decode(i, "Sisalto", &content)?,
            });
        }
        let draft = Draft {
            otsikko,
            kuvaus: text(body.kuvaus),
            aihe,
            kohde_id,
            kustannuspaikka_id: cost_centre,
            sijainti: text(body.sijainti),
            sisaanpaasy: body.sisaanpaasy.unwrap_or(false),
            kotielaimet: text(body.kotielaimet),
            ilmoittaja_id: body.ilmoittaja_id,
            ilmoittajan_nimi: text(body.ilmoittajan_nimi),
            ilmoittajan_puhelin: text(body.ilmoittajan_puhelin),
            ilmoittajan_sahkoposti: text(body.ilmoittajan_sahkoposti),
            lisatiedot: text(body.lisatiedot),
            tyonsuorittaja_id: body
                .tyonsuorittaja_id
                .or(parent.and_then(|p| p.tyonsuorittaja_id)),
            yla_ilmoitus_id: parent.map(|p| p.id),
            ulkoinen_tunniste: body.ulkoinen_tunniste.filter(|u| !u.is_empty()),
            files,
            details: ReportDetails {
                tila_id: is_apartment.then_some(kohde_id),
                ..ReportDetails::default()
            },
        };
        let report = self.insert_draft(draft, now);
        Ok((
            report.clone(),
            vec![report_change(Action::IlmoitusUusi, &report)],
        ))
    }

    /// 400 unless every given party exists.
    pub(crate) fn known_parties(&self, ids: &[Option<i64>]) -> Result<(), WorldError> {
        for party in ids.iter().flatten() {
            if self.parties.get(*party).is_none() {
                return Err(invalid(format!("Osapuolta {party} ei löydy")));
            }
        }
        Ok(())
    }

    /// Store a validated report, state `Avoin`; the assignee defaults to the cost centre's
    /// maintenance company.
    pub(crate) fn insert_draft(&mut self, draft: Draft, now: Timestamp) -> FaultReport {
        let tyonsuorittaja_id = draft
            .tyonsuorittaja_id
            .or_else(|| self.cost_centre_party(draft.kustannuspaikka_id, Role::Huoltoyhtio));
        let mut liitteet = Vec::new();
        for file in draft.files {
            let id = self.attachment_id();
            liitteet.push(Attachment {
                id,
                tiedostonimi: file.name,
                tyyppi: file
                    .content_type
                    .unwrap_or_else(|| "application/octet-stream".to_owned()),
                koko: file.content.len() as u64,
                kuvaus: file.description,
                content: file.content,
                extra: Extra::stamped(tags::ATTACHMENT, id, now),
            });
        }
        let id = self.reports.next_id();
        let report = FaultReport {
            id,
            ilmoitusnumero: format!("{}-{:06}", now.year(), id - REPORT_BASE),
            otsikko: draft.otsikko,
            kuvaus: draft.kuvaus,
            aihe: draft.aihe,
            kohde_id: draft.kohde_id,
            kustannuspaikka_id: draft.kustannuspaikka_id,
            tila: ReportState::Avoin,
            tilahistoria: vec![StateChange {
                tila: ReportState::Avoin,
                aika: now,
                selite: None,
                extra: Extra::stamped(tags::HISTORY, id, now),
            }],
            sijainti: draft.sijainti,
            sisaanpaasy: draft.sisaanpaasy,
            kotielaimet: draft.kotielaimet,
            ilmoittaja_id: draft.ilmoittaja_id,
            ilmoittajan_nimi: draft.ilmoittajan_nimi,
            ilmoittajan_puhelin: draft.ilmoittajan_puhelin,
            ilmoittajan_sahkoposti: draft.ilmoittajan_sahkoposti,
            lisatiedot: draft.lisatiedot,
            tyonsuorittaja_id,
            yla_ilmoitus_id: draft.yla_ilmoitus_id,
            kasitelty: false,
            ulkoinen_tunniste: draft.ulkoinen_tunniste,
            luotu: now,
            muokattu: now,
            toimenpiteet: Vec::new(),
            liitteet,
            details: draft.details,
            extra: Extra::stamped(tags::REPORT, id, now),
        };
        self.reports.insert_with(|_| report.clone());
        report
    }

    /// Move a report through the lifecycle.
    pub fn transition(
        &mut self,
        id: i64,
        step: Transition,
        body: StepBody,
        now: Timestamp,
    ) -> Result<(FaultReport, Vec<Change>), WorldError> {
        let syy = text(body.syy);
        if step == Transition::Wait && syy.is_none() {
            return Err(invalid("Syy puuttuu"));
        }
        let from = self.reports.get(id).ok_or_else(|| not_found(id))?.tila;
        if !step.allowed_from(from) {
            return Err(WorldError::Conflict(format!(
                "Ilmoitus {id} on tilassa {}: siirto tilaan {} ei ole sallittu",
                from.as_str(),
                step.target().as_str()
            )));
        }
        if step == Transition::Complete {
            let open = self
                .reports
                .iter()
                .find(|r| r.yla_ilmoitus_id == Some(id) && !r.tila.is_finished());
            if let Some(child) = open {
                return Err(WorldError::Conflict(format!(
                    "Jatkoilmoitus {} on kesken ({})",
                    child.id,
                    child.tila.as_str()
                )));
            }
        }
        let yhteenveto = text(body.yhteenveto);
        let selite = match step {
            Transition::Wait => syy,
            Transition::Done => yhteenveto.clone(),
            _ => None,
        };
        let report = self.reports.get_mut(id).ok_or_else(|| not_found(id))?;
        let target = step.target();
        report.tila = target;
        report.muokattu = now;
        let n = report.tilahistoria.len() as i64;
        report.tilahistoria.push(StateChange {
            tila: target,
            aika: now,
            selite,
            extra: Extra::stamped(tags::HISTORY, id * 16 + n, now),
        });
        if step == Transition::Done {
            let n = report.toimenpiteet.len() as i64;
            report.toimenpiteet.push(WorkAction {
                pvm: body.pvm.unwrap_or(now.date_naive()),
                resurssi: text(body.resurssi).unwrap_or_else(|| "Huoltomies".to_owned()),
                yhteenveto,
                extra: Extra::stamped(tags::ACTION, id * 16 + n, now),
            });
        }
        let report = report.clone();
        Ok((
            report.clone(),
            vec![report_change(Action::IlmoitusTilamuutos, &report)],
        ))
    }

    /// Create a follow-up of report `id`; the original becomes handled (`Kasitelty`).
    pub fn follow_up(
        &mut self,
        id: i64,
        body: NewReport,
        now: Timestamp,
    ) -> Result<(FaultReport, Vec<Change>), WorldError> {
        let parent = self.reports.get(id).ok_or_else(|| not_found(id))?.clone();
        if matches!(parent.tila, ReportState::Avoin | ReportState::Valmis) {
            return Err(WorldError::Conflict(format!(
                "Ilmoitukselle tilassa {} ei voi tehdä jatkoilmoitusta",
                parent.tila.as_str()
            )));
        }
        let (child, mut changes) = self.create_report(body, Some(&parent), now)?;
        if let Some(p) = self.reports.get_mut(id) {
            p.kasitelty = true;
            p.muokattu = now;
            changes.push(report_change(Action::IlmoitusMuokkaa, p));
        }
        Ok((child, changes))
    }
}
