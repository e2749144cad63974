//! Webhooks: listeners, bundles and their delivery with retries.
//!
//! Each data change becomes one bundle per interested listener, delivered by its own
//! background task (`hub`): POST JSON, retried on a non-2xx answer, an error or a timeout
//! after `backoff`, `2 × backoff`, `4 × backoff`, ... up to `max_attempts` attempts in all.
//! Every attempt carries the same bundle `Id` and notification ids and the next `Attempt`,
//! and is recorded for `GET /_sim/webhooks/deliveries`.

pub(crate) mod hub;

use serde::{Deserialize, Serialize};

/// A listener, as `POST /_sim/webhooks` registers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookListener {
    /// Where bundles are POSTed.
    pub url: String,
    /// Actions wanted; `"*"` = all.
    #[serde(default = "all_events")]
    pub events: Vec<String>,
    /// A header sent with every delivery (how the listener knows it is us).
    #[serde(default)]
    pub header: Option<WebhookHeader>,
    /// Only changes of this account; `None` = every account.
    #[serde(default)]
    pub account: Option<String>,
}

/// A header sent with every delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookHeader {
    /// Header name, e.g. `X-Rappu-Webhook-Secret`.
    pub name: String,
    /// Header value.
    pub value: String,
}

fn all_events() -> Vec<String> {
    vec!["*".to_owned()]
}

impl WebhookListener {
    /// A listener for every event of every account, without a header.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            events: all_events(),
            header: None,
            account: None,
        }
    }

    /// The same listener, sending this header with every delivery.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.header = Some(WebhookHeader {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    fn wants(&self, account: &str, action: &str) -> bool {
        self.account.as_deref().is_none_or(|a| a == account)
            && self.events.iter().any(|e| e == "*" || e == action)
    }
}

/// A registered listener with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredListener {
    /// Listener id.
    pub id: u64,
    /// The listener.
    #[serde(flatten)]
    pub listener: WebhookListener,
}

/// One notification in a bundle (Tampuuri's shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Notification {
    /// What happened, e.g. `IlmoitusUusi`.
    pub action: String,
    /// Notification id (a UUID), the same on every attempt.
    pub id: String,
    /// The account name.
    pub account: String,
    /// The changed thing's id.
    pub reference_id: String,
    /// A second id (the party of a connection change), or `""`.
    pub reference_secondary_id: String,
    /// Context (the object of a report or announcement, the connection id), or `""`.
    pub reference_data: String,
    /// Always `""`.
    pub reference_json: String,
    /// When, UTC: `2021-10-28T06:13:18.12`.
    pub timestamp: String,
    /// Always `UTC`.
    pub date_time_zone: String,
}

/// The body of one delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bundle {
    /// Bundle id (32 hex digits), the same on every attempt.
    pub id: String,
    /// 1 on the first attempt, then 2, 3, ...
    pub attempt: u32,
    /// Always `{}`.
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// The notifications.
    pub notifications: Vec<Notification>,
}

/// One delivery attempt, as `GET /_sim/webhooks/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The listener's id.
    pub listener_id: u64,
    /// The listener's URL.
    pub url: String,
    /// The bundle id.
    pub bundle_id: String,
    /// The attempt number.
    pub attempt: u32,
    /// The listener's HTTP status; `None` when no answer came (timeout, refused).
    pub status: Option<u16>,
    /// Why the attempt failed, if it did.
    pub error: Option<String>,
    /// The bundle's notifications.
    pub notifications: Vec<Notification>,
    /// When the attempt finished.
    pub at: String,
}
