//! The HTTP surface: routes composed from each resource's `router()`, the OpenAPI
//! document, the web app, and the middleware stack, all built in [`router`].

pub mod client_ip;
pub mod context;
pub mod cors;
pub mod envelope;
pub mod examples;
pub mod json;
pub mod lane;
pub mod openapi;
pub mod problems;
pub mod ratelimit;
pub mod server;
pub mod web;

#[cfg(test)]
mod differential_tests;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::routes;
use crate::state::AppState;

/// Every API route with its OpenAPI description, before state and layers.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::health::router())
        .merge(routes::me::router())
        .merge(routes::buildings::router())
        .merge(routes::display::router())
        .merge(routes::webhooks::router())
        .merge(routes::sessions::router())
        .merge(routes::signin::router())
        .merge(routes::admin::router())
        .merge(routes::admin_upstream::router())
        .merge(routes::fault_reports::router())
        .merge(routes::fault_reports_admin::router())
        .merge(routes::work_orders::router())
        .merge(routes::pairing::router())
        .merge(routes::displays_admin::router())
        .merge(routes::resident_extras::router())
        .merge(routes::console::router())
        .merge(routes::admin_login::router())
        .merge(routes::oauth::router())
        .merge(routes::apps_admin::router())
        .merge(routes::integrations::router())
}

/// The OpenAPI document of this build.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut document = api().into_openapi();
    openapi::complete(&mut document);
    document
}

/// The whole application as the server runs it: the display feed's [`lane::App`] in front
/// of the [`router`].
pub fn app(state: AppState) -> lane::App {
    lane::App::new(state.clone(), router(state))
}

/// The whole application: API, docs, web app, middleware. `GET /api/v1/display/feed` is
/// answered in front of all this by [`lane::App`]; what every request needs (request id,
/// span, problem context, panics, security headers) is the [`envelope`] around both, so
/// belongs there, not here.
pub fn router(state: AppState) -> Router {
    let settings = &state.settings;
    let (api, mut openapi) = api().split_for_parts();
    openapi::complete(&mut openapi);
    let docs = SwaggerUi::new("/docs").url("/openapi.json", openapi);
    let web = web::router(&settings.web_dir);
    let request_timeout = settings.request_timeout();
    let body_limit = settings.server.body_limit_bytes;

    let mut csrf = CsrfLayer::new();
    if let Some(url) = &settings.server.public_url {
        match csrf
            .clone()
            .add_trusted_origin(url.origin().ascii_serialization())
        {
            Ok(with_origin) => csrf = with_origin,
            Err(e) => {
                tracing::warn!(error = %e, "server.public_url is not usable as a trusted origin")
            }
        }
    }
    let middleware = ServiceBuilder::new()
        // Cross-origin requests: only from the origins registered apps list.
        .layer(axum::middleware::from_fn_with_state(
            cors::layer(state.apps.clone()),
            cors::cors_for_pages,
        ))
        // Cross-site request forgery: state-changing requests from another site's page are
        // refused (Sec-Fetch-Site / Origin), which is what makes cookie sessions safe.
        .layer(axum::middleware::from_fn_with_state(
            csrf,
            cors::csrf_unless_bearer,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ));

    // Rate limits cover the API and the docs; the web app's static files are not limited.
    let limited = Router::new()
        .merge(api)
        .nest("/api", Router::new().fallback(api_not_found))
        .merge(Router::<AppState>::from(docs).layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
            ),
        )))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit));

    let mut app = Router::new().merge(limited);
    if settings.metrics.enabled && settings.metrics.public {
        app = app.merge(crate::metrics::listener::public_route());
    }
    app.merge(web)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::Extension(json::BodyLimit(body_limit)))
        .with_state(state)
        .layer(middleware)
        // Outermost, so even a request the middleware refuses is counted under its route.
        .layer(axum::middleware::from_fn(note_route))
}

/// Hands the route template the request matched to the envelope (on the response), which
/// counts requests by it: the template, never the path the caller sent.
async fn note_route(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Unknown `/api/...` paths: a problem document, never the web app's index page.
async fn api_not_found() -> ApiError {
    ApiError::NotFound("no such API route".into())
}
