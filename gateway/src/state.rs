//! Application state: everything handlers share, built once at start.

use std::ops::Deref;
use std::sync::Arc;

use axum::http::HeaderValue;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::auth::Tokens;
use crate::config::Settings;
use crate::contacts::ContactCache;
use crate::feeds::FeedService;
use crate::http::ratelimit::RateLimits;
use crate::pairing::Displays;
use crate::reports::FaultReports;
use crate::store::Store;
use crate::upstream::tampuuri::{Tampuuri, TampuuriClient, UpstreamError};
use crate::usage::UsageRecorder;
use crate::webhooks::WebhookService;
use crate::work_orders::WorkOrders;

/// Where Tampuuri calls go.
#[derive(Debug, Clone)]
pub enum UpstreamMode {
    /// The configured Tampuuri API.
    Tampuuri,
    /// The simulator running inside this process (no Tampuuri configured).
    Embedded(rappu_sim::Simulator),
}

/// Shared state; handlers receive it through axum's `State`.
pub struct App {
    /// Validated settings.
    pub settings: Settings,
    /// SQLite.
    pub store: Store,
    /// Tampuuri clients by account.
    pub tampuuri: Tampuuri,
    /// The settings the clients were built from (the embedded simulator's in demo mode).
    pub tampuuri_settings: crate::config::TampuuriSettings,
    /// Token minting and verification.
    pub tokens: Tokens,
    /// Upstream call counting.
    pub usage: UsageRecorder,
    /// Real Tampuuri or the embedded simulator.
    pub mode: UpstreamMode,
    /// Display feeds.
    pub feeds: FeedService,
    /// The account mirror: what every read is served from.
    pub mirror: crate::mirror::Mirror,
    /// The monthly budget of Tampuuri calls.
    pub budget: crate::usage::Budget,
    /// Webhooks in.
    pub webhooks: WebhookService,
    /// The webhook secret; `None` when webhooks are off.
    pub webhook_secret: Option<SecretString>,
    /// Request rate limits.
    pub limits: RateLimits,
    /// Whose word on the client's address is taken (`server.trusted_proxies`).
    pub proxies: crate::http::client_ip::TrustedProxies,
    /// `Cache-Control` of feed responses, built once.
    pub feed_cache_control: HeaderValue,
    /// The URL people reach this instance at (no trailing slash).
    pub public_url: String,
    /// Cancelled at shutdown: long-lived responses (SSE) end with it.
    pub shutdown: CancellationToken,
    /// Resident fault reports and their delivery outbox.
    pub reports: FaultReports,
    /// The maintenance partners' work orders.
    pub work_orders: WorkOrders,
    /// Display pairing and paired displays.
    pub displays: Displays,
    /// Residents' phones from Tampuuri, cached.
    pub contacts: ContactCache,
    /// Prometheus metrics.
    pub metrics: crate::metrics::Metrics,
    /// Residents asking for a sign-in link by email.
    pub signin: crate::signin::EmailSignIn,
    /// Whether a resident session's holder still lives in the apartment.
    pub residency: crate::signin::residency::ResidencyCheck,
    /// Objects' buildings and properties, cached.
    pub places: crate::places::Places,
    /// Registered third-party apps.
    pub apps: crate::apps::Apps,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A cheap handle to [`App`].
#[derive(Clone, Debug)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl App {
    /// The Tampuuri settings in force (for the go-live check, which builds its own client).
    pub fn upstream_settings(&self) -> Option<crate::config::TampuuriSettings> {
        Some(self.tampuuri_settings.clone())
    }

    /// The Tampuuri client of `account`. Tokens are only minted and accepted for configured
    /// accounts, so a miss means the configuration changed under a live token.
    pub fn upstream(&self, account: &str) -> Result<&TampuuriClient, UpstreamError> {
        self.tampuuri
            .account(account)
            .ok_or_else(|| UpstreamError::Unauthorized {
                account: account.to_owned(),
            })
    }
}
