//! Metrics in the Prometheus text format, served on their own listener (`[metrics] addr`).
//!
//! **Why `prometheus-client`**: it is the Prometheus project's own Rust client, maintained
//! with the text and OpenMetrics formats as its purpose; its registry is a value, not a
//! process-wide global (the `metrics` facade installs one global recorder, which several
//! gateways in one test process would share, and which the house rule against globals
//! forbids); label sets are typed; and counters are plain atomics whose handles can be
//! resolved once, so the hot path never hashes a label. Its histogram takes a mutex per
//! observation, so request and upstream latencies use [`histogram::AtomicHistogram`].
//!
//! - [`http`]: requests by route template, method and status, with latency.
//! - [`families`]: every other family, grouped by the module that records it.
//! - [`scrape`]: values read at scrape time (displays seen, outbox, the month's calls and
//!   projection against the budget, circuit state) and the encoding.
//! - [`listener`]: the separate HTTP listener serving `GET /metrics`.
//!
//! Labels are bounded by construction: route templates, account names from the settings,
//! outcomes and tiers from fixed lists. No token, id, address or free text is ever a label.

pub mod families;
pub mod histogram;
pub mod http;
pub mod listener;
pub mod scrape;

use std::ops::Deref;
use std::sync::Arc;

use prometheus_client::registry::Registry;

pub use families::{
    FeedMetrics, RateLimitMetrics, Sampled, TokenMetrics, TokenOutcome, UpstreamMetrics,
    WebhookMetrics,
};
pub use http::HttpMetrics;

/// Every metric of one gateway; cheap to clone. Each component holds the part it records.
#[derive(Clone, Debug)]
pub struct Metrics(Arc<Inner>);

/// The metric handles and the registry that encodes them.
#[derive(Debug)]
pub struct Inner {
    registry: Registry,
    /// Requests (the envelope records them).
    pub http: Arc<HttpMetrics>,
    /// The display feed's cache.
    pub feed: FeedMetrics,
    /// Tampuuri calls.
    pub upstream: UpstreamMetrics,
    /// Webhook deliveries.
    pub webhooks: WebhookMetrics,
    /// Requests refused for quota.
    pub rate_limits: RateLimitMetrics,
    /// Token verifications.
    pub tokens: TokenMetrics,
    /// Values read at scrape time.
    pub sampled: Sampled,
}

impl Deref for Metrics {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of metrics with its own registry.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http = Arc::new(HttpMetrics::default());
        registry.register_collector(Box::new(Arc::clone(&http)));
        let feed = FeedMetrics::register(&mut registry);
        let upstream = UpstreamMetrics::register(&mut registry);
        let webhooks = WebhookMetrics::register(&mut registry);
        let rate_limits = RateLimitMetrics::register(&mut registry);
        let tokens = TokenMetrics::register(&mut registry);
        let sampled = Sampled::register(&mut registry);
        Self(Arc::new(Inner {
            registry,
            http,
            feed,
            upstream,
            webhooks,
            rate_limits,
            tokens,
            sampled,
        }))
    }

    /// Every family in the Prometheus text format (version 0.0.4), as they stand.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }
}

/// The `Content-Type` of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
