//! Rate limits: per token once the token is verified (display tokens get their own quota),
//! per client IP for requests without a token. GCRA token buckets from `governor` (the
//! engine `tower_governor` wraps; used directly here because the key is only known after
//! the token is verified, and the quota depends on the role).
//!
//! A refused request gets `429` problem+json with `Retry-After` and the IETF draft
//! `RateLimit-Policy` / `RateLimit` headers.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};

use crate::http::client_ip::ClientIp;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use rappu_shared::Grant;

use crate::auth::Principal;
use crate::auth::extract::{authenticate, has_credentials};
use crate::config::{RateLimitSettings, WebhookSettings};
use crate::error::ApiError;
use crate::metrics::RateLimitMetrics;
use crate::state::AppState;

/// One limiter with the numbers it was built from.
struct Limit<K: std::hash::Hash + Eq + Clone> {
    name: &'static str,
    per_minute: u32,
    burst: u32,
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Limit<K> {
    fn new(name: &'static str, per_minute: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            name,
            per_minute,
            burst: burst.get(),
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
        }
    }

    /// `Ok`, or the refusal saying how long to wait. With `replicas` replicas sharing the
    /// quota, a request here costs that many cells: each replica grants its share.
    fn check(&self, key: &K, replicas: u32) -> Result<(), Refused> {
        let cost = NonZeroU32::new(replicas.clamp(1, self.burst)).unwrap_or(NonZeroU32::MIN);
        match self.limiter.check_key_n(key, cost) {
            Ok(Ok(())) | Err(_) => Ok(()),
            Ok(Err(not_until)) => Err(Refused {
                name: self.name,
                quota: (self.per_minute / cost.get()).max(1),
                window_secs: 60,
                wait: not_until.wait_time_from(DefaultClock::default().now()),
            }),
        }
    }
}

/// A request over its quota: answered `429` problem+json with `Retry-After` and the IETF
/// draft `RateLimit-Policy` / `RateLimit` headers.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    name: &'static str,
    quota: u32,
    window_secs: u64,
    wait: Duration,
}

impl Refused {
    /// Over the quota `name` of `quota` requests a `window_secs`; the next one is allowed in
    /// `wait`.
    pub fn new(name: &'static str, quota: u32, window_secs: u64, wait: Duration) -> Self {
        Self {
            name,
            quota,
            window_secs,
            wait,
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let secs = self.wait.as_secs() + u64::from(self.wait.subsec_nanos() > 0);
        let mut response = ApiError::RateLimited {
            retry_after: self.wait,
        }
        .into_response();
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        if let Ok(v) = HeaderValue::from_str(&format!(
            "\"{}\";q={};w={}",
            self.name, self.quota, self.window_secs
        )) {
            headers.insert("ratelimit-policy", v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("\"{}\";r=0;t={}", self.name, secs.max(1))) {
            headers.insert("ratelimit", v);
        }
        response
    }
}

/// Every limiter of the gateway.
pub struct RateLimits {
    enabled: bool,
    display: Limit<Arc<str>>,
    token: Limit<Arc<str>>,
    ip: Limit<IpAddr>,
    wrong_webhook_secret: Limit<String>,
    /// Live replicas sharing the quotas (their heartbeats in the database; 1 on SQLite).
    /// An abuser spread over them gets the quota once, not once per replica.
    replicas: AtomicU32,
    metrics: RateLimitMetrics,
}

impl RateLimits {
    /// Limiters from the settings.
    pub fn new(s: &RateLimitSettings, webhooks: &WebhookSettings) -> Self {
        Self {
            enabled: s.enabled,
            display: Limit::new("display", s.display_per_minute, s.display_burst),
            token: Limit::new("token", s.token_per_minute, s.token_burst),
            ip: Limit::new("ip", s.ip_per_minute, s.ip_burst),
            wrong_webhook_secret: Limit::new(
                "webhook",
                webhooks.wrong_secret_per_minute,
                webhooks.wrong_secret_burst,
            ),
            replicas: AtomicU32::new(1),
            metrics: RateLimitMetrics::detached(),
        }
    }

    /// Sets how many live replicas share the quotas (at least 1).
    pub fn set_replicas(&self, n: u32) {
        self.replicas.store(n.max(1), Ordering::Relaxed);
    }

    /// How many live replicas share the quotas.
    pub fn replicas(&self) -> u32 {
        self.replicas.load(Ordering::Relaxed)
    }

    /// Counts refusals by tier in `metrics`.
    pub fn with_metrics(mut self, metrics: RateLimitMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Forgets keys whose buckets are full again (call now and then; memory stays bounded
    /// by the number of active clients).
    pub fn shrink(&self) {
        self.display.limiter.retain_recent();
        self.token.limiter.retain_recent();
        self.ip.limiter.retain_recent();
        self.wrong_webhook_secret.limiter.retain_recent();
    }

    /// Counts a webhook delivery with a wrong secret for `account`: `Err` once the account's
    /// wrong deliveries exceed their quota. Deliveries with the right secret never come
    /// here, so Tampuuri is never refused for quota, and only a wrong secret can exhaust it.
    pub fn wrong_webhook_secret(&self, account: &str) -> Result<(), Refused> {
        if !self.enabled {
            return Ok(());
        }
        self.wrong_webhook_secret
            .check(&account.to_owned(), self.replicas())
            .inspect_err(|_| {
                self.metrics.webhook.inc();
            })
    }
}

/// Where Tampuuri delivers webhooks: limited by its own quota, only on a wrong secret
/// ([`RateLimits::wrong_webhook_secret`]), never by the per-IP one that all anonymous
/// clients behind a proxy share.
pub const WEBHOOK_PREFIX: &str = "/api/v1/webhooks/";

/// Middleware: [`admit`] for every request but health checks and webhook deliveries; a
/// third-party app's call is attributed to it (the span's `client_id`, an INFO line with
/// route and status, and its count in the usage view).
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Health checks come from load balancers and orchestrators: never limited.
    let path = request.uri().path();
    if !state.limits.enabled
        || path == "/healthz"
        || path == "/readyz"
        || path.starts_with(WEBHOOK_PREFIX)
    {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let admitted = admit(&state, &mut parts);
    let app = app_of(&state, &mut parts);
    let response = match admitted {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(refused) => refused.into_response(),
    };
    if let Some((client_id, route)) = app {
        state.apps.record_call(&client_id, &route);
        tracing::info!(
            client_id,
            route,
            status = response.status().as_u16(),
            "app call"
        );
    }
    response
}

/// The client id and route template (`GET /api/v1/...`) of a call with an app's valid
/// token, recorded in the request's span.
fn app_of(state: &AppState, parts: &mut Parts) -> Option<(String, String)> {
    if !has_credentials(parts) {
        return None;
    }
    let principal = authenticate(parts, state).ok()?;
    let Grant::App { client_id, .. } = &principal.grant else {
        return None;
    };
    tracing::Span::current().record("client_id", client_id.as_str());
    let path = parts
        .extensions
        .get::<MatchedPath>()
        .map_or("(no such route)", MatchedPath::as_str);
    Some((client_id.clone(), format!("{} {path}", parts.method)))
}

/// Verifies the token if there is one (keeping the result in `parts` for the handler) and
/// applies the caller's quota; `Err` says why the request is refused. An invalid token is
/// limited by IP and refused by the route. A third-party app has its own quota (its
/// registration's, else `oauth.app_per_minute`), shared by all its tokens.
pub fn admit(state: &AppState, parts: &mut Parts) -> Result<(), Refused> {
    if !state.limits.enabled {
        return Ok(());
    }
    let verified = if has_credentials(parts) {
        authenticate(parts, state).ok()
    } else {
        None
    };
    if let Some(Grant::App { client_id, .. }) = verified.as_deref().map(|p| &p.grant)
        && let Some(app) = state.apps.get(client_id).filter(|a| a.active())
    {
        return state
            .apps
            .admit(&app, state.limits.replicas())
            .map_err(|(per_minute, wait)| {
                state.limits.metrics.app.inc();
                tracing::info!(client_id, "app rate limited");
                Refused::new("app", per_minute, 60, wait)
            });
    }
    state
        .limits
        .check(verified.as_deref(), || client_ip(parts), parts.uri.path())
}

/// The client's address, as [`crate::http::lane::App::serve`] resolved it.
fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ClientIp>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0)
}

impl RateLimits {
    /// Applies the quota of `verified` (a display's or any other token's), or the per-IP
    /// one of the client (`client`, only asked then) when the request to `path` has no
    /// valid token.
    pub fn check(
        &self,
        verified: Option<&Principal>,
        client: impl FnOnce() -> IpAddr,
        path: &str,
    ) -> Result<(), Refused> {
        if !self.enabled {
            return Ok(());
        }
        let replicas = self.replicas();
        let (outcome, refusals) = match verified {
            Some(principal) => {
                if matches!(principal.grant, Grant::Display { .. }) {
                    (
                        self.display.check(&principal.token_id, replicas),
                        &self.metrics.display,
                    )
                } else {
                    (
                        self.token.check(&principal.token_id, replicas),
                        &self.metrics.token,
                    )
                }
            }
            None => (self.ip.check(&client(), replicas), &self.metrics.ip),
        };
        if outcome.is_err() {
            refusals.inc();
            tracing::info!(path, "rate limited");
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_shared_by_replicas_is_split_between_them() {
        let alone = Limit::new("display", 60, 6);
        let granted = (0..10).filter(|_| alone.check(&1, 1).is_ok()).count();
        assert_eq!(granted, 6, "the whole burst on one instance");
        let shared = Limit::new("display", 60, 6);
        let granted = (0..10).filter(|_| shared.check(&1, 3).is_ok()).count();
        assert_eq!(granted, 2, "a third of it on each of three replicas");
        let refused = shared.check(&1, 3).unwrap_err();
        assert_eq!(refused.quota, 20, "the share is what the client is told");
        // More replicas than the burst: each still grants one request.
        let many = Limit::new("display", 60, 6);
        assert!(many.check(&1, 50).is_ok());
        assert!(many.check(&1, 50).is_err());
    }
}
