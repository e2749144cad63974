//! Browser sessions: displays enrol once with a one-time link, residents sign in with a
//! one-time link (or, in demo mode, by picking a demo resident). The session itself lives in
//! an HttpOnly cookie the web app never sees.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A one-time code from an enrolment or login link (`POST /api/v1/display/enroll`,
/// `POST /api/v1/auth/login`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RedeemCode {
    /// The code from the link (43 URL-safe base64 characters).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9_\-]{43}$"))]
    pub code: String,
}

/// A resident the demo lets you sign in as (simulated data only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemoResident {
    /// Who, e.g. `Aino V., A 12, As Oy Koivukuja 3`.
    pub label: String,
    /// Party id.
    pub party: u64,
    /// Apartment object id.
    pub apartment: u64,
}

/// Sign in as a demo resident (`POST /api/v1/auth/demo-login`, demo mode only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DemoLogin {
    /// Party id.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub party: u64,
    /// Apartment object id.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub apartment: u64,
}

/// A display enrolment to create (`POST /api/v1/admin/displays/enrolments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEnrolment {
    /// Building object id.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub building: u64,
    /// Staircase object id, for a display that shows one staircase.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub staircase: Option<u64>,
    /// A name for the display, e.g. `Koivukuja 3 A, entrance`.
    #[serde(default)]
    pub label: Option<String>,
}

/// A resident login link to create (`POST /api/v1/admin/residents/login-links`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLoginLink {
    /// Party id of the resident.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub party: u64,
    /// Apartment object id.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub apartment: u64,
}

/// A one-time link: open it once on the device that should get the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OneTimeLink {
    /// The link.
    pub url: String,
    /// It stops working then, or when used.
    pub expires_at: DateTime<Utc>,
}

/// What Tampuuri knows of how to reach the signed-in resident (`GET /api/v1/me/contact`):
/// the portal fills the report form's phone field with it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyContact {
    /// The resident's phone (the mobile number first), when Tampuuri has one.
    pub phone: Option<String>,
}
