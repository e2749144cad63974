//! What can go wrong calling Tampuuri, in terms the gateway can act on.
//!
//! Messages never contain the URL, the credentials or a payload: they may reach a log line.

use std::time::Duration;

/// A failed Tampuuri call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// 401/403: the configured credentials were refused. An operator must fix the config.
    #[error("Tampuuri refused the credentials of account {account}")]
    Unauthorized {
        /// The account whose credentials failed.
        account: String,
    },
    /// 404: the object does not exist (or this account cannot see it).
    #[error("not found in Tampuuri ({route})")]
    NotFound {
        /// Route label.
        route: &'static str,
    },
    /// 409: the object is not in a state that allows this (an illegal transition).
    #[error("Tampuuri refused the change as conflicting ({route})")]
    Conflict {
        /// Route label.
        route: &'static str,
    },
    /// Another 4xx: Tampuuri says our request was wrong.
    #[error("Tampuuri rejected the request with {status} ({route})")]
    Rejected {
        /// Route label.
        route: &'static str,
        /// The status code.
        status: u16,
    },
    /// 5xx, timeout, or no connection: try again later.
    #[error("Tampuuri is unavailable: {reason} ({route})")]
    Unavailable {
        /// Route label.
        route: &'static str,
        /// What happened, e.g. `status 503`, `timeout`, `connection failed`.
        reason: String,
        /// When Tampuuri said to retry, if it did.
        retry_after: Option<Duration>,
    },
    /// A 2xx whose body is not what the route returns.
    #[error("Tampuuri sent a response Rappu cannot read ({route}): {detail}")]
    BadResponse {
        /// Route label.
        route: &'static str,
        /// Which part failed to decode (a path and an error class, never the data).
        detail: String,
    },
    /// Too many calls in flight, or too many a second for the account; the wait timed out.
    #[error("too many Tampuuri calls in flight")]
    Saturated,
    /// The account's circuit breaker is open: Tampuuri failed call after call, so calls
    /// fail at once (without reaching it) until `retry_after` has passed.
    #[error("Tampuuri calls paused after repeated failures ({route}); next try in {}s", retry_after.as_secs())]
    CircuitOpen {
        /// Route label.
        route: &'static str,
        /// When a probe call will be let through.
        retry_after: Duration,
    },
}

impl UpstreamError {
    /// Whether retrying the same call later could succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. } | Self::Saturated | Self::CircuitOpen { .. }
        )
    }
}
