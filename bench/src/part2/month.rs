//! A month's changes in compressed time: the schedule (the change mix `rappu plan` assumes,
//! `rappu_gateway::plan::ChangeMix`, at random simulated times) and the driver that makes
//! them — in Tampuuri's own UI through the simulator's admin API (the simulator delivers the
//! webhooks), as residents through the portal, as partners through the work-order API — and
//! the portal users' visits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use rappu_gateway::plan::ChangeMix;
use rappu_shared::Grant;
use rappu_sim::report::ReportState;
use reqwest::Method;
use serde_json::{Value, json};

use super::fleet::{Fleet, Report, Resident};
use super::observe::{Answers, Tracker};
use crate::stack::{ACCOUNT, Env, Gateway, Sim};

/// What one scheduled event does.
#[derive(Debug, Clone)]
pub enum Event {
    /// A resident moves out (`Paattyy` yesterday → `KohdeOsapuoliMuokkaa`).
    MoveOut(Resident),
    /// A new resident moves in (→ `OsapuoliUusi`, `KohdeOsapuoliUusi`); `marker` is their
    /// surname.
    MoveIn {
        /// Apartment.
        apartment: i64,
        /// Its building.
        building: i64,
        /// Surname, searched for in feeds.
        marker: String,
    },
    /// A resident gets turvakielto (→ `OsapuoliTietoMuokkaa`).
    Turvakielto(Resident),
    /// A resident asks to be left off the display (→ `KohdeOsapuoliMuokkaa`).
    Hide(Resident),
    /// A new announcement on a building (→ `UutinenUusi`); `marker` is its title.
    Announce {
        /// Building.
        building: i64,
        /// Title, searched for in feeds.
        marker: String,
    },
    /// An announcement edited (→ `UutinenMuokkaa`).
    EditAnnouncement,
    /// An announcement removed (→ `UutinenPoista`).
    DeleteAnnouncement,
    /// A resident files a fault report in the portal (Rappu delivers it).
    FileReport(usize),
    /// A report moves on in Tampuuri's UI (→ `IlmoitusTilamuutos`).
    ReportStep,
    /// A partner moves one of its work orders on through Rappu.
    PartnerStep(usize),
}

impl Event {
    /// The kind, for counts.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MoveOut(_) => "move-outs",
            Self::MoveIn { .. } => "move-ins",
            Self::Turvakielto(_) => "turvakielto",
            Self::Hide(_) => "hide from display",
            Self::Announce { .. } => "announcements added",
            Self::EditAnnouncement => "announcements edited",
            Self::DeleteAnnouncement => "announcements removed",
            Self::FileReport(_) => "reports filed in the portal",
            Self::ReportStep => "report state changes in Tampuuri",
            Self::PartnerStep(_) => "partner transitions",
        }
    }

    /// The building whose feed shows it, with the text that shows it.
    pub fn marker(&self) -> Option<(i64, &str)> {
        match self {
            Self::MoveIn {
                building, marker, ..
            }
            | Self::Announce { building, marker } => Some((*building, marker)),
            _ => None,
        }
    }
}

/// Events at simulated offsets (seconds from the window's start), in time order.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// `(simulated seconds, event)`.
    pub events: Vec<(f64, Event)>,
    /// Portal visits `(simulated seconds, user index)`.
    pub visits: Vec<(f64, usize)>,
}

/// Parameters of a schedule.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// Change notifications a month (split by [`ChangeMix`]).
    pub changes_per_month: u64,
    /// Portal visits a month (all users).
    pub visits_per_month: f64,
    /// Include partners' transitions and portal filings (an outage leaves them out: the
    /// partner would get a 503 and try later).
    pub writes: bool,
}

/// Rounds `x` at random (its fraction is the chance of one more), so short windows keep
/// the month's proportions on average.
fn count(x: f64, rng: &mut StdRng) -> usize {
    let whole = x.floor();
    whole as usize + usize::from(rng.random_bool((x - whole).clamp(0.0, 1.0)))
}

impl Schedule {
    /// A schedule of `days` simulated days; `used` grows with the residents it touches (each
    /// at most once across schedules); `tag` makes markers unique.
    pub fn new(
        fleet: &Fleet,
        rates: Rates,
        days: f64,
        seed: u64,
        used: &mut usize,
        tag: &str,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let share = days / 30.0;
        let mix = ChangeMix::of(rates.changes_per_month);
        let span = days * 86_400.0;
        let mut events: Vec<(f64, Event)> = Vec::new();
        let next_resident = |used: &mut usize| {
            let r = fleet.shown.get(*used).copied();
            *used += 1;
            r
        };
        let moves = count(mix.moves as f64 * share, &mut rng);
        for i in 0..moves {
            let at = rng.random_range(0.0..span);
            if i % 2 == 0 {
                if let Some(r) = next_resident(used) {
                    events.push((at, Event::MoveOut(r)));
                }
            } else if let Some(&(apartment, building)) = fleet
                .apartments
                .get(rng.random_range(0..fleet.apartments.len().max(1)))
            {
                events.push((
                    at,
                    Event::MoveIn {
                        apartment,
                        building,
                        marker: format!("Muuttaja{tag}x{i}"),
                    },
                ));
            }
        }
        let privacy = count(mix.privacy as f64 * share, &mut rng);
        for i in 0..privacy {
            let at = rng.random_range(0.0..span);
            if let Some(r) = next_resident(used) {
                events.push((
                    at,
                    if i % 2 == 0 {
                        Event::Turvakielto(r)
                    } else {
                        Event::Hide(r)
                    },
                ));
            }
        }
        // Announcements: 40 % new, 30 % edited, 30 % removed.
        let news = count(mix.announcements as f64 * share, &mut rng);
        for i in 0..news {
            let at = rng.random_range(0.0..span);
            let event = match rng.random_range(0..10) {
                0..=3 => Event::Announce {
                    building: fleet.buildings[rng.random_range(0..fleet.buildings.len())],
                    marker: format!("Tiedote {tag} {i}"),
                },
                4..=6 => Event::EditAnnouncement,
                _ => Event::DeleteAnnouncement,
            };
            events.push((at, event));
        }
        if rates.writes {
            for _ in 0..count(mix.new_reports as f64 * share, &mut rng) {
                let user = rng.random_range(0..fleet.portal_users.len());
                events.push((rng.random_range(0.0..span), Event::FileReport(user)));
            }
            for _ in 0..count(mix.transitions as f64 * share, &mut rng) {
                let partner = rng.random_range(0..fleet.partners.len().max(1));
                events.push((rng.random_range(0.0..span), Event::PartnerStep(partner)));
            }
        }
        for _ in 0..count(mix.report_changes as f64 * share, &mut rng) {
            events.push((rng.random_range(0.0..span), Event::ReportStep));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut visits: Vec<(f64, usize)> = (0..count(rates.visits_per_month * share, &mut rng))
            .map(|_| {
                (
                    rng.random_range(0.0..span),
                    rng.random_range(0..fleet.portal_users.len().max(1)),
                )
            })
            .collect();
        visits.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self { events, visits }
    }

    /// Events by kind.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for (_, e) in &self.events {
            *out.entry(e.kind()).or_default() += 1;
        }
        out
    }
}

/// The reports the bench moves on, and the announcements it may edit or remove: what the
/// bench knows of Tampuuri's state (nothing else changes it).
#[derive(Debug)]
pub struct Book {
    reports: Mutex<Vec<Report>>,
    announcements: Mutex<Vec<i64>>,
    rng: Mutex<StdRng>,
}

impl Book {
    /// From the fleet.
    pub fn new(fleet: &Fleet, seed: u64) -> Self {
        Self {
            reports: Mutex::new(fleet.unclosed.clone()),
            announcements: Mutex::new(fleet.announcements.iter().map(|(id, _)| *id).collect()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn roll(&self) -> u32 {
        Self::lock(&self.rng).random_range(0..100)
    }

    /// A report and its next step: `(id, route step, partner's step)`. In Tampuuri's UI
    /// (`partner` None) reports of non-partners move on, and partners' done ones are
    /// completed; a partner receives, holds or finishes its own.
    fn next_step(&self, partners: &[i64], partner: Option<i64>) -> Option<(i64, &'static str)> {
        let roll = self.roll();
        let reports = Self::lock(&self.reports);
        // A report with a follow-up not yet done cannot be completed (Tampuuri says 409).
        let waits_for_follow_up = |r: &Report| {
            r.state == ReportState::Tehty
                && reports.iter().any(|c| {
                    c.parent == Some(r.id)
                        && matches!(
                            c.state,
                            ReportState::Avoin | ReportState::Vastaanotettu | ReportState::Odottaa
                        )
                })
        };
        let candidates: Vec<&Report> = reports
            .iter()
            .filter(|r| !waits_for_follow_up(r))
            .filter(|r| match partner {
                Some(p) => {
                    r.assignee == Some(p)
                        && matches!(
                            r.state,
                            ReportState::Avoin | ReportState::Vastaanotettu | ReportState::Odottaa
                        )
                }
                None => {
                    r.state == ReportState::Tehty
                        || (r.state != ReportState::Valmis
                            && !r.assignee.is_some_and(|a| partners.contains(&a)))
                }
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let r = candidates[(roll as usize * 7919) % candidates.len()];
        let step = match r.state {
            ReportState::Avoin => "vastaanota",
            ReportState::Vastaanotettu if roll < 30 => "odotukseen",
            ReportState::Vastaanotettu => "kuittaatehdyksi",
            ReportState::Odottaa if roll < 50 => "vastaanota",
            ReportState::Odottaa => "kuittaatehdyksi",
            _ => "kuittaavalmiiksi",
        };
        Some((r.id, step))
    }

    fn set(&self, id: i64, step: &str) {
        let state = match step {
            "vastaanota" => ReportState::Vastaanotettu,
            "odotukseen" => ReportState::Odottaa,
            "kuittaatehdyksi" => ReportState::Tehty,
            _ => ReportState::Valmis,
        };
        let mut reports = Self::lock(&self.reports);
        if let Some(r) = reports.iter_mut().find(|r| r.id == id) {
            r.state = state;
        }
        reports.retain(|r| r.state != ReportState::Valmis);
    }

    /// A work order a partner saw in its list (reports filed meanwhile).
    pub fn saw(&self, id: i64, assignee: i64) {
        let mut reports = Self::lock(&self.reports);
        if !reports.iter().any(|r| r.id == id) {
            reports.push(Report {
                id,
                state: ReportState::Avoin,
                assignee: Some(assignee),
                parent: None,
            });
        }
    }

    fn announcement(&self, remove: bool) -> Option<i64> {
        let roll = self.roll() as usize;
        let mut list = Self::lock(&self.announcements);
        if list.is_empty() {
            return None;
        }
        let i = (roll * 7919) % list.len();
        Some(if remove { list.swap_remove(i) } else { list[i] })
    }

    fn added(&self, id: i64) {
        Self::lock(&self.announcements).push(id);
    }
}

/// Everyone the driver acts as, and where it reports.
pub struct Driver<'a> {
    /// Paths and clients.
    pub env: &'a Env,
    /// The simulator (Tampuuri and its UI).
    pub sim: &'a Sim,
    /// The gateway (portal and work-order API).
    pub gateway: &'a Gateway,
    /// The fleet.
    pub fleet: &'a Fleet,
    /// What the bench knows of Tampuuri's state.
    pub book: Arc<Book>,
    /// Portal users' and partners' answers.
    pub answers: Arc<Answers>,
    /// Changes that show on a display, for the SSE figure.
    pub tracker: Option<Arc<Tracker>>,
    /// Resident tokens by portal user index.
    pub residents: Arc<Vec<String>>,
    /// Partner tokens by partner index.
    pub partners: Arc<Vec<String>>,
}

/// What the driver did.
#[derive(Debug, Default, Clone)]
pub struct Made {
    /// Events made, by kind.
    pub made: BTreeMap<&'static str, usize>,
    /// Events that could not be made (nothing left to change, a refused call), by kind.
    pub skipped: BTreeMap<&'static str, usize>,
    /// The first failure.
    pub first_error: Option<String>,
}

impl Driver<'_> {
    /// Tokens for the fleet's portal users and partners.
    pub fn tokens(gateway: &Gateway, fleet: &Fleet) -> anyhow::Result<(Vec<String>, Vec<String>)> {
        let residents = fleet
            .portal_users
            .iter()
            .enumerate()
            .map(|(i, r)| {
                gateway.token(
                    Grant::Resident {
                        party: u64::try_from(r.party)?,
                        apartment: u64::try_from(r.apartment)?,
                    },
                    &format!("bench-resident-{i}"),
                )
            })
            .collect::<anyhow::Result<_>>()?;
        let partners = fleet
            .partners
            .iter()
            .map(|p| {
                gateway.token(
                    Grant::Partner {
                        assignee: u64::try_from(*p)?,
                    },
                    &format!("bench-partner-{p}"),
                )
            })
            .collect::<anyhow::Result<_>>()?;
        Ok((residents, partners))
    }

    /// Makes the events of `schedule` at `start` + simulated time / `k` (real time), one
    /// after another; the portal visits run beside them. Stops early at `stop` (real).
    pub async fn run(&self, schedule: &Schedule, start: Instant, k: f64, stop: Instant) -> Made {
        let visits = self.visits(schedule, start, k, stop);
        let mut made = Made::default();
        for (at, event) in &schedule.events {
            let when = start + Duration::from_secs_f64(at / k);
            if when >= stop {
                break;
            }
            tokio::time::sleep_until(when.into()).await;
            if let Some((b, m)) = event.marker()
                && let Some(t) = &self.tracker
            {
                t.made(b, m);
            }
            match self.make(event).await {
                Ok(true) => *made.made.entry(event.kind()).or_default() += 1,
                Ok(false) => *made.skipped.entry(event.kind()).or_default() += 1,
                Err(e) => {
                    *made.skipped.entry(event.kind()).or_default() += 1;
                    made.first_error
                        .get_or_insert_with(|| format!("{}: {e:#}", event.kind()));
                }
            }
        }
        visits.await;
        made
    }

    /// The portal visits of `schedule`, each a task at its time (bounded concurrency).
    fn visits(
        &self,
        schedule: &Schedule,
        start: Instant,
        k: f64,
        stop: Instant,
    ) -> impl std::future::Future<Output = ()> + use<> {
        let http = self.env.http.clone();
        let base = self.gateway.url.clone();
        let answers = self.answers.clone();
        let residents = self.residents.clone();
        let visits = schedule.visits.clone();
        async move {
            let limit = Arc::new(tokio::sync::Semaphore::new(32));
            let mut tasks = tokio::task::JoinSet::new();
            for (at, user) in visits {
                let when = start + Duration::from_secs_f64(at / k);
                if when >= stop {
                    break;
                }
                tokio::time::sleep_until(when.into()).await;
                let Ok(permit) = limit.clone().acquire_owned().await else {
                    break;
                };
                let (http, base, answers) = (http.clone(), base.clone(), answers.clone());
                let token = residents.get(user).cloned().unwrap_or_default();
                tasks.spawn(async move {
                    for path in [
                        "/api/v1/me",
                        "/api/v1/fault-reports?limit=20",
                        "/api/v1/me/contact",
                    ] {
                        let sent = Instant::now();
                        match http
                            .get(format!("{base}{path}"))
                            .bearer_auth(&token)
                            .send()
                            .await
                        {
                            Ok(r) => {
                                let status = r.status().as_u16();
                                let _ = r.bytes().await;
                                answers.status("portal", status, sent.elapsed());
                            }
                            Err(e) => answers.error("portal", e.to_string()),
                        }
                    }
                    drop(permit);
                });
            }
            while tasks.join_next().await.is_some() {}
        }
    }

    async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        self.sim
            .admin(
                self.env,
                method,
                &format!("accounts/{ACCOUNT}/{path}"),
                body,
            )
            .await
    }

    /// Makes one event; `Ok(false)` when there was nothing to make it on.
    pub async fn make(&self, event: &Event) -> anyhow::Result<bool> {
        let yesterday = self.fleet.today - chrono::Days::new(1);
        match event {
            Event::MoveOut(r) => {
                self.admin(
                    Method::PATCH,
                    &format!("connections/{}", r.connection),
                    Some(json!({ "Paattyy": yesterday.to_string() })),
                )
                .await?;
            }
            Event::MoveIn {
                apartment, marker, ..
            } => {
                self.admin(
                    Method::POST,
                    "connections",
                    Some(json!({
                        "KohdeId": apartment,
                        "Etunimi": "Penkki",
                        "Sukunimi": marker,
                        "Alkaa": self.fleet.today.to_string(),
                    })),
                )
                .await?;
            }
            Event::Turvakielto(r) => {
                self.admin(
                    Method::PATCH,
                    &format!("parties/{}", r.party),
                    Some(json!({ "Turvakielto": true })),
                )
                .await?;
            }
            Event::Hide(r) => {
                self.admin(
                    Method::PATCH,
                    &format!("connections/{}", r.connection),
                    Some(json!({ "PiilotaPorrasnaytolta": true })),
                )
                .await?;
            }
            Event::Announce { building, marker } => {
                let added = self
                    .admin(
                        Method::POST,
                        "announcements",
                        Some(json!({
                            "KohdeId": building,
                            "Otsikko": marker,
                            "Sisalto": "Rappu-benchmarkin tiedote.",
                        })),
                    )
                    .await?;
                if let Some(id) = added.get("Id").and_then(Value::as_i64) {
                    self.book.added(id);
                }
            }
            Event::EditAnnouncement => {
                let Some(id) = self.book.announcement(false) else {
                    return Ok(false);
                };
                self.admin(
                    Method::PATCH,
                    &format!("announcements/{id}"),
                    Some(json!({ "Sisalto": "Päivitetty tiedote." })),
                )
                .await?;
            }
            Event::DeleteAnnouncement => {
                let Some(id) = self.book.announcement(true) else {
                    return Ok(false);
                };
                self.admin(Method::DELETE, &format!("announcements/{id}"), None)
                    .await?;
            }
            Event::FileReport(user) => return self.file(*user).await,
            Event::ReportStep => {
                let Some((id, step)) = self.book.next_step(&self.fleet.partners, None) else {
                    return Ok(false);
                };
                let body = (step == "odotukseen").then(|| json!({ "Syy": "Varaosa tilattu" }));
                self.admin(Method::POST, &format!("reports/{id}/{step}"), body)
                    .await?;
                self.book.set(id, step);
            }
            Event::PartnerStep(p) => return self.partner_step(*p).await,
        }
        Ok(true)
    }

    async fn file(&self, user: usize) -> anyhow::Result<bool> {
        let token = self.residents.get(user).cloned().unwrap_or_default();
        let sent = Instant::now();
        let response = self
            .env
            .http
            .post(format!("{}/api/v1/fault-reports", self.gateway.url))
            .bearer_auth(token)
            .header(
                "idempotency-key",
                format!("bench-{:032x}", rand::random::<u128>()),
            )
            .json(&json!({
                "topic": "apartment",
                "title": "Hana tippuu",
                "description": "Keittiön hana tippuu jatkuvasti.",
                "location": "Keittiö",
                "master_key_allowed": true,
                "contact_phone": "040 123 4567",
                "photos": []
            }))
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        self.answers.status("filing", status, sent.elapsed());
        if status != 201 {
            anyhow::bail!(
                "filing answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(true)
    }

    async fn partner_step(&self, p: usize) -> anyhow::Result<bool> {
        let Some(&assignee) = self.fleet.partners.get(p) else {
            return Ok(false);
        };
        let Some((id, step)) = self.book.next_step(&self.fleet.partners, Some(assignee)) else {
            return Ok(false);
        };
        let (action, body) = match step {
            "vastaanota" => ("receive", None),
            "odotukseen" => ("hold", Some(json!({ "reason": "Varaosa tilattu" }))),
            _ => ("done", Some(json!({ "summary": "Tiiviste vaihdettu" }))),
        };
        let token = self.partners.get(p).cloned().unwrap_or_default();
        let mut request = self
            .env
            .http
            .post(format!(
                "{}/api/v1/work-orders/{id}/{action}",
                self.gateway.url
            ))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let sent = Instant::now();
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.bytes().await?;
        self.answers.status("partner", status, sent.elapsed());
        if status != 200 {
            anyhow::bail!(
                "{action} of {id} answered {status}: {}",
                String::from_utf8_lossy(&text)
            );
        }
        self.book.set(id, step);
        Ok(true)
    }
}
