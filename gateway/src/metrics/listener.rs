//! The metrics listener: `GET /metrics` on `[metrics] addr`, apart from the public API, so a
//! firewall or a bind to loopback keeps it private (the default binds `127.0.0.1:9464`).
//! With `metrics.public = true` the public listener serves it too, to admin tokens only
//! ([`public_route`]).

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::AdminCaller;
use crate::state::AppState;

/// The bound metrics listener, not yet serving.
#[derive(Debug)]
pub struct MetricsListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl MetricsListener {
    /// Binds `[metrics] addr`; `None` when metrics are off.
    pub async fn bind(settings: &crate::config::MetricsSettings) -> anyhow::Result<Option<Self>> {
        if !settings.enabled {
            return Ok(None);
        }
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("metrics.addr: cannot listen on {}", settings.addr))?;
        let addr = listener.local_addr()?;
        Ok(Some(Self { listener, addr }))
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `GET /metrics` until `stop`.
    pub fn spawn(self, state: AppState, stop: CancellationToken) -> JoinHandle<()> {
        let app = Router::new()
            .route("/metrics", get(scrape))
            .with_state(state);
        tokio::spawn(async move {
            let served = axum::serve(self.listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        })
    }
}

async fn scrape(State(state): State<AppState>) -> Response {
    let body = super::scrape::render(&state).await;
    (
        [
            (header::CONTENT_TYPE, super::CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /metrics` on the public listener (only with `metrics.public = true`): admins only.
pub fn public_route() -> Router<AppState> {
    Router::new().route("/metrics", get(public_scrape))
}

async fn public_scrape(_admin: AdminCaller, state: State<AppState>) -> Response {
    scrape(state).await
}
