//! The fault-report lifecycle: create (with base64 attachments), the state transitions and
//! follow-ups. Each change returns the webhook notifications it causes.

use base64::Engine as _;
use chrono::Datelike;

use super::bodies::{NewReport, StepBody};
use super::{Action, Change, REPORT_BASE, World, WorldError};
use crate::data::tags;
use crate::model::{Extra, ObjectKind, Role};
use crate::report::{
    Attachment, FaultReport, ReportState, StateChange, Topic, Transition, WorkAction,
};
use crate::time::Timestamp;

const MAX_TEXT: usize = 4000;

fn invalid(msg: impl Into<String>) -> WorldError {
    WorldError::Invalid(msg.into())
}

fn not_found(id: i64) -> WorldError {
    WorldError::NotFound(format!("Ilmoitusta {id} ei löydy"))
}

/// A present, non-blank text trimmed, or `None`.
fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn report_change(action: Action, report: &FaultReport) -> Change {
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
        let cost_centre = object.kustannuspaikka_id;
        for party in [body.ilmoittaja_id, body.tyonsuorittaja_id]
            .into_iter()
            .flatten()
        {
            if self.parties.get(party).is_none() {
                return Err(invalid(format!("Osapuolta {party} ei löydy")));
            }
        }
        let tyonsuorittaja_id = body
            .tyonsuorittaja_id
            .or(parent.and_then(|p| p.tyonsuorittaja_id))
            .or_else(|| self.cost_centre_party(cost_centre, Role::Huoltoyhtio));
        let mut liitteet = Vec::new();
        for (i, a) in body.liitteet.unwrap_or_default().into_iter().enumerate() {
            let name = text(a.tiedostonimi)
                .ok_or_else(|| invalid(format!("Liitteet[{i}].Tiedostonimi puuttuu")))?;
            let content = a
                .sisalto
                .ok_or_else(|| invalid(format!("Liitteet[{i}].Sisalto puuttuu")))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content.trim())
                .map_err(|e| invalid(format!("Liitteet[{i}].Sisalto ei ole base64: {e}")))?;
            let id = self.attachment_id();
            liitteet.push(Attachment {
                id,
                tiedostonimi: name,
                tyyppi: text(a.tyyppi).unwrap_or_else(|| "application/octet-stream".to_owned()),
                koko: bytes.len() as u64,
                content: bytes,
                extra: Extra::stamped(tags::ATTACHMENT, id, now),
            });
        }
        let id = self.reports.next_id();
        let report = FaultReport {
            id,
            ilmoitusnumero: format!("{}-{:06}", now.year(), id - REPORT_BASE),
            otsikko,
            kuvaus: text(body.kuvaus),
            aihe,
            kohde_id,
            kustannuspaikka_id: cost_centre,
            tila: ReportState::Avoin,
            tilahistoria: vec![StateChange {
                tila: ReportState::Avoin,
                aika: now,
                selite: None,
                extra: Extra::stamped(tags::HISTORY, id, now),
            }],
            sijainti: text(body.sijainti),
            sisaanpaasy: body.sisaanpaasy.unwrap_or(false),
            kotielaimet: text(body.kotielaimet),
            ilmoittaja_id: body.ilmoittaja_id,
            ilmoittajan_nimi: text(body.ilmoittajan_nimi),
            ilmoittajan_puhelin: text(body.ilmoittajan_puhelin),
            ilmoittajan_sahkoposti: text(body.ilmoittajan_sahkoposti),
            lisatiedot: text(body.lisatiedot),
            tyonsuorittaja_id,
            yla_ilmoitus_id: parent.map(|p| p.id),
            kasitelty: false,
            ulkoinen_tunniste: body.ulkoinen_tunniste.filter(|u| !u.is_empty()),
            luotu: now,
            muokattu: now,
            toimenpiteet: Vec::new(),
            liitteet,
            extra: Extra::stamped(tags::REPORT, id, now),
        };
        self.reports.insert_with(|_| report.clone());
        Ok((
            report.clone(),
            vec![report_change(Action::IlmoitusUusi, &report)],
        ))
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
