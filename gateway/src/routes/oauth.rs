//! OAuth 2.0 for third-party apps: the token endpoint (client credentials, RFC 6749 §4.4),
//! the signing keys (RFC 7517) and the server's metadata (RFC 8414).
//!
//! The token endpoint's errors are RFC 6749 §5.2 JSON (`application/json`, `error`,
//! `error_description`), which OAuth libraries read; the same body is also a problem
//! document, so every other client reads it like any other Rappu error.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rappu_shared::Problem;
use rappu_shared::apps::{
    AuthorizationServerMetadata, Jwk, JwkSet, OAuthError, Scope, TokenResponse,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::apps::token::{Issuer, TokenError};
use crate::http::context::{self, KeepBody};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(jwks))
        .routes(routes!(metadata))
}

/// The form of `POST /oauth/token` (documentation: the handler reads the form itself, to
/// answer every fault with an RFC 6749 error).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TokenForm {
    /// Always `client_credentials`.
    #[schema(pattern = "^client_credentials$", example = "client_credentials")]
    grant_type: String,
    /// The scopes wanted, space-separated, each one of the app's; absent: all of them.
    #[schema(example = "feeds:read reports:read", max_length = 200)]
    scope: Option<String>,
    /// The client id, when not sent with HTTP Basic.
    #[schema(
        example = "rappu-app-3f6c2a9d41b8e705",
        pattern = "^rappu-app-[0-9a-f]{16}$"
    )]
    client_id: Option<String>,
    /// The client secret, when not sent with HTTP Basic.
    #[schema(
        example = "rappu-secret-Jx0bq3S1lVb7X0QkYc2w9fTnR4uHmLpA6eKdZsGyBvE",
        max_length = 200
    )]
    client_secret: Option<String>,
}

/// A short-lived access token for a registered app (OAuth 2.0 client credentials, RFC
/// 6749 §4.4). Authenticate with HTTP Basic (`client_id:client_secret`, RFC 6749 §2.3.1)
/// or with `client_id` and `client_secret` in the form. The token is a JWT (`typ: at+jwt`,
/// EdDSA) whose `scope` and `client_id` claims name what it may do; verify it with the
/// keys at `/.well-known/jwks.json`. At most `oauth.failed_auth_per_minute` (10) failed
/// authentications a minute per client id; a secret that was rotated or an app that was
/// revoked fails like a wrong secret.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content = inline(TokenForm), content_type = "application/x-www-form-urlencoded",
        example = json!({"grant_type": "client_credentials", "scope": "feeds:read reports:read"})),
    responses(
        (status = 200, description = "The token", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"),
                    ("Pragma" = String, description = "`no-cache`"))),
        (status = 400, description = "`invalid_request` (a parameter missing, repeated or malformed; not a form; credentials both ways), `unsupported_grant_type` or `invalid_scope`", body = OAuthError,
            example = json!({"error": "invalid_scope", "error_description": "reports:read is not one of this app's scopes", "type": "urn:rappu:problem:invalid-scope", "title": "Scope not allowed", "status": 400, "detail": "reports:read is not one of this app's scopes", "instance": "/oauth/token", "request_id": "0193f6d2-8a0e-7c55-b1f5-0d7e5f1d2a10"})),
        (status = 401, description = "`invalid_client`: unknown client, wrong secret, rotated secret or revoked app (one answer for all)", body = OAuthError,
            headers(("WWW-Authenticate" = String, description = "`Basic realm=\"rappu\"` when HTTP Basic was used"))),
        (status = 429, description = "`slow_down`: too many failed authentications for this client id, or the per-client-address limit", body = OAuthError,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`temporarily_unavailable`: the token could not be issued now", body = OAuthError)))]
async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let outcome = if is_form {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .map(|v| std::str::from_utf8(v.as_bytes()).unwrap_or(""));
        Issuer {
            apps: &state.apps,
            tokens: &state.tokens,
            store: &state.store,
            replicas: state.limits.replicas(),
        }
        .issue(authorization, &body)
        .await
    } else {
        Err(TokenError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ))
    };
    match outcome {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => token_error(&e),
    }
}

/// The RFC 6749 §5.2 answer to `error`, also a problem document.
fn token_error(error: &TokenError) -> Response {
    let (status, slug, title) = match error {
        TokenError::InvalidRequest(_) => (
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "Invalid token request",
        ),
        TokenError::InvalidClient { .. } => (
            StatusCode::UNAUTHORIZED,
            "invalid-client",
            "Client authentication failed",
        ),
        TokenError::UnsupportedGrantType => (
            StatusCode::BAD_REQUEST,
            "unsupported-grant-type",
            "Unsupported grant type",
        ),
        TokenError::InvalidScope(_) => (
            StatusCode::BAD_REQUEST,
            "invalid-scope",
            "Scope not allowed",
        ),
        TokenError::TooManyFailures(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
        ),
        TokenError::Unavailable(why) => {
            tracing::error!(error = %why, "an access token could not be issued");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
            )
        }
    };
    let description = error.description();
    let mut problem = Problem::new(slug, title, status.as_u16()).with_detail(description.clone());
    context::fill(&mut problem);
    let body = OAuthError {
        error: error.code().to_owned(),
        error_description: description,
        problem,
    };
    let mut response = (status, Json(body)).into_response();
    response.extensions_mut().insert(KeepBody);
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    match error {
        TokenError::InvalidClient { basic: true } => {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"rappu\""),
            );
        }
        TokenError::TooManyFailures(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        _ => {}
    }
    response
}

/// The public keys Rappu's tokens are signed with (JWK Set, RFC 7517; Ed25519 keys per RFC
/// 8037), one per `kid` still in use: a new key appears here when it is generated and the
/// old one stays until it is removed, so a verifier that refreshes this on an unknown `kid`
/// never misses a rotation.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "oauth",
    responses(
        (status = 200, description = "The signing keys", body = JwkSet,
            headers(("Cache-Control" = String, description = "`public, max-age=300`")),
            example = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k20261130080000000", "alg": "EdDSA", "use": "sig"}]}))))]
async fn jwks(State(state): State<AppState>) -> Response {
    let keys = state
        .tokens
        .keys()
        .public_keys()
        .map(|(kid, key)| Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: URL_SAFE_NO_PAD.encode(key),
            kid: kid.to_owned(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
        })
        .collect();
    let mut response = Json(JwkSet { keys }).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// Where and how to get a token (RFC 8414). `issuer` is this server's URL
/// (`server.public_url`); the tokens' own `iss` and `aud` claims are `auth.issuer` and
/// `auth.audience`, given here as `rappu_token_issuer` and `rappu_token_audience`.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth",
    responses(
        (status = 200, description = "The metadata", body = AuthorizationServerMetadata,
            headers(("Cache-Control" = String, description = "`public, max-age=300`")))))]
async fn metadata(State(state): State<AppState>) -> Response {
    let base = state.public_url.trim_end_matches('/');
    let auth = &state.settings.auth;
    let answer = AuthorizationServerMetadata {
        issuer: base.to_owned(),
        token_endpoint: format!("{base}/oauth/token"),
        jwks_uri: format!("{base}/.well-known/jwks.json"),
        scopes_supported: Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
        response_types_supported: Vec::new(),
        grant_types_supported: vec!["client_credentials".into()],
        token_endpoint_auth_methods_supported: vec![
            "client_secret_basic".into(),
            "client_secret_post".into(),
        ],
        service_documentation: format!("{base}/docs/"),
        rappu_token_audience: auth.audience.clone(),
        rappu_token_issuer: auth.issuer.clone(),
    };
    let mut response = Json(answer).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
