//! Operator routes: properties, upstream usage, token revocation.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use rappu_shared::admin::{RevokeToken, UsageLine, UsageReport};
use rappu_shared::{Building, FieldError, Property};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ApiJson;
use crate::property;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_properties))
        .routes(routes!(list_buildings))
        .routes(routes!(usage))
        .routes(routes!(revoke_token))
}

/// Every property of the admin's Tampuuri account.
#[utoipa::path(get, path = "/api/v1/admin/properties", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Properties", body = [Property]),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn list_properties(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<Vec<Property>>> {
    Ok(Json(
        property::properties(&state.mirror, &admin.account).await?,
    ))
}

/// Query of the building listing.
#[derive(Debug, Deserialize, IntoParams)]
struct BuildingsQuery {
    /// Only the buildings of this property (Tampuuri cost-centre id).
    #[param(maximum = 9_223_372_036_854_775_807_u64)]
    property: Option<u64>,
}

/// Every building of the admin's Tampuuri account (of one property, when given) with its
/// staircases: the ids an operator needs to enrol displays. Read from the account mirror,
/// never from Tampuuri per request.
#[utoipa::path(get, path = "/api/v1/admin/buildings", tag = "admin",
    params(BuildingsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Buildings with their staircases", body = [Building]),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A property id past the largest possible", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The account's data is not loaded yet", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn list_buildings(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Query(query): Query<BuildingsQuery>,
) -> ApiResult<Json<Vec<Building>>> {
    if query
        .property
        .is_some_and(|p| !crate::upstream::tampuuri::is_possible_id(p))
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "property",
            "must be at most 9223372036854775807",
        )]));
    }
    Ok(Json(
        state
            .mirror
            .buildings(&admin.account, query.property)
            .await
            .map_err(crate::upstream::tampuuri::UpstreamError::from)?,
    ))
}

/// Query of the usage report.
#[derive(Debug, Deserialize, IntoParams)]
struct UsageQuery {
    /// Only this month, `YYYY-MM`.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    month: Option<String>,
}

/// Whether `month` is `YYYY-MM` exactly (the pattern in the document).
fn is_month(month: &str) -> bool {
    let b = month.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && matches!((b[5], b[6]), (b'0', b'1'..=b'9') | (b'1', b'0'..=b'2'))
}

/// Tampuuri calls made for the admin's account, by month and route, and what each month
/// costs on the configured API package (`[usage]`); and the calls the account's
/// third-party apps made to Rappu, by app, month and route.
#[utoipa::path(get, path = "/api/v1/admin/usage", tag = "admin",
    params(UsageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Usage", body = UsageReport),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad month", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn usage(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Query(query): Query<UsageQuery>,
) -> ApiResult<Json<UsageReport>> {
    if let Some(month) = &query.month
        && !is_month(month)
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "month",
            "must be YYYY-MM",
        )]));
    }
    state.usage.flush().await;
    let apps = state
        .apps
        .usage(&admin.account, query.month.clone())
        .await?
        .into_iter()
        .map(|c| rappu_shared::apps::AppUsageLine {
            client_id: c.client_id,
            month: c.month,
            route: c.route,
            calls: c.calls,
        })
        .collect();
    let lines: Vec<UsageLine> = state
        .store
        .usage(query.month)
        .await?
        .into_iter()
        .filter(|row| row.account == admin.account)
        .map(|row| UsageLine {
            month: row.month,
            route: row.route,
            calls: row.calls,
        })
        .collect();
    let total_calls = lines.iter().map(|l| l.calls).sum();
    let mut months: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for line in &lines {
        *months.entry(line.month.as_str()).or_default() += line.calls;
    }
    let usage = &state.settings.usage;
    let bills = months
        .into_iter()
        .map(|(month, calls)| {
            crate::pricing::bill(month, usage.package.name(), usage.prices(), calls)
        })
        .collect();
    Ok(Json(UsageReport {
        account: admin.account.clone(),
        lines,
        total_calls,
        bills,
        apps,
    }))
}

/// Revokes a token at once; it is refused from then on, also by other instances sharing
/// the database (within `auth.revocation_refresh_secs`).
#[utoipa::path(post, path = "/api/v1/admin/tokens/revoke", tag = "admin",
    request_body = RevokeToken,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn revoke_token(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiJson(body): ApiJson<RevokeToken>,
) -> ApiResult<StatusCode> {
    let jti = body.jti;
    if !(1..=100).contains(&jti.len()) || !jti.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "jti",
            "must be 1 to 100 visible ASCII characters",
        )]));
    }
    if body
        .reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > 500)
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "reason",
            "must be at most 500 characters",
        )]));
    }
    let reason = body.reason;
    state
        .store
        .revoke(jti.clone(), chrono::Utc::now().timestamp(), reason)
        .await?;
    state.tokens.revocations().insert(jti.clone());
    tracing::info!(jti, by = %admin.subject, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::is_month;

    #[test]
    fn months_are_yyyy_mm_exactly() {
        for good in ["2026-01", "2026-09", "2026-10", "2026-12", "0000-05"] {
            assert!(is_month(good), "{good}");
        }
        for bad in [
            "",
            "2026",
            "2026-1",
            "2026-00",
            "2026-13",
            "2026-1x",
            "+202-01",
            "2026-011",
            "2026/01",
            "２０２６-01",
        ] {
            assert!(!is_month(bad), "{bad}");
        }
    }
}
