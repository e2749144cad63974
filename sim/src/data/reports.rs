//! A property's fault reports, with state histories, actions, attachments and follow-ups.

use chrono::{Datelike, TimeDelta};

use super::property::PropertyCtx;
use super::rng::Rng;
use super::{Gen, names, tags};
use crate::report::{
    Attachment, FaultReport, ReportDetails, ReportState, StateChange, Topic, WorkAction,
};
use crate::world::REPORT_BASE;

use ReportState::*;

impl Gen {
    pub(crate) fn reports(&mut self, rng: &mut Rng, ctx: &PropertyCtx) {
        if ctx.apartments.is_empty() {
            return;
        }
        let states: Vec<ReportState> = if ctx.showcase {
            ReportState::ALL.to_vec()
        } else {
            (0..rng.count(2, 5))
                .map(|_| match rng.below(100) {
                    0..=24 => Avoin,
                    25..=44 => Vastaanotettu,
                    45..=59 => Odottaa,
                    60..=74 => Tehty,
                    _ => Valmis,
                })
                .collect()
        };
        for state in states {
            let parent = self.report(rng, ctx, state, None);
            let follow = if ctx.showcase {
                matches!(state, Tehty | Valmis)
            } else {
                state != Avoin && rng.chance(0.15)
            };
            if !follow {
                continue;
            }
            let child = match state {
                Valmis => *rng.pick(&[Tehty, Valmis]).unwrap_or(&Valmis),
                Tehty if ctx.showcase => Vastaanotettu,
                _ => *rng
                    .pick(&[Avoin, Vastaanotettu, Odottaa, Tehty])
                    .unwrap_or(&Avoin),
            };
            self.report(rng, ctx, child, Some(parent));
        }
    }

    fn report(
        &mut self,
        rng: &mut Rng,
        ctx: &PropertyCtx,
        state: ReportState,
        parent: Option<i64>,
    ) -> i64 {
        let parent = parent.and_then(|p| self.world.reports.get(p)).cloned();
        let topic = parent
            .as_ref()
            .map(|p| p.aihe)
            .unwrap_or_else(|| match rng.below(100) {
                0..=59 => Topic::Huoneisto,
                60..=84 => Topic::YleisetTilat,
                _ => Topic::Ulkoalueet,
            });
        let (apartment, kohde, fault) = self.place(rng, ctx, topic);
        let kohde = parent.as_ref().map(|p| p.kohde_id).unwrap_or(kohde);
        let reporter = match apartment.map(|a| &a.residents) {
            Some(r) if !r.is_empty() => rng.pick(r).copied(),
            _ if rng.chance(0.7) => {
                let all: Vec<i64> = ctx
                    .apartments
                    .iter()
                    .flat_map(|a| a.residents.iter().copied())
                    .collect();
                rng.pick(&all).copied()
            }
            _ => None,
        };
        let reporter = reporter.and_then(|p| self.world.parties.get(p)).cloned();
        let path = path(rng, state);
        let start = match &parent {
            Some(p) => p.tilahistoria.get(1).map_or(p.luotu, |h| h.aika) + TimeDelta::hours(2),
            None => {
                let days = if state == Avoin {
                    rng.range(1, 5)
                } else {
                    rng.range(path.len() as i64 + 2, 90)
                };
                self.at(-days, rng.range(7, 20) as u32, rng.range(0, 59) as u32)
            }
        };
        let span = (start.date_naive() - self.today).num_hours().abs().max(1);
        let id = self.world.reports.next_id();
        let mut when = start;
        let mut history = Vec::new();
        let mut actions = Vec::new();
        for (n, s) in path.iter().enumerate() {
            if n > 0 {
                let hours = if parent.is_some() {
                    rng.range(1, 4)
                } else {
                    rng.range(1, ((span - 24).max(1) / path.len() as i64).max(1))
                };
                when += TimeDelta::hours(hours);
            }
            let selite = match s {
                Odottaa => Some(rng.word(names::WAIT_REASONS).to_owned()),
                Tehty => Some(rng.word(names::WORK_SUMMARIES).to_owned()),
                _ => None,
            };
            if *s == Tehty {
                actions.push(WorkAction {
                    pvm: when.date_naive(),
                    resurssi: rng.word(names::RESOURCES).to_owned(),
                    yhteenveto: selite.clone(),
                    extra: self.extra(tags::ACTION, id * 16 + n as i64),
                });
            }
            history.push(StateChange {
                tila: *s,
                aika: when,
                selite,
                extra: self.extra(tags::HISTORY, id * 16 + n as i64),
            });
        }
        let mut attachments = Vec::new();
        if rng.chance(0.2) {
            let aid = self.world.attachment_id();
            attachments.push(Attachment {
                id: aid,
                tiedostonimi: format!("IMG_{}.jpg", rng.digits(4)),
                tyyppi: "image/jpeg".to_owned(),
                koko: rng.range(40_000, 3_000_000) as u64,
                kuvaus: None,
                content: Vec::new(),
                extra: self.extra(tags::ATTACHMENT, aid),
            });
        }
        let (title, description, location) = fault;
        let report = FaultReport {
            id,
            ilmoitusnumero: format!("{}-{:06}", start.year(), id - REPORT_BASE),
            otsikko: match &parent {
                Some(p) => format!("Jatkoilmoitus: {}", p.otsikko),
                None => title.to_owned(),
            },
            kuvaus: Some(description.to_owned()),
            aihe: topic,
            kohde_id: kohde,
            kustannuspaikka_id: ctx.id,
            tila: state,
            tilahistoria: history,
            sijainti: Some(location.to_owned()),
            sisaanpaasy: topic == Topic::Huoneisto && rng.chance(0.6),
            kotielaimet: (topic == Topic::Huoneisto && rng.chance(0.25))
                .then(|| rng.word(names::PETS).to_owned()),
            ilmoittaja_id: reporter.as_ref().map(|p| p.id),
            ilmoittajan_nimi: Some(reporter.as_ref().map_or_else(
                || "Huoltomies".to_owned(),
                |p| {
                    format!(
                        "{} {}",
                        p.etunimi.as_deref().unwrap_or(""),
                        p.sukunimi.as_deref().unwrap_or("")
                    )
                },
            )),
            ilmoittajan_puhelin: reporter.as_ref().and_then(|p| p.matkapuhelin.clone()),
            ilmoittajan_sahkoposti: reporter.as_ref().and_then(|p| p.sahkoposti.clone()),
            lisatiedot: rng
                .chance(0.15)
                .then(|| "Soittakaa ennen tuloa.".to_owned()),
            tyonsuorittaja_id: ctx.maintenance,
            yla_ilmoitus_id: parent.as_ref().map(|p| p.id),
            kasitelty: false,
            ulkoinen_tunniste: rng.chance(0.3).then(|| rng.uuid()),
            luotu: start,
            muokattu: when,
            toimenpiteet: actions,
            liitteet: attachments,
            details: ReportDetails {
                tila_id: (topic == Topic::Huoneisto).then_some(kohde),
                ..ReportDetails::default()
            },
            extra: self.extra(tags::REPORT, id),
        };
        if let Some(p) = parent.and_then(|p| self.world.reports.get_mut(p.id)) {
            p.kasitelty = true;
        }
        self.world.reports.insert_with(|_| report)
    }

    /// Where a report of `topic` is: the apartment (if any), the object, and a fault text.
    fn place<'c>(
        &self,
        rng: &mut Rng,
        ctx: &'c PropertyCtx,
        topic: Topic,
    ) -> (
        Option<&'c super::property::ApartmentInfo>,
        i64,
        (&'static str, &'static str, &'static str),
    ) {
        let fallback = ("Vika", "Vika.", "Piha");
        match topic {
            Topic::Huoneisto => {
                let mut apt = rng.pick(&ctx.apartments);
                for _ in 0..4 {
                    if apt.is_some_and(|a| !a.residents.is_empty()) {
                        break;
                    }
                    apt = rng.pick(&ctx.apartments);
                }
                let fault = rng
                    .pick(names::APARTMENT_FAULTS)
                    .copied()
                    .unwrap_or(fallback);
                (apt, apt.map_or(ctx.id, |a| a.id), fault)
            }
            Topic::YleisetTilat => {
                let apt = rng.pick(&ctx.apartments);
                let fault = rng.pick(names::COMMON_FAULTS).copied().unwrap_or(fallback);
                (None, apt.map_or(ctx.id, |a| a.staircase), fault)
            }
            Topic::Ulkoalueet => {
                let building = rng.pick(&ctx.buildings).copied().unwrap_or(ctx.id);
                let fault = rng.pick(names::OUTDOOR_FAULTS).copied().unwrap_or(fallback);
                (None, building, fault)
            }
        }
    }
}

/// The states a report went through to reach `state`.
fn path(rng: &mut Rng, state: ReportState) -> Vec<ReportState> {
    let waited = rng.chance(0.3);
    let mut p = vec![Avoin];
    if state == Avoin {
        return p;
    }
    p.push(Vastaanotettu);
    match state {
        Vastaanotettu if waited => p.extend([Odottaa, Vastaanotettu]),
        Odottaa => p.push(Odottaa),
        Tehty | Valmis => {
            if waited {
                p.push(Odottaa);
            }
            p.push(Tehty);
            if state == Valmis {
                p.push(Valmis);
            }
        }
        _ => {}
    }
    p
}
