//! Tampuuri's webhook listener.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::state::AppState;
use crate::webhooks::{Bundle, Receipt};

/// The header Tampuuri is configured to send the shared secret in.
pub const SECRET_HEADER: &str = "x-rappu-webhook-secret";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tampuuri_webhook))
        .layer(axum::extract::DefaultBodyLimit::max(BUNDLE_LIMIT))
        .layer(axum::Extension(json::BodyLimit(BUNDLE_LIMIT)))
}

/// Largest bundle accepted (thousands of notifications).
const BUNDLE_LIMIT: usize = 1024 * 1024;

/// The secret in the query string, for listener set-ups that can only configure a URL.
#[derive(Debug, Deserialize, IntoParams)]
struct SecretQuery {
    /// The shared secret (prefer the `X-Rappu-Webhook-Secret` header).
    #[param(max_length = 1000)]
    secret: Option<String>,
}

/// A Tampuuri webhook bundle for one account. Register one listener per account
/// (`.../tampuuri/{account}`) in Tampuuri's admin UI with the shared secret in the
/// `X-Rappu-Webhook-Secret` header (or `?secret=`). The secret is checked in constant time
/// before anything else: a delivery with the right secret is never refused for quota (only
/// wrong secrets count against a small per-account quota, then `429`). Each notification id
/// is recorded durably before the 200, so Tampuuri's retries (up to five) have one effect,
/// and every cache is updated before the answer: a request made after it sees the change.
#[utoipa::path(post, path = "/api/v1/webhooks/tampuuri/{account}", tag = "webhooks",
    params(("account" = String, Path, max_length = 100, description = "The Tampuuri account (X-TiliNimi) the listener is for"), SecretQuery),
    request_body(content = Object, description = "A Tampuuri bundle: {Id, Attempt, Properties, Notifications}", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded", body = Receipt),
        (status = 400, description = "Not JSON", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong or missing secret", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Webhooks are off, or no such account", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many deliveries with a wrong secret for this account (a right secret is never refused)", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Could not record; Tampuuri will retry", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn tampuuri_webhook(
    State(state): State<AppState>,
    Path(account): Path<String>,
    Query(query): Query<SecretQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let Some(expected) = state.webhook_secret.as_ref() else {
        return Err(ApiError::NotFound(
            "webhooks are not enabled on this gateway".into(),
        ));
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .or(query.secret.as_deref().map(str::as_bytes))
        .unwrap_or(b"");
    // The secret first: a delivery with the right one is never refused for quota. Wrong
    // ones count against the account's own small quota (unknown accounts share one key, so
    // guessing names cannot grow memory).
    if !bool::from(given.ct_eq(expected.expose_secret().as_bytes())) {
        let key = if state.tampuuri.account(&account).is_some() {
            account.as_str()
        } else {
            "(unknown account)"
        };
        if let Err(refused) = state.limits.wrong_webhook_secret(key) {
            tracing::warn!(account = key, "webhook with a wrong secret, over quota");
            return Ok(refused.into_response());
        }
        tracing::warn!(account = key, "webhook with a wrong secret");
        return Err(ApiError::WebhookSecret);
    }
    if state.tampuuri.account(&account).is_none() {
        return Err(ApiError::NotFound("no such account".into()));
    }
    let bundle: Bundle = json::parse(&body)?;
    Ok(Json(state.webhooks.receive(&account, bundle).await?).into_response())
}
