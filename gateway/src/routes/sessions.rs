//! Display enrolment, resident sign-in and sign-out, one-time links, the portal QR code.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rappu_shared::session::{
    ApartmentChoice, DemoLogin, DemoResident, NewEnrolment, NewLoginLink, OneTimeLink, RedeemCode,
};
use rappu_shared::{FieldError, Grant};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AdminCaller;
use crate::auth::extract::authenticate_optional;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ApiJson;
use crate::property;
use crate::sessions::{self, LinkRequest};
use crate::signin::links::{self, Opened};
use crate::state::{AppState, UpstreamMode};
use crate::store::codes::CodeKind;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enroll_display))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(demo_residents))
        .routes(routes!(demo_login))
        .routes(routes!(create_enrolment))
        .routes(routes!(create_login_link))
        .routes(routes!(portal_qr))
}

fn secure(state: &AppState) -> bool {
    state.https()
}

fn with_cookie(state: &AppState, token: &str, ttl: std::time::Duration) -> ApiResult<Response> {
    let cookie = sessions::session_cookie(token, ttl, secure(state))?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Exchanges a display's one-time enrolment code for a display session (an HttpOnly
/// cookie). The code works once.
#[utoipa::path(post, path = "/api/v1/display/enroll", tag = "sessions",
    request_body = RedeemCode,
    responses(
        (status = 204, description = "Enrolled; the session cookie is set", headers(("Set-Cookie" = String, description = "rappu_session=...; HttpOnly; SameSite=Strict"))),
        (status = 400, description = "Unknown, used or expired code", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn enroll_display(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RedeemCode>,
) -> ApiResult<Response> {
    let (token, ttl) = sessions::redeem(
        &state.store,
        &state.tokens,
        CodeKind::DisplayEnrolment,
        &body.code,
    )
    .await?;
    with_cookie(&state, &token, ttl)
}

/// Exchanges a resident's one-time code — from a sign-in mail
/// (`POST /api/v1/auth/email-link`) or a login link an operator made — for a resident
/// session (an HttpOnly cookie, `__Host-rappu_session` over https). A resident with several
/// current apartments gets the list instead, with a choice cookie, and picks one with
/// `POST /api/v1/auth/apartment`. A code works once.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "sessions",
    request_body = RedeemCode,
    responses(
        (status = 200, description = "Several apartments: pick one with `POST /api/v1/auth/apartment` (an HttpOnly choice cookie is set, valid 10 minutes)", body = ApartmentChoice),
        (status = 204, description = "Signed in; the session cookie is set"),
        (status = 400, description = "Unknown, used or expired code", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RedeemCode>,
) -> ApiResult<Response> {
    let today = rappu_shared::finnish_time::local_date(chrono::Utc::now());
    match links::open_link(&state.store, &state.tokens, &body.code, today).await {
        Ok(Opened::Session(token, ttl)) => return with_cookie(&state, &token, ttl),
        Ok(Opened::Choose(code, homes)) => {
            return super::signin::choice_response(&state, &code, &homes);
        }
        Err(ApiError::InvalidCode) => {}
        Err(e) => return Err(e),
    }
    let (token, ttl) = sessions::redeem(
        &state.store,
        &state.tokens,
        CodeKind::ResidentLogin,
        &body.code,
    )
    .await?;
    with_cookie(&state, &token, ttl)
}

/// Ends the session: its token is revoked and the cookie cleared.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "sessions",
    responses((status = 204, description = "Signed out")))]
async fn logout(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let (mut parts, _) = request.into_parts();
    if let Some(principal) = authenticate_optional(&mut parts, &state) {
        let jti = principal.token_id.to_string();
        state
            .store
            .revoke(
                jti.clone(),
                chrono::Utc::now().timestamp(),
                Some("signed out".into()),
            )
            .await?;
        state.tokens.revocations().insert(jti);
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, sessions::clear_cookie(secure(&state)))],
    )
        .into_response())
}

fn embedded(state: &AppState) -> ApiResult<&rappu_sim::Simulator> {
    match &state.mode {
        UpstreamMode::Embedded(sim) => Ok(sim),
        UpstreamMode::Tampuuri => Err(ApiError::NotFound(
            "demo sign-in exists only in demo mode".into(),
        )),
    }
}

/// The simulated residents one can sign in as, with the account they belong to: those of
/// the first account only, since ids repeat across the simulator's accounts.
fn demo_list(sim: &rappu_sim::Simulator) -> Vec<(String, DemoResident)> {
    let mut out = Vec::new();
    for account in sim.account_names().into_iter().take(1) {
        let (Some(summary), Some(snapshot)) = (sim.summary(&account), sim.snapshot(&account))
        else {
            continue;
        };
        for r in summary.residents.plain.iter().take(4) {
            let (Ok(party), Ok(apartment)) =
                (u64::try_from(r.party_id), u64::try_from(r.apartment_id))
            else {
                continue;
            };
            let who = snapshot.party(r.party_id).map(|p| {
                let initial = p
                    .sukunimi
                    .as_deref()
                    .and_then(|s| s.chars().next())
                    .map(|c| format!(" {c}."))
                    .unwrap_or_default();
                format!(
                    "{}{initial}",
                    p.etunimi.clone().unwrap_or_else(|| p.nimi.clone())
                )
            });
            let flat = snapshot
                .object(r.apartment_id)
                .map(|o| o.tunnus.clone())
                .unwrap_or_default();
            let home = snapshot
                .object(r.property_id)
                .map(|o| o.nimi.clone())
                .unwrap_or_default();
            out.push((
                account.clone(),
                DemoResident {
                    label: format!("{}, {flat}, {home}", who.unwrap_or_default()),
                    party,
                    apartment,
                },
            ));
        }
    }
    out
}

/// Demo mode only: residents of the simulated data one can sign in as.
#[utoipa::path(get, path = "/api/v1/auth/demo-residents", tag = "sessions",
    responses(
        (status = 200, description = "Demo residents", body = [DemoResident]),
        (status = 404, description = "Not in demo mode", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn demo_residents(State(state): State<AppState>) -> ApiResult<Json<Vec<DemoResident>>> {
    let sim = embedded(&state)?;
    Ok(Json(demo_list(sim).into_iter().map(|(_, r)| r).collect()))
}

/// Demo mode only: sign in as one of the demo residents (a real deployment uses login
/// links or its identity provider here).
#[utoipa::path(post, path = "/api/v1/auth/demo-login", tag = "sessions",
    request_body = DemoLogin,
    responses(
        (status = 204, description = "Signed in; the session cookie is set"),
        (status = 404, description = "Not in demo mode, or not a demo resident", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn demo_login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DemoLogin>,
) -> ApiResult<Response> {
    let sim = embedded(&state)?;
    let (account, resident) = demo_list(sim)
        .into_iter()
        .find(|(_, r)| r.party == body.party && r.apartment == body.apartment)
        .ok_or_else(|| ApiError::NotFound("not a demo resident".into()))?;
    let ttl = sessions::RESIDENT_SESSION_TTL;
    let grant = Grant::Resident {
        party: resident.party,
        apartment: resident.apartment,
    };
    let token = sessions::open_session(
        &state.store,
        &state.tokens,
        account,
        format!("resident-{}", resident.party),
        grant,
        ttl,
    )
    .await?;
    with_cookie(&state, &token, ttl)
}

/// Whether `party` is a current resident of `apartment` (from the mirror).
async fn lives_in(state: &AppState, account: &str, party: u64, apartment: u64) -> ApiResult<bool> {
    use crate::upstream::tampuuri::is_possible_id;
    if !is_possible_id(party) || !is_possible_id(apartment) {
        return Ok(false);
    }
    Ok(state
        .mirror
        .lives_in(account, party, apartment)
        .await
        .map_err(crate::upstream::tampuuri::UpstreamError::from)?)
}

/// Creates a one-time enrolment link for a display of a building (or one staircase). Open
/// it once on the display.
#[utoipa::path(post, path = "/api/v1/admin/displays/enrolments", tag = "admin",
    request_body = NewEnrolment,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The link", body = OneTimeLink),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such building or staircase", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn create_enrolment(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiJson(body): ApiJson<NewEnrolment>,
) -> ApiResult<(StatusCode, Json<OneTimeLink>)> {
    let building = match property::building(&state.mirror, &admin.account, body.building).await {
        Err(crate::upstream::tampuuri::UpstreamError::NotFound { .. }) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "building",
                "no such building",
            )]));
        }
        other => other?,
    };
    if let Some(staircase) = body.staircase
        && !building.staircases.iter().any(|s| s.id == staircase)
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "staircase",
            "not a staircase of this building",
        )]));
    }
    if body.label.as_ref().is_some_and(|l| l.chars().count() > 100) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "label",
            "must be at most 100 characters",
        )]));
    }
    let label = body
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let subject = label.map_or_else(|| format!("display-{}", body.building), str::to_owned);
    let link = sessions::create_link(
        &state.store,
        LinkRequest {
            public_url: &state.public_url,
            account: &admin.account,
            grant: Grant::Display {
                building: body.building,
                staircase: body.staircase,
            },
            subject,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(link)))
}

/// Creates a one-time login link for a resident of an apartment.
#[utoipa::path(post, path = "/api/v1/admin/residents/login-links", tag = "admin",
    request_body = NewLoginLink,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The link", body = OneTimeLink),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a current resident of that apartment", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn create_login_link(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiJson(body): ApiJson<NewLoginLink>,
) -> ApiResult<(StatusCode, Json<OneTimeLink>)> {
    if !lives_in(&state, &admin.account, body.party, body.apartment).await? {
        return Err(ApiError::Validation(vec![FieldError::new(
            "party",
            "is not a current resident of the apartment",
        )]));
    }
    let link = sessions::create_link(
        &state.store,
        LinkRequest {
            public_url: &state.public_url,
            account: &admin.account,
            grant: Grant::Resident {
                party: body.party,
                apartment: body.apartment,
            },
            subject: format!("resident-{}", body.party),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(link)))
}

/// A QR code (SVG) of the resident portal's fault-report form, for the display.
#[utoipa::path(get, path = "/api/v1/display/portal-qr.svg", tag = "display",
    responses((status = 200, description = "SVG image", content_type = "image/svg+xml")))]
async fn portal_qr(State(state): State<AppState>) -> ApiResult<Response> {
    qr_svg(
        &format!("{}/portal/report", state.public_url),
        "public, max-age=3600",
    )
}

/// An SVG QR code of `url`, answered with `cache_control`.
pub(crate) fn qr_svg(url: &str, cache_control: &'static str) -> ApiResult<Response> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
        ],
        svg,
    )
        .into_response())
}
