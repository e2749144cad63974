//! Residents signing in with their email address: ask for a link, pick an apartment.
//! (Opening the link is `POST /api/v1/auth/login`, in [`super::sessions`].)

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rappu_shared::FieldError;
use rappu_shared::session::{
    ApartmentChoice, ApartmentOption, EmailLinkRequest, EmailLinkSent, PickApartment,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::client_ip::ClientIp;
use crate::http::json::ApiJson;
use crate::http::ratelimit::Refused;
use crate::sessions;
use crate::signin::address::EmailAddress;
use crate::signin::directory::Residency;
use crate::signin::links::{self, CHOICE_TTL};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(email_link))
        .routes(routes!(pick_apartment))
}

/// The choice cookie's name over plain http and over https.
const CHOICE_COOKIE: &str = "rappu_signin";
const HOST_CHOICE_COOKIE: &str = "__Host-rappu_signin";

fn choice_cookie_name(https: bool) -> &'static str {
    if https {
        HOST_CHOICE_COOKIE
    } else {
        CHOICE_COOKIE
    }
}

/// Sends a one-time sign-in link to `email` if a current resident in Tampuuri has that
/// address. The answer is the same whether or not anyone does, and comes before the lookup
/// (its timing tells nothing either). The link works once, for 15 minutes, on any device.
/// At most 5 requests an hour per address and 30 per client address (burst 10), and at most
/// 3 mails an hour to one address whatever the requests.
#[utoipa::path(post, path = "/api/v1/auth/email-link", tag = "sessions",
    request_body = EmailLinkRequest,
    responses(
        (status = 202, description = "Taken: a link is mailed if the address belongs to a current resident", body = EmailLinkSent),
        (status = 422, description = "Not an email address of the documented form", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this address or from this client; `Retry-After` says when to try again", body = rappu_shared::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"),
                    ("RateLimit-Policy" = String, description = "The quota, e.g. `\"signin-address\";q=5;w=3600`"),
                    ("RateLimit" = String, description = "What is left, e.g. `\"signin-address\";r=0;t=720`")))))]
async fn email_link(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    ApiJson(body): ApiJson<EmailLinkRequest>,
) -> ApiResult<Response> {
    let address = EmailAddress::parse(&body.email).ok_or_else(|| {
        ApiError::Validation(vec![FieldError::new(
            "email",
            "must be an email address (printable ASCII, one @, a dot in the domain, at most 254 characters)",
        )])
    })?;
    let client = client.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |Extension(c)| c.0);
    if let Err(limited) = state.signin.request(address, body.language, client) {
        tracing::info!(limit = limited.name, "sign-in request over its limit");
        return Ok(
            Refused::new(limited.name, limited.per_hour, 3600, limited.wait).into_response(),
        );
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailLinkSent {
            link_valid_secs: state.settings.signin.link_ttl_secs,
        }),
    )
        .into_response())
}

/// The answer to a sign-in link that opens a choice: the choice's cookie and the list.
pub(crate) fn choice_response(
    state: &AppState,
    code: &str,
    homes: &[Residency],
) -> ApiResult<Response> {
    let cookie = sessions::cookie(
        choice_cookie_name(state.https()),
        code,
        CHOICE_TTL,
        state.https(),
    )?;
    let choice = ApartmentChoice {
        apartments: homes
            .iter()
            .map(|h| ApartmentOption {
                apartment: h.apartment,
                label: h.label.clone(),
            })
            .collect(),
    };
    Ok((StatusCode::OK, [(header::SET_COOKIE, cookie)], Json(choice)).into_response())
}

/// After a sign-in link that offered several apartments (the answer of
/// `POST /api/v1/auth/login` was an `ApartmentChoice`, with an HttpOnly choice cookie):
/// opens the session for the one picked. The choice works once, for 10 minutes.
#[utoipa::path(post, path = "/api/v1/auth/apartment", tag = "sessions",
    request_body = PickApartment,
    responses(
        (status = 204, description = "Signed in; the session cookie is set and the choice cookie cleared"),
        (status = 400, description = "No choice cookie, or the choice is unknown, used or expired: open a new sign-in link", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not one of the apartments offered", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn pick_apartment(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PickApartment>,
) -> ApiResult<Response> {
    let name = choice_cookie_name(state.https());
    let code = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| sessions::cookie_value(v, name))
        .ok_or(ApiError::InvalidCode)?;
    let today = rappu_shared::finnish_time::local_date(chrono::Utc::now());
    let (token, ttl) =
        links::choose(&state.store, &state.tokens, code, body.apartment, today).await?;
    let session = sessions::session_cookie(&token, ttl, state.https())?;
    let clear = sessions::cookie(name, "", std::time::Duration::ZERO, state.https())?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().append(header::SET_COOKIE, session);
    response.headers_mut().append(header::SET_COOKIE, clear);
    Ok(response)
}
