//! Residents sign in with their email address.
//!
//! `POST /api/v1/auth/email-link` takes an address and answers `202` at once, the same
//! answer whether or not the address belongs to anyone: the lookup and the mail happen
//! afterwards in a worker ([`EmailSignIn`]), so neither the answer nor its timing says
//! whether an address is known. Requests are limited per client address and per email
//! address (`429` alike for every address); a mail log in SQLite caps the mails one address
//! gets in an hour whatever the requests.
//!
//! - [`address`]: the address rule (the OpenAPI pattern) and its normal form;
//! - [`directory`]: the current residents Tampuuri knows with that address, and their
//!   apartments (turvakielto is no obstacle: it is about what others see);
//! - [`links`]: the link's one-time code (15 minutes, any device), the choice of apartment
//!   for a resident with several, sessions that end with the move-out day;
//! - [`mail`], [`mailer`]: the message (Finnish and English, text and HTML, the property's
//!   name) and how it leaves (SMTP, or a folder in demo mode);
//! - [`residency`]: every resident request re-checks (cached) that its holder still lives
//!   there;
//! - [`settings`]: `[email]` and `[signin]`.

pub mod address;
pub mod directory;
pub mod links;
pub mod mail;
pub mod mailer;
pub mod residency;
pub mod settings;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use rappu_shared::finnish_time;
use rappu_shared::session::Language;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use self::address::EmailAddress;
use self::directory::Directory;
use self::mail::SignInMail;
use self::mailer::Mailer;
use self::settings::SignInSettings;
use crate::store::Store;

/// A request over one of the sign-in limits.
#[derive(Debug, Clone, Copy)]
pub struct Limited {
    /// `client` or `address`.
    pub name: &'static str,
    /// Requests allowed an hour.
    pub per_hour: u32,
    /// How long until the next one is allowed.
    pub wait: Duration,
}

/// One request waiting for the worker.
struct Job {
    address: EmailAddress,
    language: Language,
}

/// What the worker needs.
pub struct Worker {
    /// Finds residents by address.
    pub directory: Directory,
    /// Sends the mail.
    pub mailer: Arc<Mailer>,
    /// Codes and the mail log.
    pub store: Store,
    /// The instance's public URL (links).
    pub public_url: String,
}

/// The sign-in request service; cheap to clone.
#[derive(Clone)]
pub struct EmailSignIn {
    inner: Arc<Inner>,
}

struct Inner {
    limits_on: bool,
    settings: SignInSettings,
    per_address: DefaultKeyedRateLimiter<String>,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for EmailSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSignIn").finish_non_exhaustive()
    }
}

fn hourly(per_hour: u32, burst: u32) -> Quota {
    let per_hour = NonZeroU32::new(per_hour).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(Duration::from_secs(3600) / per_hour.get())
        .unwrap_or_else(|| Quota::per_hour(per_hour))
        .allow_burst(burst)
}

/// Jobs handled at once (each makes a few Tampuuri calls and one SMTP exchange).
const CONCURRENT_JOBS: usize = 4;

impl EmailSignIn {
    /// The service and its worker task (stopped by `stop`). `limits_on` is
    /// `rate_limit.enabled`: off, no request is refused (the mail cap still holds).
    pub fn start(
        settings: &SignInSettings,
        limits_on: bool,
        worker: Worker,
        stop: CancellationToken,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(settings.queue);
        let inner = Inner {
            limits_on,
            settings: settings.clone(),
            per_address: DefaultKeyedRateLimiter::keyed(hourly(
                settings.per_address_per_hour,
                settings.per_address_per_hour,
            )),
            per_client: DefaultKeyedRateLimiter::keyed(hourly(
                settings.per_client_per_hour,
                settings.per_client_burst,
            )),
            queue: tx,
        };
        let task = tokio::spawn(run(Arc::new(worker), settings.clone(), rx, stop));
        (
            Self {
                inner: Arc::new(inner),
            },
            task,
        )
    }

    /// Takes a request from `client` for `address`: `Err` when over a limit; otherwise it
    /// is queued (or, with the queue full, dropped with a warning) and the caller answers
    /// as for any address.
    pub fn request(
        &self,
        address: EmailAddress,
        language: Language,
        client: IpAddr,
    ) -> Result<(), Limited> {
        let inner = &self.inner;
        if inner.limits_on {
            let now = DefaultClock::default().now();
            inner.per_client.check_key(&client).map_err(|n| Limited {
                name: "signin-client",
                per_hour: inner.settings.per_client_per_hour,
                wait: n.wait_time_from(now),
            })?;
            inner
                .per_address
                .check_key(&address.hash())
                .map_err(|n| Limited {
                    name: "signin-address",
                    per_hour: inner.settings.per_address_per_hour,
                    wait: n.wait_time_from(now),
                })?;
        }
        if inner.queue.try_send(Job { address, language }).is_err() {
            tracing::warn!(
                "sign-in requests are coming faster than they are handled; one was dropped"
            );
        }
        Ok(())
    }

    /// Forgets idle limiter keys.
    pub fn shrink(&self) {
        self.inner.per_address.retain_recent();
        self.inner.per_client.retain_recent();
    }
}

async fn run(
    worker: Arc<Worker>,
    settings: SignInSettings,
    mut rx: mpsc::Receiver<Job>,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(CONCURRENT_JOBS));
    loop {
        let job = tokio::select! {
            () = stop.cancelled() => break,
            job = rx.recv() => match job { Some(job) => job, None => break },
        };
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let (worker, settings) = (Arc::clone(&worker), settings.clone());
        tokio::spawn(async move {
            worker.handle(job, &settings).await;
            drop(permit);
        });
    }
}

impl Worker {
    async fn handle(&self, job: Job, settings: &SignInSettings) {
        let now = chrono::Utc::now();
        let today = finnish_time::local_date(now);
        let who = job.address.masked();
        let homes = match self.directory.residencies(&job.address, today).await {
            Ok(homes) => homes,
            Err(e) => {
                tracing::warn!(address = who, error = %e, "sign-in: Tampuuri could not be asked; no mail");
                return;
            }
        };
        if homes.is_empty() {
            tracing::info!(
                address = who,
                "sign-in: no current resident has this address; no mail"
            );
            return;
        }
        let since = now.timestamp() - 3600;
        match self
            .store
            .take_signin_mail(
                job.address.hash(),
                now.timestamp(),
                since,
                settings.mails_per_address_per_hour,
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    address = who,
                    cap = settings.mails_per_address_per_hour,
                    "sign-in: this address has had its mails for the hour; no mail"
                );
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "sign-in: the mail log cannot be written; no mail");
                return;
            }
        }
        let ttl = Duration::from_secs(settings.link_ttl_secs);
        let link = match links::create_link(&self.store, &self.public_url, &homes, ttl).await {
            Ok(link) => link,
            Err(e) => {
                tracing::error!(error = %e, "sign-in: the link cannot be stored; no mail");
                return;
            }
        };
        let mut properties: Vec<&str> = Vec::new();
        for home in &homes {
            if !home.property.is_empty() && !properties.contains(&home.property.as_str()) {
                properties.push(&home.property);
            }
        }
        let mail = SignInMail {
            link: &link,
            minutes: settings.link_ttl_secs / 60,
            properties,
            language: job.language,
        };
        let message = match mail.message(self.mailer.from(), &job.address) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(address = who, error = %e, "sign-in: the address cannot be written in a mail");
                return;
            }
        };
        match self.mailer.send(message, &job.address, &link).await {
            Ok(()) => {
                tracing::info!(address = who, apartments = homes.len(), via = %self.mailer.describe(), "sign-in link sent")
            }
            Err(e) => {
                tracing::error!(address = who, error = %e, "sign-in: the mail could not be sent")
            }
        }
    }
}
