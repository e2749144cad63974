//! Third-party apps: OAuth 2.0 clients (RFC 6749 §4.4 client credentials).
//!
//! An operator registers an app (`POST /api/v1/admin/apps` or `rappu app create`): its name,
//! contact, scopes each narrowed to buildings or properties, the browser origins its
//! front-end runs on, and optionally its own quota. Rappu shows the client id and secret
//! once and keeps only an Argon2id hash of the secret; rotating the secret or revoking the
//! app also revokes every token issued to it. The app exchanges its credentials at
//! `POST /oauth/token` for a short-lived access token (`oauth.token_ttl_secs`) whose
//! claims name the app (`client_id`, `scope`); what the token reaches is decided on every
//! request from the registration as it is *now*, so narrowing a scope or revoking the app
//! takes effect at once (and in other processes within `oauth.refresh_secs`).
//!
//! - [`registry`]: the stored app, the registration rules, what a scope covers;
//! - [`secret`]: client ids and secrets, Argon2id;
//! - [`token`]: the token endpoint's rules and errors (RFC 6749 §5.2);
//! - [`usage`]: every app call counted by app, month and route;
//! - [`cli`]: `rappu app ...`; [`settings`]: `[oauth]`.

pub mod cli;
pub mod registry;
pub mod secret;
pub mod settings;
pub mod token;
pub mod usage;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use rappu_shared::FieldError;
use rappu_shared::apps::{AppView, NewApp};
use secrecy::SecretString;

use self::registry::RegisteredApp;
use self::settings::OAuthSettings;
use self::usage::AppCalls;
use crate::auth::Tokens;
use crate::store::{Store, StoreError};

/// Why an app change failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such app (in the caller's account).
    #[error("no such app")]
    NotFound,
    /// The registration breaks a rule.
    #[error("invalid app")]
    Invalid(Vec<FieldError>),
    /// The app was revoked.
    #[error("the app is revoked")]
    Revoked,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error("{0}")]
    Internal(String),
}

/// The registry of apps; cheap to clone.
#[derive(Clone)]
pub struct Apps {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: OAuthSettings,
    by_id: RwLock<Arc<HashMap<String, Arc<RegisteredApp>>>>,
    limiters: moka::sync::Cache<String, Arc<(i64, DefaultDirectRateLimiter)>>,
    failures: DefaultKeyedRateLimiter<String>,
    dummy_hash: String,
    calls: AppCalls,
}

impl std::fmt::Debug for Apps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apps").finish_non_exhaustive()
    }
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// What one request costs of a quota with `burst` cells when `replicas` replicas share it.
fn share(replicas: u32, burst: u32) -> NonZeroU32 {
    NonZeroU32::new(replicas.clamp(1, burst.max(1))).unwrap_or(NonZeroU32::MIN)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Apps {
    /// The registry as stored.
    pub async fn load(store: Store, settings: &OAuthSettings) -> Result<Self, StoreError> {
        let dummy_hash = secret::hash("rappu-secret-never-issued").map_err(StoreError::Task)?;
        let apps = Self {
            inner: Arc::new(Inner {
                store,
                settings: settings.clone(),
                by_id: RwLock::default(),
                limiters: moka::sync::Cache::builder()
                    .max_capacity(10_000)
                    .time_to_idle(Duration::from_secs(3600))
                    .build(),
                failures: DefaultKeyedRateLimiter::keyed(quota(
                    settings.failed_auth_per_minute,
                    settings.failed_auth_per_minute,
                )),
                dummy_hash,
                calls: AppCalls::default(),
            }),
        };
        apps.refresh().await?;
        Ok(apps)
    }

    /// Reads the registry again (changes made by `rappu app ...` in another process).
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let all = self.inner.store.apps(crate::store::apps::all).await?;
        let map = all
            .into_iter()
            .map(|a| (a.client_id.clone(), Arc::new(a)))
            .collect();
        *self.inner.by_id.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
        Ok(())
    }

    fn snapshot(&self) -> Arc<HashMap<String, Arc<RegisteredApp>>> {
        Arc::clone(&self.inner.by_id.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// An app by client id (revoked ones included).
    pub fn get(&self, client_id: &str) -> Option<Arc<RegisteredApp>> {
        self.snapshot().get(client_id).cloned()
    }

    /// Whether an app in force lists `origin` (for CORS preflights).
    pub fn any_lists_origin(&self, origin: &str) -> bool {
        self.snapshot()
            .values()
            .any(|a| a.active() && a.origins.iter().any(|o| o == origin))
    }

    /// The defaults of `[oauth]`.
    pub fn settings(&self) -> &OAuthSettings {
        &self.inner.settings
    }

    /// Registers an app in `account`; returns it and its secret (shown once).
    pub async fn register(
        &self,
        account: &str,
        created_by: &str,
        new: NewApp,
    ) -> Result<(RegisteredApp, SecretString), AppError> {
        registry::validate(&new).map_err(AppError::Invalid)?;
        let (secret, hash) = tokio::task::spawn_blocking(secret::new_secret)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(AppError::Internal)?;
        let at = now();
        let app = RegisteredApp {
            client_id: secret::new_client_id(),
            account: account.to_owned(),
            name: new.name.trim().to_owned(),
            contact: new.contact.trim().to_owned(),
            scopes: new.scopes,
            origins: new
                .origins
                .iter()
                .map(|o| registry::normalized_origin(o))
                .collect(),
            per_minute: new.rate_limit_per_minute,
            burst: new.rate_limit_burst,
            secret_hash: hash,
            secret_set_at: at,
            created_at: at,
            created_by: created_by.to_owned(),
            updated_at: at,
            revoked_at: None,
        };
        let stored = app.clone();
        self.inner
            .store
            .apps(move |c| crate::store::apps::insert(c, &stored))
            .await?;
        self.refresh().await?;
        self.announce();
        tracing::info!(client_id = %app.client_id, name = %app.name, account, "app registered");
        Ok((app, secret))
    }

    fn mine(&self, account: &str, client_id: &str) -> Result<Arc<RegisteredApp>, AppError> {
        self.get(client_id)
            .filter(|a| a.account == account)
            .ok_or(AppError::NotFound)
    }

    /// Replaces an app's settings (not its secret).
    pub async fn update(
        &self,
        account: &str,
        client_id: &str,
        new: NewApp,
    ) -> Result<RegisteredApp, AppError> {
        registry::validate(&new).map_err(AppError::Invalid)?;
        let current = self.mine(account, client_id)?;
        if !current.active() {
            return Err(AppError::Revoked);
        }
        let mut app = (*current).clone();
        app.name = new.name.trim().to_owned();
        app.contact = new.contact.trim().to_owned();
        app.scopes = new.scopes;
        app.origins = new
            .origins
            .iter()
            .map(|o| registry::normalized_origin(o))
            .collect();
        app.per_minute = new.rate_limit_per_minute;
        app.burst = new.rate_limit_burst;
        app.updated_at = now();
        let stored = app.clone();
        if !self
            .inner
            .store
            .apps(move |c| crate::store::apps::update(c, &stored))
            .await?
        {
            return Err(AppError::Revoked);
        }
        self.refresh().await?;
        self.announce();
        tracing::info!(client_id, "app changed");
        Ok(app)
    }

    /// Gives an app a new secret; the old one and every token issued with it stop working.
    pub async fn rotate(
        &self,
        account: &str,
        client_id: &str,
        tokens: &Tokens,
    ) -> Result<(RegisteredApp, SecretString), AppError> {
        self.mine(account, client_id)?;
        let (secret, hash) = tokio::task::spawn_blocking(secret::new_secret)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(AppError::Internal)?;
        let id = client_id.to_owned();
        let revoked = self
            .inner
            .store
            .apps(move |c| crate::store::apps::rotate(c, &id, &hash, now()))
            .await?
            .ok_or(AppError::Revoked)?;
        for jti in revoked {
            tokens.revocations().insert(jti);
        }
        self.refresh().await?;
        self.announce();
        tracing::info!(client_id, "app secret rotated");
        let app = self.mine(account, client_id)?;
        Ok(((*app).clone(), secret))
    }

    /// Revokes an app: its secret and every token issued to it stop working.
    pub async fn revoke(
        &self,
        account: &str,
        client_id: &str,
        tokens: &Tokens,
    ) -> Result<(), AppError> {
        self.mine(account, client_id)?;
        let id = client_id.to_owned();
        let revoked = self
            .inner
            .store
            .apps(move |c| crate::store::apps::revoke(c, &id, now()))
            .await?
            .ok_or(AppError::NotFound)?;
        for jti in revoked {
            tokens.revocations().insert(jti);
        }
        self.refresh().await?;
        self.announce();
        tracing::info!(client_id, "app revoked");
        Ok(())
    }

    /// `account`'s apps with this month's calls, newest first.
    pub async fn list(&self, account: &str) -> Result<Vec<AppView>, StoreError> {
        self.flush().await?;
        let month = chrono::Utc::now().format("%Y-%m").to_string();
        let owner = account.to_owned();
        let calls = self
            .inner
            .store
            .apps(move |c| crate::store::apps::calls(c, &owner, Some(&month)))
            .await?;
        let mut apps: Vec<Arc<RegisteredApp>> = self
            .snapshot()
            .values()
            .filter(|a| a.account == account)
            .cloned()
            .collect();
        apps.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(a.client_id.cmp(&b.client_id))
        });
        Ok(apps
            .iter()
            .map(|a| {
                let mine = calls.iter().filter(|c| c.client_id == a.client_id);
                let total = mine.clone().map(|c| c.calls).sum();
                let last = mine.map(|c| c.last_at).max();
                a.view(&self.inner.settings, total, last)
            })
            .collect())
    }

    /// `account`'s apps' calls by month and route (one month, or all).
    pub async fn usage(
        &self,
        account: &str,
        month: Option<String>,
    ) -> Result<Vec<crate::store::apps::CallCount>, StoreError> {
        self.flush().await?;
        let owner = account.to_owned();
        self.inner
            .store
            .apps(move |c| crate::store::apps::calls(c, &owner, month.as_deref()))
            .await
    }

    /// Tells the other replicas the registry changed. A failure is logged, not returned: the
    /// change is stored, and they re-read the registry every `oauth.refresh_secs` anyway.
    fn announce(&self) {
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.announce_apps_changed().await {
                tracing::warn!(error = %e, "cannot tell the other replicas the app registry changed");
            }
        });
    }

    /// The app whose credentials these are, if they are right and it is in force. A wrong
    /// secret, an unknown id and a revoked app fail alike and take as long (an Argon2
    /// verification each). `Err(Some(wait))`: too many failures for this id lately (the
    /// failure quota split between `replicas` live replicas, as [`Self::admit`]'s).
    pub async fn authenticate(
        &self,
        client_id: &str,
        secret: SecretString,
        replicas: u32,
    ) -> Result<Arc<RegisteredApp>, Option<Duration>> {
        let app = self.get(client_id).filter(|a| a.active());
        let hash = app
            .as_ref()
            .map_or_else(|| self.inner.dummy_hash.clone(), |a| a.secret_hash.clone());
        let matches = tokio::task::spawn_blocking(move || secret::verify(&secret, &hash))
            .await
            .unwrap_or(false);
        match app {
            Some(app) if matches => Ok(app),
            _ => {
                let key = client_id.chars().take(64).collect::<String>();
                let cost = share(replicas, self.inner.settings.failed_auth_per_minute);
                match self.inner.failures.check_key_n(&key, cost) {
                    Ok(Ok(())) | Err(_) => Err(None),
                    Ok(Err(n)) => Err(Some(n.wait_time_from(DefaultClock::default().now()))),
                }
            }
        }
    }

    /// Applies `app`'s own quota: `Err((per_minute, wait))` when it is spent. With
    /// `replicas` live replicas each grants its share (a request costs `replicas` cells of
    /// the bucket, as [`crate::http::ratelimit`]'s quotas), so an app spread over them gets
    /// its quota once, not once per replica.
    pub fn admit(&self, app: &RegisteredApp, replicas: u32) -> Result<(), (u32, Duration)> {
        let (per_minute, burst) = app.quota(&self.inner.settings);
        // A limiter made before the app last changed has the old quota: replace it.
        let limiter = match self.inner.limiters.get(&app.client_id) {
            Some(l) if l.0 == app.updated_at => l,
            _ => {
                let fresh = Arc::new((
                    app.updated_at,
                    DefaultDirectRateLimiter::direct(quota(per_minute, burst)),
                ));
                self.inner
                    .limiters
                    .insert(app.client_id.clone(), Arc::clone(&fresh));
                fresh
            }
        };
        let cost = share(replicas, burst);
        match limiter.1.check_n(cost) {
            Ok(Ok(())) | Err(_) => Ok(()),
            Ok(Err(n)) => Err((
                (per_minute / cost.get()).max(1),
                n.wait_time_from(DefaultClock::default().now()),
            )),
        }
    }

    /// Counts a call of `client_id` to `route`.
    pub fn record_call(&self, client_id: &str, route: &str) {
        self.inner.calls.record(client_id, route);
    }

    /// Writes counted calls to the store.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.inner.calls.flush(&self.inner.store).await
    }

    /// Forgets failure counters of idle ids.
    pub fn shrink(&self) {
        self.inner.failures.retain_recent();
    }
}
