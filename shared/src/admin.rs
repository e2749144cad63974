//! Operator views: upstream usage and token administration.

use serde::{Deserialize, Serialize};

/// Upstream calls to one route in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageLine {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Route, e.g. `POST ilmoitukset/selaa`.
    pub route: String,
    /// Calls made.
    pub calls: u64,
}

/// Upstream calls of the caller's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageReport {
    /// The Tampuuri account.
    pub account: String,
    /// Calls by month and route.
    pub lines: Vec<UsageLine>,
    /// Sum of `lines`.
    pub total_calls: u64,
    /// What each month costs on the configured Tampuuri API package.
    pub bills: Vec<MonthlyBill>,
    /// Calls to Rappu by the account's third-party apps, by app, month and route.
    #[serde(default)]
    pub apps: Vec<crate::apps::AppUsageLine>,
}

/// One month's Tampuuri API bill, estimated from the calls Rappu made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyBill {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// The package, e.g. `normal`.
    pub package: String,
    /// Calls made by this gateway.
    pub calls: u64,
    /// Calls the package includes.
    pub included_calls: u64,
    /// Calls beyond that.
    pub extra_calls: u64,
    /// Fixed monthly price, euros.
    pub fixed_eur: f64,
    /// Price of the extra calls, euros.
    pub extra_eur: f64,
    /// Total, euros (VAT excluded).
    pub total_eur: f64,
}

/// A request to revoke a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokeToken {
    /// The token's `jti`: 1 to 100 visible ASCII characters (a UUID for Rappu's tokens).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[!-~]{1,100}$"))]
    pub jti: String,
    /// Why, for the record: at most 500 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub reason: Option<String>,
}
