//! Third-party apps: their registration by an operator, and the OAuth 2.0 token answers
//! (RFC 6749 §4.4 client credentials, errors per §5.2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an app may do. Each scope is narrowed to buildings or properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    /// The display feed of a building (`GET /api/v1/buildings/{id}/feed`).
    #[serde(rename = "feeds:read")]
    FeedsRead,
    /// A building's announcements (`GET /api/v1/buildings/{id}/announcements`).
    #[serde(rename = "announcements:read")]
    AnnouncementsRead,
    /// Fault reports of a building as work orders (`GET /api/v1/buildings/{id}/work-orders`,
    /// `GET /api/v1/work-orders/{id}`).
    #[serde(rename = "reports:read")]
    ReportsRead,
    /// Receive, hold and complete those work orders.
    #[serde(rename = "work-orders:write")]
    WorkOrdersWrite,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 4] = [
        Scope::FeedsRead,
        Scope::AnnouncementsRead,
        Scope::ReportsRead,
        Scope::WorkOrdersWrite,
    ];

    /// The scope's name on the wire (`feeds:read`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::FeedsRead => "feeds:read",
            Scope::AnnouncementsRead => "announcements:read",
            Scope::ReportsRead => "reports:read",
            Scope::WorkOrdersWrite => "work-orders:write",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A Tampuuri object id (documentation of the ids in lists: at most `i64::MAX`, what
/// Tampuuri's signed ids hold).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(value_type = u64, maximum = 9_223_372_036_854_775_807_u64, example = 100001)]
pub struct ObjectId(pub u64);

/// A web origin as a browser sends it (documentation of [`NewApp::origins`]):
/// `https://` and a DNS name (lower case; its last label starts with a letter), or `http://`
/// to `localhost` or `127.0.0.1`; an optional port 1 to 65535 (a default port is dropped).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(
    value_type = String,
    pattern = r"^(https://([a-z0-9]+(-[a-z0-9]+)*\.)*[a-z][a-z0-9]*(-[a-z0-9]+)*|http://(localhost|127\.0\.0\.1))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?$",
    max_length = 300,
    example = "https://tyot.huolto-virtanen.example.fi"
)]
pub struct WebOrigin(pub String);

/// One scope of an app and where it applies: the listed buildings, and every building of
/// the listed properties (housing companies). At least one of the two lists is not empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"scope": "feeds:read", "buildings": [100001], "properties": []})))]
#[serde(deny_unknown_fields)]
pub struct ScopeGrant {
    /// The scope.
    pub scope: Scope,
    /// Building object ids (at most 1000).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ObjectId>, max_items = 1000, example = json!([100001])))]
    pub buildings: Vec<u64>,
    /// Property (cost centre) object ids (at most 1000): all their buildings.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ObjectId>, max_items = 1000, example = json!([100000])))]
    pub properties: Vec<u64>,
}

/// An app to register (`POST /api/v1/admin/apps`) or its new settings (`PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Huolto-Virtanen työnohjaus",
    "contact": "it@huolto-virtanen.example.fi",
    "scopes": [
        {"scope": "reports:read", "buildings": [], "properties": [100000]},
        {"scope": "work-orders:write", "buildings": [], "properties": [100000]},
        {"scope": "feeds:read", "buildings": [100001], "properties": []}
    ],
    "origins": ["https://tyot.huolto-virtanen.example.fi"],
    "rate_limit_per_minute": 300,
    "rate_limit_burst": 50
})))]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    /// The app's name, shown to operators: 1 to 100 characters, not only spaces.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Who answers for it (an email address or a phone number): 1 to 254 characters, not
    /// only spaces.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 254))]
    pub contact: String,
    /// What it may do and where: 1 to 4 entries, each scope once.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 4))]
    pub scopes: Vec<ScopeGrant>,
    /// Web origins its browser front-end runs on (`https://host[:port]`; `http://` only for
    /// `localhost` or `127.0.0.1`), at most 10: cross-origin requests from them get CORS
    /// answers. Empty: none (a server-side app).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<WebOrigin>, max_items = 10, example = json!(["https://tyot.huolto-virtanen.example.fi"])))]
    pub origins: Vec<String>,
    /// Its requests per minute, 1 to 6000 (default `oauth.app_per_minute`, 600).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 6000))]
    pub rate_limit_per_minute: Option<u32>,
    /// Its burst, 1 to 1000 (default `oauth.app_burst`, 100).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub rate_limit_burst: Option<u32>,
}

/// A registered app (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppView {
    /// The client id (`client_id` at `POST /oauth/token`).
    #[cfg_attr(feature = "openapi", schema(example = "rappu-app-3f6c2a9d41b8e705"))]
    pub client_id: String,
    /// The Tampuuri account its data comes from.
    #[cfg_attr(feature = "openapi", schema(example = "demo"))]
    pub account: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(example = "Huolto-Virtanen työnohjaus"))]
    pub name: String,
    /// Contact.
    #[cfg_attr(feature = "openapi", schema(example = "it@huolto-virtanen.example.fi"))]
    pub contact: String,
    /// Scopes and where they apply.
    pub scopes: Vec<ScopeGrant>,
    /// Allowed browser origins.
    #[cfg_attr(feature = "openapi", schema(example = json!(["https://tyot.huolto-virtanen.example.fi"])))]
    pub origins: Vec<String>,
    /// Requests per minute in force.
    #[cfg_attr(feature = "openapi", schema(example = 600))]
    pub rate_limit_per_minute: u32,
    /// Burst in force.
    #[cfg_attr(feature = "openapi", schema(example = 100))]
    pub rate_limit_burst: u32,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// When the current secret was made (tokens issued before it are refused).
    pub secret_set_at: DateTime<Utc>,
    /// Revoked: its tokens and its secret no longer work.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its calls to Rappu this month (UTC).
    #[cfg_attr(feature = "openapi", schema(example = 1824))]
    pub calls_this_month: u64,
    /// Its last call, if any.
    pub last_call_at: Option<DateTime<Utc>>,
}

/// A new app's (or a rotated) secret: shown this once, stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppCredentials {
    /// The client id.
    #[cfg_attr(feature = "openapi", schema(example = "rappu-app-3f6c2a9d41b8e705"))]
    pub client_id: String,
    /// The client secret. Keep it on a server; Rappu cannot show it again.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "rappu-secret-Jx0bq3S1lVb7X0QkYc2w9fTnR4uHmLpA6eKdZsGyBvE")
    )]
    pub client_secret: String,
    /// The app.
    pub app: AppView,
}

/// An app's calls in one month to one route (`GET /api/v1/admin/usage` adds them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppUsageLine {
    /// The app.
    #[cfg_attr(feature = "openapi", schema(example = "rappu-app-3f6c2a9d41b8e705"))]
    pub client_id: String,
    /// `YYYY-MM` (UTC).
    #[cfg_attr(feature = "openapi", schema(example = "2026-11"))]
    pub month: String,
    /// Route template, e.g. `GET /api/v1/buildings/{building_id}/feed`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "GET /api/v1/buildings/{building_id}/feed")
    )]
    pub route: String,
    /// Calls.
    #[cfg_attr(feature = "openapi", schema(example = 1440))]
    pub calls: u64,
}

/// A successful token answer (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImsyMDI2MTEzMDA4MDAwMDAwMCIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL3JhcHB1LmV4YW1wbGUuZmkifQ.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_in": 900,
    "scope": "feeds:read reports:read"
})))]
pub struct TokenResponse {
    /// The access token: a JWT (`typ: at+jwt`, EdDSA) to send as `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// A token error (RFC 6749 §5.2), which is also a problem document (RFC 9457): OAuth
/// libraries read `error`, everything else reads `type`. Sent as `application/json`, as
/// RFC 6749 requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "error": "invalid_client",
    "error_description": "client authentication failed",
    "type": "urn:rappu:problem:invalid-client",
    "title": "Client authentication failed",
    "status": 401,
    "detail": "client authentication failed",
    "instance": "/oauth/token",
    "request_id": "0193f6d2-8a0e-7c55-b1f5-0d7e5f1d2a10"
})))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, `invalid_scope`, or
    /// `slow_down` (too many failed authentications: wait `Retry-After` seconds).
    #[cfg_attr(feature = "openapi", schema(example = "invalid_client"))]
    pub error: String,
    /// What went wrong, for the developer.
    #[cfg_attr(feature = "openapi", schema(example = "client authentication failed"))]
    pub error_description: String,
    /// The same as a problem document.
    #[serde(flatten)]
    pub problem: crate::Problem,
}

/// One public signing key (RFC 7517, an Ed25519 key per RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jwk {
    /// Always `OKP`.
    #[cfg_attr(feature = "openapi", schema(example = "OKP"))]
    pub kty: String,
    /// Always `Ed25519`.
    #[cfg_attr(feature = "openapi", schema(example = "Ed25519"))]
    pub crv: String,
    /// The public key, base64url without padding.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            pattern = "^[A-Za-z0-9_-]{43}$"
        )
    )]
    pub x: String,
    /// The key id, as in the `kid` header of the tokens it signs.
    #[cfg_attr(feature = "openapi", schema(example = "k20261130080000000"))]
    pub kid: String,
    /// Always `EdDSA`.
    #[cfg_attr(feature = "openapi", schema(example = "EdDSA"))]
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[cfg_attr(feature = "openapi", schema(example = "sig"))]
    pub use_: String,
}

/// The keys Rappu's tokens are signed with (RFC 7517 JWK Set): every `kid` still in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// How to get a token from Rappu (RFC 8414 authorization server metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "issuer": "https://rappu.example.fi",
    "token_endpoint": "https://rappu.example.fi/oauth/token",
    "jwks_uri": "https://rappu.example.fi/.well-known/jwks.json",
    "scopes_supported": ["feeds:read", "announcements:read", "reports:read", "work-orders:write"],
    "response_types_supported": [],
    "grant_types_supported": ["client_credentials"],
    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    "service_documentation": "https://rappu.example.fi/docs/",
    "rappu_token_audience": "rappu-api",
    "rappu_token_issuer": "rappu"
})))]
pub struct AuthorizationServerMetadata {
    /// This server's URL.
    pub issuer: String,
    /// Where apps get tokens (`POST`, client credentials).
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
    /// The scopes an app may be given.
    pub scopes_supported: Vec<String>,
    /// Empty: there is no authorization endpoint (client credentials only).
    pub response_types_supported: Vec<String>,
    /// `client_credentials`.
    pub grant_types_supported: Vec<String>,
    /// `client_secret_basic` (HTTP Basic) and `client_secret_post` (in the form).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// The API documentation.
    pub service_documentation: String,
    /// The `aud` claim of the tokens issued, for a service verifying them.
    pub rappu_token_audience: String,
    /// The `iss` claim of the tokens issued (a name, not a URL).
    pub rappu_token_issuer: String,
}

/// A building's current announcements (`GET /api/v1/buildings/{building_id}/announcements`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "building": 100001,
    "announcements": [{
        "id": 5001,
        "title": "Vesikatko to 4.12. klo 9–12",
        "body": "Putkiremontin vuoksi kylmä ja lämmin vesi ovat poissa A- ja B-portaista torstaina 4.12. klo 9–12.",
        "published_at": "2026-11-28T08:00:00Z",
        "valid_until": "2026-12-04T12:00:00Z"
    }],
    "data_as_of": "2026-11-30T07:59:12Z",
    "stale": false
})))]
pub struct BuildingAnnouncements {
    /// The building's object id.
    pub building: u64,
    /// Announcements valid now, newest first.
    pub announcements: Vec<crate::display::FeedAnnouncement>,
    /// When the oldest Tampuuri data in the answer was fetched.
    pub data_as_of: DateTime<Utc>,
    /// True when Tampuuri could not be reached and older data stands in.
    pub stale: bool,
}
