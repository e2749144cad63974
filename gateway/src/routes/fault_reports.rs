//! A resident's fault reports: file one (with photos, idempotently), list them, follow one.

use axum::Json;
use axum::body::to_bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rappu_shared::report::{FaultReport, NewFaultReport, ReportPage};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::paging::PageQuery;
use crate::auth::ResidentCaller;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::reports::Owner;
use crate::state::AppState;

/// The request header that makes filing safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on an answer replayed for a repeated `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_report, list_reports))
        .routes(routes!(get_report))
}

fn owner(caller: &ResidentCaller) -> Owner {
    Owner {
        account: caller.principal.account.clone(),
        party: caller.party,
        apartment: caller.apartment,
    }
}

/// Files a fault report for the caller's apartment (never one named in the body). The
/// answer comes once the report is stored durably: status `pending` until the property
/// manager's system has it, which Rappu sees to even while that system is down.
///
/// Send an `Idempotency-Key` (e.g. a fresh UUID per report): a retry with the same key and
/// body gets the first answer again (with `Idempotent-Replayed: true`), never a second
/// report; the same key with another body is refused (422). Concurrent requests with one
/// key wait for the first. Keys are remembered 24 hours (`reports.idempotency_key_ttl_secs`).
///
/// Photos (JPEG, PNG or WebP, judged by their bytes) travel base64 in the JSON body; their
/// metadata (EXIF, GPS position, XMP) is removed. A photo over 5 MB or of another kind is a
/// 422 naming `photos[i].data`; a body over `reports.max_body_bytes` (default 36 MiB) is a
/// 413.
#[utoipa::path(post, path = "/api/v1/fault-reports", tag = "fault-reports",
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 255, pattern = r"^[!-~]{1,255}$", description = "1–255 visible ASCII characters, unique per report; e.g. a UUID")),
    request_body(content = NewFaultReport, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored; status `pending` until delivered", body = FaultReport,
            headers(("Location" = String, description = "The report's URL"),
                    ("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same key"))),
        (status = 400, description = "Missing or malformed `Idempotency-Key`, or malformed JSON", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a resident", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over `reports.max_body_bytes`", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or photos, each named; or the key was used for another body", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Rappu's database is unavailable; nothing was stored, retry with the same key", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn file_report(
    State(state): State<AppState>,
    caller: ResidentCaller,
    request: Request,
) -> ApiResult<Response> {
    let key = idempotency_key(request.headers())?;
    let report: NewFaultReport = read_json(request, state.settings.reports.max_body_bytes).await?;
    let filed = state.reports.file(&owner(&caller), &key, report).await?;
    let status = StatusCode::from_u16(filed.status).unwrap_or(StatusCode::CREATED);
    let mut response = (status, filed.body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/fault-reports/{}", filed.id)) {
        headers.insert(LOCATION, location);
    }
    if filed.replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
        ApiError::BadRequest(
            "the Idempotency-Key header is required: send a new unique value (e.g. a UUID) per report, and the same value when retrying"
                .into(),
        )
    })?;
    let key = value.to_str().unwrap_or("\u{0}").to_owned();
    crate::reports::filing::check_key(&key)?;
    Ok(key)
}

/// Reads a JSON body of up to `limit` bytes (this route's own limit, not the server's).
async fn read_json<T: serde::de::DeserializeOwned>(
    request: Request,
    limit: usize,
) -> Result<T, ApiError> {
    let headers = request.headers();
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !json::is_json(content_type) {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as application/json".into(),
        ));
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let bytes = to_bytes(request.into_body(), limit).await.map_err(|e| {
        let over = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if over {
            ApiError::PayloadTooLarge(limit)
        } else {
            ApiError::BadRequest("the request body could not be read".into())
        }
    })?;
    json::parse(&bytes)
}

/// The caller's reports, newest first, each with its current status and timeline.
#[utoipa::path(get, path = "/api/v1/fault-reports", tag = "fault-reports",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's reports", body = ReportPage<FaultReport>),
        (status = 400, description = "Malformed query", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a resident", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Rappu's database is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn list_reports(
    State(state): State<AppState>,
    caller: ResidentCaller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<ReportPage<FaultReport>>> {
    let (offset, limit) = page.resolve()?;
    Ok(Json(
        state.reports.list(&owner(&caller), offset, limit).await?,
    ))
}

/// One of the caller's reports with its timeline: pending → open → received → waiting
/// (with the reason) → done (with the summary) → completed; `handled` when passed on to a
/// follow-up job. Anyone else's report is 404, exactly like a missing one.
#[utoipa::path(get, path = "/api/v1/fault-reports/{id}", tag = "fault-reports",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Rappu's id of the report")),
    responses(
        (status = 200, description = "The report", body = FaultReport),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a resident", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report of the caller's", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Rappu's database is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn get_report(
    State(state): State<AppState>,
    caller: ResidentCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<FaultReport>> {
    Ok(Json(state.reports.get(&owner(&caller), &id).await?))
}
