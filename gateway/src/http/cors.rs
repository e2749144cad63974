//! Cross-origin requests: closed by default, open to the origins registered apps list.
//!
//! `tower_http`'s [`CorsLayer`] with a predicate over the app registry: a request from a
//! page at an origin that an app in force lists gets CORS answers on the API and the
//! `/.well-known/` documents (preflights included: every `OPTIONS` is answered `200` by the
//! layer, with the allow headers only for such an origin); any other origin gets none, so
//! the browser keeps the answer from the page. Never with credentials: cookies stay
//! same-origin, apps send their bearer token.
//!
//! Cross-site request forgery protection ([`CsrfLayer`]) refuses state-changing requests
//! from another site's page; that protects cookie sessions. A request that carries its
//! token in `Authorization: Bearer` has no ambient credential to abuse (and from a browser it
//! passed the CORS preflight first), so it is not subject to it: that is what lets a
//! registered app's page `POST` a work order's change.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::csrf::CsrfLayer;

use crate::apps::Apps;

/// How long a browser may keep a preflight's answer.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Whether `path` is one a registered app's page may call across origins.
fn cross_origin_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/.well-known/")
}

/// The CORS layer: open only to the origins of the apps in force in `apps`.
pub fn layer(apps: Apps) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, parts| {
                cross_origin_path(parts.uri.path())
                    && origin
                        .to_str()
                        .is_ok_and(|origin| apps.any_lists_origin(origin))
            },
        ))
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            HeaderName::from_static("ratelimit"),
            HeaderName::from_static("ratelimit-policy"),
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(PREFLIGHT_MAX_AGE)
}

/// Middleware: `cors` for requests from a web page (with `Origin`) and for the public
/// `/.well-known/` documents; other requests (servers, same-origin `GET`s, the displays'
/// polls) are answered exactly as without it, so they carry no CORS headers at all.
pub async fn cors_for_pages(
    State(cors): State<CorsLayer>,
    request: Request,
    next: Next,
) -> Response {
    if !request.headers().contains_key(header::ORIGIN)
        && !request.uri().path().starts_with("/.well-known/")
    {
        return next.run(request).await;
    }
    match cors.layer(next).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Whether the request authenticates with `Authorization: Bearer` (never sent by a
/// browser on its own).
fn has_bearer(request: &Request) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().get(..7))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case(b"bearer "))
}

/// Middleware: `csrf` for every request but those with a bearer token (see the module doc).
pub async fn csrf_unless_bearer(
    State(csrf): State<CsrfLayer>,
    request: Request,
    next: Next,
) -> Response {
    if has_bearer(&request) {
        return next.run(request).await;
    }
    match csrf.layer(next).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}
