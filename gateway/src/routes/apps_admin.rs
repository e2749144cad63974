//! Operator routes for third-party apps: register, list, change, rotate the secret, revoke.
//! (The same from the command line: `rappu app ...`.)

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rappu_shared::apps::{AppCredentials, AppView, NewApp};
use secrecy::ExposeSecret;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::apps::AppError;
use crate::apps::registry::RegisteredApp;
use crate::apps::secret::is_client_id;
use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ApiJson;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, register_app))
        .routes(routes!(get_app, update_app))
        .routes(routes!(rotate_secret))
        .routes(routes!(revoke_app))
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => ApiError::NotFound("no such app".into()),
            AppError::Invalid(errors) => ApiError::Validation(errors),
            AppError::Revoked => ApiError::Conflict("the app is revoked".into()),
            AppError::Store(e) => ApiError::Store(e),
            AppError::Internal(e) => ApiError::Internal(e),
        }
    }
}

/// A client id from the path: one of the documented shape, else 404 like an unknown one.
fn client_id(id: &str) -> ApiResult<&str> {
    if is_client_id(id) {
        Ok(id)
    } else {
        Err(AppError::NotFound.into())
    }
}

async fn view(state: &AppState, account: &str, id: &str) -> ApiResult<AppView> {
    state
        .apps
        .list(account)
        .await?
        .into_iter()
        .find(|a| a.client_id == id)
        .ok_or_else(|| AppError::NotFound.into())
}

fn credentials(
    state: &AppState,
    app: &RegisteredApp,
    secret: &secrecy::SecretString,
) -> AppCredentials {
    AppCredentials {
        client_id: app.client_id.clone(),
        client_secret: secret.expose_secret().to_owned(),
        app: app.view(state.apps.settings(), 0, None),
    }
}

/// The account's apps, newest first, with this month's calls (revoked ones included).
#[utoipa::path(get, path = "/api/v1/admin/apps", tag = "apps",
    security(("bearer" = [])),
    responses((status = 200, description = "The apps", body = [AppView])))]
async fn list_apps(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(state.apps.list(&admin.account).await?))
}

/// Registers an app. The answer holds its client id and secret: the secret is shown only
/// this once (Rappu keeps an Argon2id hash), so hand it to the app's developer now.
#[utoipa::path(post, path = "/api/v1/admin/apps", tag = "apps",
    security(("bearer" = [])),
    request_body = NewApp,
    responses(
        (status = 201, description = "Registered; the secret is shown only now", body = AppCredentials),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn register_app(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiJson(body): ApiJson<NewApp>,
) -> ApiResult<(StatusCode, Json<AppCredentials>)> {
    let (app, secret) = state
        .apps
        .register(&admin.account, &admin.subject, body)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(credentials(&state, &app, &secret)),
    ))
}

/// One app.
#[utoipa::path(get, path = "/api/v1/admin/apps/{client_id}", tag = "apps",
    security(("bearer" = [])),
    params(("client_id" = String, Path, pattern = "^rappu-app-[0-9a-f]{16}$", example = "rappu-app-3f6c2a9d41b8e705", description = "The app's client id")),
    responses(
        (status = 200, description = "The app", body = AppView),
        (status = 404, description = "No such app in the account", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn get_app(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AppView>> {
    Ok(Json(view(&state, &admin.account, client_id(&id)?).await?))
}

/// Replaces an app's name, contact, scopes, origins and quota (not its secret). A narrower
/// scope applies to the tokens already issued at once.
#[utoipa::path(put, path = "/api/v1/admin/apps/{client_id}", tag = "apps",
    security(("bearer" = [])),
    params(("client_id" = String, Path, pattern = "^rappu-app-[0-9a-f]{16}$", example = "rappu-app-3f6c2a9d41b8e705", description = "The app's client id")),
    request_body = NewApp,
    responses(
        (status = 200, description = "Changed", body = AppView),
        (status = 404, description = "No such app in the account", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The app is revoked", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn update_app(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewApp>,
) -> ApiResult<Json<AppView>> {
    let id = client_id(&id)?;
    state.apps.update(&admin.account, id, body).await?;
    Ok(Json(view(&state, &admin.account, id).await?))
}

/// Gives the app a new secret, shown only in this answer. The old secret and every token
/// issued to the app stop working at once.
#[utoipa::path(post, path = "/api/v1/admin/apps/{client_id}/secret", tag = "apps",
    security(("bearer" = [])),
    params(("client_id" = String, Path, pattern = "^rappu-app-[0-9a-f]{16}$", example = "rappu-app-3f6c2a9d41b8e705", description = "The app's client id")),
    responses(
        (status = 200, description = "The new secret; shown only now", body = AppCredentials),
        (status = 404, description = "No such app in the account", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The app is revoked", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn rotate_secret(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AppCredentials>> {
    let id = client_id(&id)?;
    let (app, secret) = state.apps.rotate(&admin.account, id, &state.tokens).await?;
    tracing::info!(client_id = id, by = %admin.subject, "app secret rotated");
    Ok(Json(credentials(&state, &app, &secret)))
}

/// Revokes the app: its secret and every token issued to it stop working at once. A
/// revoked app stays listed (with its calls, marked `revoked_at`) and cannot be brought
/// back; register anew.
#[utoipa::path(post, path = "/api/v1/admin/apps/{client_id}/revoke", tag = "apps",
    security(("bearer" = [])),
    params(("client_id" = String, Path, pattern = "^rappu-app-[0-9a-f]{16}$", example = "rappu-app-3f6c2a9d41b8e705", description = "The app's client id")),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 404, description = "No such app in the account", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn revoke_app(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = client_id(&id)?;
    state.apps.revoke(&admin.account, id, &state.tokens).await?;
    tracing::info!(client_id = id, by = %admin.subject, "app revoked");
    Ok(StatusCode::NO_CONTENT)
}
