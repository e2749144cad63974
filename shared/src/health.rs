//! Liveness and readiness answers (`/healthz`, `/readyz`).

use serde::{Deserialize, Serialize};

/// The answer of `/healthz`: the process is up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok` when the process answers at all.
    pub status: String,
    /// The gateway's version.
    pub version: String,
}

/// The answer of `/readyz`: can this instance serve traffic?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `ready` or `not-ready`.
    pub status: String,
    /// Each check by name, `ok` or what failed.
    pub checks: Vec<ReadinessCheck>,
}

/// One readiness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessCheck {
    /// What was checked (`store`, `keys`, `upstream`).
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// A short note: what failed, or facts such as the upstream mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
