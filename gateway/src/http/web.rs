//! The web app (built by `scripts/build-web` into `web_dir`), served from the same origin.
//!
//! Hashed assets under `/assets/` are immutable and served precompressed (brotli or gzip
//! when the browser accepts it); `/console` and the paths under it answer `console.html`
//! (the operator's console, a page of its own so the other pages never load its boot code),
//! every other page path `index.html`, both never cached, so a new deployment is picked up
//! at once; so is `/sw.js`, the display's service worker.
//! The Content-Security-Policy allows only this origin, plus `'wasm-unsafe-eval'` for
//! WebAssembly: no inline script, no CDN.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

use crate::state::AppState;

/// The web app's Content-Security-Policy.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Routes serving the web app from `dir`.
pub fn router(dir: &Path) -> Router<AppState> {
    let assets = ServeDir::new(dir.join("assets"))
        .precompressed_br()
        .precompressed_gzip();
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let console = page(
        ServeFile::new(dir.join("console.html"))
            .precompressed_br()
            .precompressed_gzip(),
    );
    // The display's service worker: at the root (a worker controls only paths under its
    // own), revalidated on every load so a new deployment replaces it.
    let worker = ServeFile::new(dir.join("sw.js"));
    Router::new()
        .route_service(
            "/sw.js",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                ))
                // A worker's own policy governs its fetches (the API's `default-src 'none'`
                // would forbid it to keep the app shell).
                .layer(SetResponseHeaderLayer::overriding(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CSP),
                ))
                .service(worker),
        )
        .nest_service(
            "/assets",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    immutable_if_found,
                ))
                .service(assets),
        )
        .route_service("/console", console.clone())
        .route_service("/console/{*page}", console)
        .fallback_service(page(index))
}

/// A page: never cached (a new deployment is picked up at once), under the web app's policy.
fn page<S>(file: S) -> SetResponseHeader<SetResponseHeader<S, HeaderValue>, HeaderValue> {
    tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .service(file)
}

/// Only a found asset is immutable; a 404 must not be cached for a year.
fn immutable_if_found<B>(response: &axum::http::Response<B>) -> Option<HeaderValue> {
    response
        .status()
        .is_success()
        .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
}
