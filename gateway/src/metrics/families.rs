//! The metric families other than requests, each group registered by one `register` and
//! recorded by the module named in its doc. Counters on a request's path are resolved to
//! handles here, once: recording one is a single relaxed atomic add.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::histogram::{AtomicHistogram, UPSTREAM_BUCKETS};

type Labels1 = [(&'static str, &'static str); 1];

/// A family with one fixed label, and a handle per value.
fn fixed<const N: usize>(
    registry: &mut Registry,
    name: &str,
    help: &str,
    label: &'static str,
    values: [&'static str; N],
) -> [Counter; N] {
    let family = Family::<Labels1, Counter>::default();
    let handles = values.map(|v| family.get_or_create_owned(&[(label, v)]));
    registry.register(name, help, family);
    handles
}

/// The display feed's cache (recorded by `feeds::slots` and `cache`).
#[derive(Debug, Clone)]
pub struct FeedMetrics {
    /// A fresh feed answered at once.
    pub hits: Counter,
    /// No usable feed: the request waited for a build.
    pub misses: Counter,
    /// Served past its freshness while a rebuild runs (stale-while-revalidate).
    pub stale_revalidating: Counter,
    /// Served because the rebuild failed or was too slow (stale-if-error).
    pub stale_upstream_failing: Counter,
    /// A request or build joined a feed build already running.
    pub joins_feed: Counter,
    /// A feed build joined a Tampuuri fetch of the same data already running.
    pub joins_data: Counter,
    /// Server-Sent Event streams open now.
    pub sse_streams: Gauge,
}

impl FeedMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let hits = Counter::default();
        registry.register(
            "rappu_feed_cache_hits",
            "Feed requests answered from a fresh cached feed",
            hits.clone(),
        );
        let misses = Counter::default();
        registry.register(
            "rappu_feed_cache_misses",
            "Feed requests that had to wait for a feed to be built",
            misses.clone(),
        );
        let [stale_revalidating, stale_upstream_failing] = fixed(
            registry,
            "rappu_feed_cache_stale_served",
            "Feed requests answered with an older feed: while it is rebuilt, or because Tampuuri failed",
            "reason",
            ["revalidating", "upstream_failing"],
        );
        let [joins_feed, joins_data] = fixed(
            registry,
            "rappu_feed_single_flight_joins",
            "Waits that joined a build or fetch already running instead of starting another",
            "cache",
            ["feed", "upstream_data"],
        );
        let sse_streams = Gauge::default();
        registry.register(
            "rappu_sse_streams_open",
            "Display event streams (Server-Sent Events) open now",
            sse_streams.clone(),
        );
        Self {
            hits,
            misses,
            stale_revalidating,
            stale_upstream_failing,
            joins_feed,
            joins_data,
            sse_streams,
        }
    }
}

/// Labels of a Tampuuri call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct UpstreamCallLabels {
    /// The account (from the settings).
    pub account: String,
    /// The route template, e.g. `GET kohteet/{id}`.
    pub route: &'static str,
    /// The HTTP status, or `timeout`, `connection_failed`, `request_failed`.
    pub status: String,
}

/// A route template label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RouteLabel {
    /// The route template.
    pub route: &'static str,
}

/// A failed Tampuuri call, kept for the console (route template and outcome only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentFailure {
    /// When it ended.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The account.
    pub account: String,
    /// The route template.
    pub route: &'static str,
    /// The status or kind of failure.
    pub status: String,
}

/// The latest failed calls, newest last (at most [`RecentFailures::KEPT`]).
#[derive(Debug, Clone, Default)]
pub struct RecentFailures(
    std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<RecentFailure>>>,
);

impl RecentFailures {
    /// How many are kept.
    pub const KEPT: usize = 50;

    /// Remembers `failure`, forgetting the oldest past [`Self::KEPT`].
    pub fn push(&self, failure: RecentFailure) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() == Self::KEPT {
            kept.pop_front();
        }
        kept.push_back(failure);
    }

    /// The kept failures, newest first.
    pub fn newest_first(&self) -> Vec<RecentFailure> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().rev().cloned().collect()
    }
}

/// Tampuuri calls (recorded by `upstream::tampuuri::client`).
#[derive(Debug, Clone)]
pub struct UpstreamMetrics {
    /// The latest failed calls (not a metric: the console's Upstream health page).
    pub recent_failures: RecentFailures,
    /// Calls that reached Tampuuri (or timed out on the way), by outcome.
    pub calls: Family<UpstreamCallLabels, Counter>,
    /// Their duration.
    pub duration: Family<RouteLabel, AtomicHistogram, fn() -> AtomicHistogram>,
    /// Retries of safe calls after a transient failure.
    pub retries: Family<RouteLabel, Counter>,
}

fn upstream_histogram() -> AtomicHistogram {
    AtomicHistogram::new(&UPSTREAM_BUCKETS)
}

impl UpstreamMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let calls = Family::<UpstreamCallLabels, Counter>::default();
        registry.register(
            "rappu_upstream_calls",
            "Tampuuri calls, by account, route template and status (connection_failed never reached Tampuuri; the rest are billed)",
            calls.clone(),
        );
        let duration =
            Family::<RouteLabel, AtomicHistogram, fn() -> AtomicHistogram>::new_with_constructor(
                upstream_histogram,
            );
        registry.register(
            "rappu_upstream_call_duration_seconds",
            "Time Tampuuri took to answer, by route template",
            duration.clone(),
        );
        let retries = Family::<RouteLabel, Counter>::default();
        registry.register(
            "rappu_upstream_retries",
            "Safe Tampuuri calls retried after a transient failure, by route template",
            retries.clone(),
        );
        Self {
            recent_failures: RecentFailures::default(),
            calls,
            duration,
            retries,
        }
    }
}

/// Labels of a webhook notification.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ActionLabel {
    /// Tampuuri's action name when it is a known kind of change, else `unknown`.
    pub action: String,
}

/// Labels naming an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct AccountLabel {
    /// The account (from the settings).
    pub account: String,
}

/// Webhook deliveries (recorded by `webhooks`).
#[derive(Debug, Clone)]
pub struct WebhookMetrics {
    /// Bundles accepted.
    pub bundles: Family<AccountLabel, Counter>,
    /// Notifications received, by action.
    pub notifications: Family<ActionLabel, Counter>,
    /// Notifications already recorded (Tampuuri's retries).
    pub duplicates: Counter,
    /// Notifications whose action Rappu does not know (recorded and ignored).
    pub unknown_actions: Counter,
}

impl WebhookMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let bundles = Family::<AccountLabel, Counter>::default();
        registry.register(
            "rappu_webhook_bundles",
            "Webhook bundles accepted, by account",
            bundles.clone(),
        );
        let notifications = Family::<ActionLabel, Counter>::default();
        registry.register(
            "rappu_webhook_notifications",
            "Webhook notifications received, by action (unknown actions as `unknown`)",
            notifications.clone(),
        );
        let duplicates = Counter::default();
        registry.register(
            "rappu_webhook_duplicates",
            "Webhook notifications already recorded (retries of a delivery)",
            duplicates.clone(),
        );
        let unknown_actions = Counter::default();
        registry.register(
            "rappu_webhook_unknown_actions",
            "Webhook notifications with an action Rappu does not know",
            unknown_actions.clone(),
        );
        Self {
            bundles,
            notifications,
            duplicates,
            unknown_actions,
        }
    }
}

/// Requests refused for quota, by tier (recorded by `http::ratelimit`).
#[derive(Debug, Clone)]
pub struct RateLimitMetrics {
    /// Display tokens.
    pub display: Counter,
    /// Other tokens.
    pub token: Counter,
    /// Requests without a token, per client address.
    pub ip: Counter,
    /// Webhook deliveries with a wrong secret.
    pub webhook: Counter,
    /// Third-party apps, each held to its own quota.
    pub app: Counter,
}

impl RateLimitMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let [display, token, ip, webhook, app] = fixed(
            registry,
            "rappu_rate_limited",
            "Requests refused with 429, by quota tier",
            "tier",
            ["display", "token", "ip", "webhook", "app"],
        );
        Self {
            display,
            token,
            ip,
            webhook,
            app,
        }
    }
}

/// How a token verification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOutcome {
    /// Valid, found in the verified-token cache.
    Cached,
    /// Valid, signature verified.
    Verified,
    /// Expired.
    Expired,
    /// Revoked.
    Revoked,
    /// Signature, key, algorithm or type wrong.
    BadSignature,
    /// Issuer, audience, account or claims wrong, or not valid yet.
    BadClaims,
    /// Not a JWT at all.
    Malformed,
}

const TOKEN_OUTCOMES: [&str; 7] = [
    "cached",
    "verified",
    "expired",
    "revoked",
    "bad_signature",
    "bad_claims",
    "malformed",
];

/// Token verifications (recorded by `auth::jwt`).
#[derive(Debug, Clone)]
pub struct TokenMetrics {
    outcomes: [Counter; 7],
}

impl TokenMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let outcomes = fixed(
            registry,
            "rappu_token_verifications",
            "Token verifications, by outcome",
            "outcome",
            TOKEN_OUTCOMES,
        );
        Self { outcomes }
    }

    /// Counts one verification.
    #[inline]
    pub fn record(&self, outcome: TokenOutcome) {
        self.outcomes[outcome as usize].inc();
    }
}

/// Values read at scrape time ([`super::scrape`]).
#[derive(Debug, Clone)]
pub struct Sampled {
    /// Distinct displays whose token was used in the last 5 minutes.
    pub displays_seen: Gauge,
    /// Reports not delivered to Tampuuri, by state (`pending`, `failed`).
    pub outbox_backlog: Family<Labels1, Gauge>,
    /// Age of the oldest report waiting for delivery, seconds (0 when none).
    pub outbox_oldest_age: Gauge,
    /// Tampuuri calls this month, by account.
    pub month_calls: Family<AccountLabel, Gauge>,
    /// This month's calls projected to the month's end at the pace so far, by account.
    pub month_projected_calls: Family<AccountLabel, Gauge>,
    /// The month's budget of calls per account (`usage.monthly_budget_calls`, the budget
    /// guard's; default the package's included calls).
    pub month_budget_calls: Gauge,
    /// 1 while an account's budget is spent (only writes and privacy changes reach
    /// Tampuuri), by account.
    pub month_budget_over: Family<AccountLabel, Gauge>,
    /// The projected bill for the month, euros, by account.
    pub month_projected_eur: Family<AccountLabel, Gauge<f64, AtomicU64>>,
    /// Circuit breaker state by account: 1 for the current state.
    pub circuit_state: Family<[(&'static str, String); 2], Gauge>,
    /// The account mirror's changes noted and not yet fetched, by account.
    pub mirror_pending: Family<AccountLabel, Gauge>,
    /// How long the mirror's fetches have kept failing, seconds (0 when they do not).
    pub mirror_failing: Family<AccountLabel, Gauge>,
    /// Seconds since the mirror's last successful reconciliation, by account and kind
    /// (`registry`, `people`, `reports`, `news`).
    pub mirror_sync_age: Family<[(&'static str, String); 2], Gauge>,
}

impl Sampled {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let displays_seen = Gauge::default();
        registry.register(
            "rappu_displays_seen",
            "Distinct displays that used their token in the last 5 minutes",
            displays_seen.clone(),
        );
        let outbox_backlog = Family::<Labels1, Gauge>::default();
        registry.register(
            "rappu_outbox_backlog",
            "Fault reports not yet delivered to Tampuuri, by state",
            outbox_backlog.clone(),
        );
        let outbox_oldest_age = Gauge::default();
        registry.register(
            "rappu_outbox_oldest_age_seconds",
            "Age of the oldest fault report waiting for delivery (0 when none)",
            outbox_oldest_age.clone(),
        );
        let month_calls = Family::<AccountLabel, Gauge>::default();
        registry.register(
            "rappu_upstream_month_calls",
            "Tampuuri calls this calendar month (UTC), by account",
            month_calls.clone(),
        );
        let month_projected_calls = Family::<AccountLabel, Gauge>::default();
        registry.register(
            "rappu_upstream_month_projected_calls",
            "This month's Tampuuri calls projected to the month's end at the pace so far",
            month_projected_calls.clone(),
        );
        let month_budget_calls = Gauge::default();
        registry.register(
            "rappu_upstream_month_budget_calls",
            "The month's budget of Tampuuri calls per account (usage.monthly_budget_calls)",
            month_budget_calls.clone(),
        );
        let month_budget_over = Family::<AccountLabel, Gauge>::default();
        registry.register(
            "rappu_upstream_month_budget_over",
            "1 while the account's monthly budget is spent: only writes and privacy changes go to Tampuuri",
            month_budget_over.clone(),
        );
        let month_projected_eur = Family::<AccountLabel, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "rappu_upstream_month_projected_eur",
            "The month's projected Tampuuri bill in euros on the configured package",
            month_projected_eur.clone(),
        );
        let circuit_state = Family::<[(&'static str, String); 2], Gauge>::default();
        registry.register(
            "rappu_upstream_circuit_state",
            "Tampuuri circuit breaker by account: 1 for its current state (closed, open, half_open)",
            circuit_state.clone(),
        );
        let mirror_pending = Family::<AccountLabel, Gauge>::default();
        registry.register(
            "rappu_mirror_pending_changes",
            "Changes the account mirror has noted and not yet fetched",
            mirror_pending.clone(),
        );
        let mirror_failing = Family::<AccountLabel, Gauge>::default();
        registry.register(
            "rappu_mirror_failing_seconds",
            "How long the account mirror's fetches have kept failing (0 when they do not)",
            mirror_failing.clone(),
        );
        let mirror_sync_age = Family::<[(&'static str, String); 2], Gauge>::default();
        registry.register(
            "rappu_mirror_sync_age_seconds",
            "Seconds since the account mirror's last successful reconciliation, by kind",
            mirror_sync_age.clone(),
        );
        Self {
            displays_seen,
            outbox_backlog,
            outbox_oldest_age,
            month_calls,
            month_projected_calls,
            month_budget_calls,
            month_budget_over,
            month_projected_eur,
            circuit_state,
            mirror_pending,
            mirror_failing,
            mirror_sync_age,
        }
    }
}

macro_rules! detached {
    ($($ty:ty),*) => {$(
        impl $ty {
            /// Handles registered nowhere (a component built without a gateway's metrics).
            pub fn detached() -> Self {
                Self::register(&mut Registry::default())
            }
        }
    )*};
}

detached!(
    FeedMetrics,
    UpstreamMetrics,
    WebhookMetrics,
    RateLimitMetrics,
    TokenMetrics
);
