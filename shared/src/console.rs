//! What the operator's console shows: displays, the month's Tampuuri usage day by day,
//! upstream health, tokens. Served by the admin API (`/api/v1/admin/...`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Grant;
use crate::admin::MonthlyBill;

/// A display as the console lists it: a paired screen, or any display token in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsoleDisplay {
    /// The paired display's id (absent for a display known only by its token).
    pub id: Option<String>,
    /// The name an operator gave it.
    pub label: Option<String>,
    /// Building object id.
    pub building: u64,
    /// Staircase object id, when it shows one.
    pub staircase: Option<u64>,
    /// When it last used its session or token.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Seen within the last 5 minutes.
    pub online: bool,
    /// The version (ETag) of the feed its building or staircase serves now.
    pub feed_version: Option<String>,
    /// Whether the feed it is served is stale (Tampuuri failing).
    pub feed_stale: bool,
}

/// Calls on one day of the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCalls {
    /// Day of the month, 1–31.
    pub day: u32,
    /// Calls made that day (UTC).
    pub calls: u64,
}

/// Calls to one route this month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteCalls {
    /// Route template, e.g. `GET kohteet/{id}`.
    pub route: String,
    /// Calls made.
    pub calls: u64,
}

/// The month's Tampuuri usage of the admin's account, for the console's chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageMonth {
    /// The Tampuuri account.
    pub account: String,
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Days in the month.
    pub days_in_month: u32,
    /// Today's day of the month (UTC).
    pub today: u32,
    /// Calls per day so far (days without calls included, as 0).
    pub days: Vec<DayCalls>,
    /// Calls by route this month, most first.
    pub routes: Vec<RouteCalls>,
    /// Calls this month.
    pub calls: u64,
    /// This month's calls projected to the month's end at the pace so far.
    pub projected_calls: u64,
    /// The budget line: the month's budget of calls (`usage.monthly_budget_calls`, by
    /// default the calls the configured package includes).
    pub budget_calls: u64,
    /// The projection is past 80 % of the budget.
    pub budget_warn: bool,
    /// The budget is spent: only writes and privacy changes go to Tampuuri, the rest is
    /// served from the account mirror marked stale.
    pub budget_over: bool,
    /// The projected bill on the configured package.
    pub projected_bill: MonthlyBill,
    /// The last 12 months' bills (this one included), oldest first.
    pub history: Vec<MonthlyBill>,
}

/// One account's circuit breaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountCircuit {
    /// The Tampuuri account.
    pub account: String,
    /// `closed`, `open` or `half_open`.
    pub state: String,
    /// Calls in a row that found Tampuuri unavailable.
    pub consecutive_failures: u32,
    /// Seconds until a probe is let through (open only).
    pub retry_in_secs: Option<u64>,
}

/// A recent failed Tampuuri call (no URL, no data: the route template and the outcome).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpstreamFailure {
    /// When it ended.
    pub at: DateTime<Utc>,
    /// The Tampuuri account.
    pub account: String,
    /// Route template.
    pub route: String,
    /// The HTTP status, or `timeout`, `connection_failed`, `request_failed`.
    pub status: String,
}

/// Latency of one route's calls since start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteLatency {
    /// Route template.
    pub route: String,
    /// Calls measured.
    pub calls: u64,
    /// Half the calls took at most this, milliseconds (a histogram bucket's bound).
    pub p50_ms: f64,
    /// 95 % of the calls took at most this, milliseconds (a bucket's bound).
    pub p95_ms: f64,
}

/// A display scope served from stale data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleFeed {
    /// Building object id.
    pub building: u64,
    /// Staircase object id, for a staircase's feed.
    pub staircase: Option<u64>,
    /// How old the data is.
    pub data_as_of: DateTime<Utc>,
}

/// How Tampuuri is doing, as the console's Upstream health page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpstreamHealth {
    /// Each account's circuit breaker.
    pub circuits: Vec<AccountCircuit>,
    /// The latest failed calls, newest first (at most 50).
    pub recent_failures: Vec<UpstreamFailure>,
    /// Latency by route.
    pub latency: Vec<RouteLatency>,
    /// Feeds served from stale data now (empty when all is fresh).
    pub stale_feeds: Vec<StaleFeed>,
    /// The account mirror every read is served from (absent for an unknown account).
    pub mirror: Option<ConsoleMirror>,
}

/// How the account mirror is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsoleMirror {
    /// The last successful reconciliation of each kind.
    pub syncs: Vec<MirrorSync>,
    /// Since when its fetches keep failing, if they do.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why the last fetch failed (Tampuuri's status or the network's error, no data).
    pub last_error: Option<String>,
    /// Changes noted (by webhooks) and not yet fetched.
    pub pending: u64,
    /// Reconciliations held back by the monthly budget.
    pub held_back: bool,
}

/// One kind of reconciliation of the account mirror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MirrorSync {
    /// `registry`, `people`, `reports` or `news`.
    pub kind: String,
    /// When it last succeeded.
    pub at: DateTime<Utc>,
    /// The calls it made.
    pub calls: u64,
}

/// A minted token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    /// The token id (`jti`), for revocation.
    pub jti: String,
    /// `sub`.
    pub subject: String,
    /// Role and scope.
    pub grant: Grant,
    /// When it was minted.
    pub issued_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Whether it has been revoked.
    pub revoked: bool,
}

/// A token to mint from the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who it is for (`sub`): 1 to 100 characters, e.g. "Huoltoyhtiö Oy integration".
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub subject: String,
    /// Role and scope (ids 1 to 9223372036854775807).
    pub grant: Grant,
    /// Days it is valid, 1 to 365.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub ttl_days: u32,
}

/// A freshly minted token: shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MintedToken {
    /// The bearer token (not kept anywhere; copy it now).
    pub token: String,
    /// Its id and record.
    pub info: TokenInfo,
}
