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
    /// A name for the display, e.g. `Koivukuja 3 A, entrance`: at most 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
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

/// A language Rappu writes to residents in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Finnish.
    #[default]
    Fi,
    /// English.
    En,
}

/// Ask for a sign-in link by email (`POST /api/v1/auth/email-link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "aino.virtanen@example.fi", "language": "fi"})))]
#[serde(deny_unknown_fields)]
pub struct EmailLinkRequest {
    /// The resident's email address as Tampuuri has it (case does not matter): printable
    /// ASCII, one `@`, a dot in the domain, at most 254 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[!-?A-~]{1,64}@[!-?A-~]+\.[!-?A-~]+$",
            max_length = 254,
            example = "aino.virtanen@example.fi"
        )
    )]
    pub email: String,
    /// The language of the mail (the other one follows it). Default `fi`.
    #[serde(default)]
    pub language: Language,
}

/// The answer to every well-formed sign-in request, whether or not the address is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"link_valid_secs": 900})))]
pub struct EmailLinkSent {
    /// How long the link in the mail works, if one is sent (it works once).
    pub link_valid_secs: u64,
}

/// One apartment a resident may sign in for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApartmentOption {
    /// The apartment's object id.
    #[cfg_attr(feature = "openapi", schema(example = 100012))]
    pub apartment: u64,
    /// The apartment and its property.
    #[cfg_attr(feature = "openapi", schema(example = "A 12, As Oy Koivukuja 3"))]
    pub label: String,
}

/// A sign-in link of a resident with several current apartments: pick one
/// (`POST /api/v1/auth/apartment`) within 10 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"apartments": [
    {"apartment": 100012, "label": "A 12, As Oy Koivukuja 3"},
    {"apartment": 100231, "label": "B 4, As Oy Mäntytie 8"}]})))]
pub struct ApartmentChoice {
    /// The apartments, in Tampuuri's order.
    pub apartments: Vec<ApartmentOption>,
}

/// The apartment picked (`POST /api/v1/auth/apartment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"apartment": 100012})))]
#[serde(deny_unknown_fields)]
pub struct PickApartment {
    /// One of the offered apartments' ids.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub apartment: u64,
}
