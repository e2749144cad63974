//! Pairing a display with a short code (the screen's side and the caretaker's phone), and
//! a display renewing its own session. The flow is described in [`crate::pairing`].
//!
//! The screen's pairing secret and the caretaker phone's session live in HttpOnly,
//! SameSite=Strict cookies scoped to `/api/v1/displays/pairing`; pages never see them.

use std::net::IpAddr;
use std::time::Duration;

use axum::Json;

use crate::http::client_ip::ClientIp;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rappu_shared::FieldError;
use rappu_shared::pairing::{
    ApprovePairing, CaretakerSession, DisplaySession, PairedDisplay, PairingPoll, PairingStarted,
    normalize_user_code,
};
use rappu_shared::session::RedeemCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::DisplayCaller;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ApiJson;
use crate::pairing::{Approver, PAIRING_TTL, POLL_INTERVAL_SECS, PairingError, Poll};
use crate::sessions;
use crate::state::AppState;

/// The screen's pairing cookie.
pub const PAIRING_COOKIE: &str = "rappu_pairing";
/// A caretaker phone's cookie.
pub const CARETAKER_COOKIE: &str = "rappu_caretaker";
/// The path both cookies are scoped to.
const COOKIE_PATH: &str = "/api/v1/displays/pairing";
/// Longest a poll waits for an approval.
const POLL_WAIT: Duration = Duration::from_secs(20);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(poll))
        .routes(routes!(qr))
        .routes(routes!(open_caretaker_link, caretaker))
        .routes(routes!(approve))
        .routes(routes!(renew))
}

impl From<PairingError> for ApiError {
    fn from(e: PairingError) -> Self {
        match e {
            PairingError::Gone => ApiError::Expired(e.to_string()),
            PairingError::Invalid(errors) => ApiError::Validation(errors),
            PairingError::NotFound => ApiError::NotFound("no such display".into()),
            PairingError::OutOfScope(why) => ApiError::OutOfScope(why),
            PairingError::RateLimited(retry_after) => ApiError::RateLimited { retry_after },
            PairingError::Unpaired => ApiError::Unauthenticated,
            PairingError::Store(e) => ApiError::Store(e),
            PairingError::Upstream(e) => ApiError::Upstream(e),
            PairingError::Token(e) => ApiError::Internal(e.to_string()),
        }
    }
}

fn secure(state: &AppState) -> bool {
    state
        .settings
        .server
        .public_url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https")
}

/// `Set-Cookie` for one of this module's cookies (`max_age` zero clears it).
fn cookie(state: &AppState, name: &str, value: &str, max_age: Duration) -> ApiResult<HeaderValue> {
    let secure = if secure(state) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.as_secs()
    ))
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A cookie's value from the request.
fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then_some(value)
        })
}

fn peer(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ClientIp>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0)
}

fn verification_uri(state: &AppState) -> String {
    format!("{}/display/pair", state.public_url)
}

/// An unpaired screen asks for a pairing: it gets a code to show (and a QR code of the
/// caretaker page with the code in it), and its secret in an HttpOnly cookie. A code works
/// 15 minutes; then the screen asks again. At most 10 pairings a minute per address.
#[utoipa::path(post, path = "/api/v1/displays/pairing", tag = "display-pairing",
    responses(
        (status = 201, description = "A pairing; the screen's secret is in the cookie", body = PairingStarted,
            headers(("Set-Cookie" = String, description = "rappu_pairing=...; Path=/api/v1/displays/pairing; HttpOnly; SameSite=Strict"))),
        (status = 429, description = "Too many pairings from this address", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Rappu's database is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn start(State(state): State<AppState>, request: Request) -> ApiResult<Response> {
    let started = state.displays.start(peer(&request)).await?;
    let base = verification_uri(&state);
    let body = PairingStarted {
        verification_uri_complete: format!("{base}?code={}", started.user_code),
        verification_uri: base,
        user_code: started.user_code,
        expires_at: started.expires_at,
        interval_secs: POLL_INTERVAL_SECS,
    };
    let set = cookie(&state, PAIRING_COOKIE, &started.secret, PAIRING_TTL)?;
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, set)], Json(body)).into_response())
}

/// The screen asks whether its code was entered. The answer waits up to 20 s for it, so a
/// screen is paired within a second of the caretaker's tap; `pending` means ask again.
/// Once paired, the answer sets the display's session cookie.
#[utoipa::path(post, path = "/api/v1/displays/pairing/poll", tag = "display-pairing",
    responses(
        (status = 200, description = "Pending, or paired (with the session cookie)", body = PairingPoll),
        (status = 401, description = "No pairing cookie", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The pairing expired or is unknown: start a new one", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn poll(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let secret = read_cookie(&headers, PAIRING_COOKIE).ok_or(ApiError::Unauthenticated)?;
    // Well inside the request timeout.
    let wait = POLL_WAIT.min(
        state
            .settings
            .request_timeout()
            .saturating_sub(Duration::from_secs(5)),
    );
    match state.displays.poll(secret, wait, &state.shutdown).await? {
        Poll::Pending { expires_at } => {
            Ok(Json(PairingPoll::Pending { expires_at }).into_response())
        }
        Poll::Paired(display) => {
            let (token, ttl) = state.displays.open_session(&state.tokens, &display).await?;
            let session = sessions::session_cookie(&token, ttl, secure(&state))?;
            let clear = cookie(&state, PAIRING_COOKIE, "", Duration::ZERO)?;
            let body = PairingPoll::Paired {
                building: display.building,
                staircase: display.staircase,
            };
            let mut response = Json(body).into_response();
            let h = response.headers_mut();
            h.append(header::SET_COOKIE, session);
            h.append(header::SET_COOKIE, clear);
            Ok(response)
        }
    }
}

/// Query of the pairing QR code.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct QrQuery {
    /// The code the screen shows; case, spaces and hyphens do not matter.
    #[param(pattern = r"^[ \-\u2011]*([2-9A-HJKMNP-Za-hjkmnp-z][ \-\u2011]*){8}$")]
    code: String,
}

/// A QR code (SVG) of the caretaker page with a pairing code filled in, for the screen.
#[utoipa::path(get, path = "/api/v1/displays/pairing/qr.svg", tag = "display-pairing",
    params(QrQuery),
    responses(
        (status = 200, description = "SVG image", content_type = "image/svg+xml"),
        (status = 422, description = "Not a pairing code", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn qr(State(state): State<AppState>, Query(query): Query<QrQuery>) -> ApiResult<Response> {
    let code = normalize_user_code(&query.code).ok_or_else(|| {
        ApiError::Validation(vec![FieldError::new("code", "is not a pairing code")])
    })?;
    let url = format!("{}?code={code}", verification_uri(&state));
    super::sessions::qr_svg(&url, "private, max-age=900")
}

/// A caretaker opens their pairing link on their phone: the link's one-time code is
/// exchanged for the phone's own HttpOnly cookie, with which it may pair displays in the
/// link's buildings.
#[utoipa::path(post, path = "/api/v1/displays/pairing/caretaker", tag = "display-pairing",
    request_body = RedeemCode,
    responses(
        (status = 204, description = "Signed in; the phone's cookie is set"),
        (status = 400, description = "Not a link's code (the wrong shape)", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 410, description = "Unknown, used or expired link", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn open_caretaker_link(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RedeemCode>,
) -> ApiResult<Response> {
    if !sessions::is_well_formed_code(&body.code) {
        return Err(ApiError::InvalidCode);
    }
    let opened = state
        .displays
        .open_caretaker_link(&body.code)
        .await
        .map_err(|e| match e {
            PairingError::Gone => {
                ApiError::Expired("the link is unknown, used or expired: ask for a new one".into())
            }
            other => other.into(),
        })?;
    let set = cookie(&state, CARETAKER_COOKIE, &opened.secret, opened.max_age)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, set)]).into_response())
}

async fn caretaker_of(state: &AppState, headers: &HeaderMap) -> ApiResult<Approver> {
    let secret = read_cookie(headers, CARETAKER_COOKIE).ok_or(ApiError::Unauthenticated)?;
    let row = state
        .displays
        .caretaker(secret)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(Approver::Caretaker(row))
}

/// The caretaker's phone: until when it may pair displays, and in which buildings.
#[utoipa::path(get, path = "/api/v1/displays/pairing/caretaker", tag = "display-pairing",
    responses(
        (status = 200, description = "The caretaker session", body = CaretakerSession),
        (status = 401, description = "No caretaker session on this phone", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn caretaker(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<CaretakerSession>> {
    let Approver::Caretaker(row) = caretaker_of(&state, &headers).await? else {
        return Err(ApiError::Unauthenticated);
    };
    Ok(Json(
        state.displays.caretaker_view(&row, &state.mirror).await?,
    ))
}

/// A caretaker enters the code a screen shows and picks the building (one of the link's)
/// and staircase: the screen becomes that display within a second. Wrong codes are
/// limited to 10 a minute per caretaker.
#[utoipa::path(post, path = "/api/v1/displays/pairing/approve", tag = "display-pairing",
    request_body = ApprovePairing,
    responses(
        (status = 201, description = "Paired", body = PairedDisplay),
        (status = 401, description = "No caretaker session on this phone", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The link does not cover that building", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No display shows that code, or no such building or staircase", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ApprovePairing>,
) -> ApiResult<(StatusCode, Json<PairedDisplay>)> {
    let approver = caretaker_of(&state, &headers).await?;
    let Approver::Caretaker(row) = &approver else {
        return Err(ApiError::Unauthenticated);
    };
    let _ = row;
    let paired = state
        .displays
        .approve(&approver, &body, &state.mirror)
        .await?;
    Ok((StatusCode::CREATED, Json(paired)))
}

/// A display renews its session while it is on (the page calls this every few minutes):
/// a session older than a day is replaced by a fresh 30-day one in the cookie, and a
/// display its operator reassigned gets a session for its new place. An unpaired
/// display's session no longer works (401).
#[utoipa::path(post, path = "/api/v1/display/session", tag = "display",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The display's session (a new cookie when renewed)", body = DisplaySession),
        (status = 401, description = "Missing, invalid or ended session", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a display", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn renew(State(state): State<AppState>, caller: DisplayCaller) -> ApiResult<Response> {
    let renewal = state
        .displays
        .renew(&caller.principal, &state.tokens)
        .await?;
    let mut response = Json(renewal.session).into_response();
    if let Some((token, ttl)) = renewal.token {
        let set = sessions::session_cookie(&token, ttl, secure(&state))?;
        response.headers_mut().insert(header::SET_COOKIE, set);
    }
    Ok(response)
}
