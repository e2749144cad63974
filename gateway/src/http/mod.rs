//! The HTTP surface: routes composed from each resource's `router()`, the OpenAPI
//! document, the web app, and the middleware stack, all built in [`router`].

pub mod client_ip;
pub mod context;
pub mod cors;
pub mod envelope;
pub mod event_loops;
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
    // The document is served as the bytes it serializes to, made once: utoipa-swagger-ui's
    // own route would keep the document's structure (~3 MB on the heap, README "Memory
    // (part 3)") to serialize it again for every request. Swagger UI only needs its URL.
    let document = openapi_json(&openapi);
    drop(openapi);
    let docs = SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::new([OPENAPI_PATH]));
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
    let docs_policy = SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    let docs = Router::<AppState>::from(docs)
        .route(
            OPENAPI_PATH,
            axum::routing::get(move || std::future::ready(document.clone())),
        )
        .layer(docs_policy);
    let limited = Router::new()
        .merge(api)
        .nest("/api", Router::new().fallback(api_not_found))
        .merge(docs)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ));

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

/// Where the OpenAPI document is served (and where Swagger UI at `/docs` reads it).
const OPENAPI_PATH: &str = "/openapi.json";

/// `GET /openapi.json`: the document serialized once. Serializing a document utoipa built
/// cannot fail in practice; if it ever did, each request gets a 500 problem and the log
/// says why once, at start.
#[derive(Clone)]
enum OpenApiJson {
    Ready(bytes::Bytes),
    Failed,
}

impl axum::response::IntoResponse for OpenApiJson {
    fn into_response(self) -> axum::response::Response {
        match self {
            OpenApiJson::Ready(body) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            OpenApiJson::Failed => {
                ApiError::Internal("the OpenAPI document could not be serialized".into())
                    .into_response()
            }
        }
    }
}

fn openapi_json(document: &utoipa::openapi::OpenApi) -> OpenApiJson {
    match serde_json::to_vec(document) {
        Ok(bytes) => OpenApiJson::Ready(bytes.into()),
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document could not be serialized");
            OpenApiJson::Failed
        }
    }
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
