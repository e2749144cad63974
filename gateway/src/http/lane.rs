//! The display feed's own lane in front of the router.
//!
//! Stairwell displays poll `GET /api/v1/display/feed` all day, and almost every poll is a
//! cache hit or a `304`: the response costs a few microseconds, so the generic middleware
//! stack (a boxed service clone per `from_fn` layer, routing, extension inserts, the
//! TraceLayer's future) is a large share of it. This lane answers that one request with
//! the same building blocks and the same result, in one function:
//!
//! | the router's stack             | the lane                                            |
//! |--------------------------------|-----------------------------------------------------|
//! | SetRequestId (UUID)            | the caller's `x-request-id`, else a new UUID        |
//! | TraceLayer (DEBUG span)        | the same DEBUG span and "finished" event            |
//! | CatchPanic → 500               | the same                                            |
//! | problem context + headers      | the same [`RequestContext`]                          |
//! | CSRF                           | nothing to check: a GET changes nothing             |
//! | timeout → 503                  | the same, only armed when the feed must be fetched  |
//! | body limit                     | a GET's body is never read                          |
//! | rate limit                     | the same quotas ([`RateLimits::check`](super::ratelimit::RateLimits::check)) |
//! | token, `DisplayCaller`         | the same verification, without the extension insert |
//! | handler                        | the same `feed_response`                           |
//!
//! Every other request, `HEAD` of the feed included, goes to the router unchanged. The
//! route stays in the router too, for the OpenAPI document and as the path of last resort.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use futures::FutureExt as _;
use futures::future::{BoxFuture, Either};
use tower::Service as _;
use tracing::Instrument as _;

use super::context::{RequestContext, X_REQUEST_ID};
use crate::auth::DisplayCaller;
use crate::auth::extract::credentials;
use crate::routes::display::feed_response;
use crate::state::AppState;

/// The path the lane serves.
pub const FEED_PATH: &str = "/api/v1/display/feed";

/// The whole application: the feed lane, then the router. [`super::server`] serves it.
#[derive(Clone)]
pub struct App {
    state: AppState,
    router: Router,
}

/// What [`App::serve`] returns: the lane's answer or the router's.
pub type AppFuture =
    Either<BoxFuture<'static, Result<Response, Infallible>>, RouteFuture<Infallible>>;

impl App {
    /// The lane in front of `router` (the application [`super::router`] builds).
    pub fn new(state: AppState, router: Router) -> Self {
        Self { state, router }
    }

    /// Answers `request` from the connection with `peer`. Only requests for the router get
    /// the peer as a [`ConnectInfo`] extension (for its rate limit); the lane takes it as an
    /// argument and never reads the body.
    pub fn serve<B>(&self, mut request: Request<B>, peer: SocketAddr) -> AppFuture
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        if request.method() == Method::GET && request.uri().path() == FEED_PATH {
            let (parts, _body) = request.into_parts();
            Either::Left(Box::pin(
                serve_feed(self.state.clone(), parts, peer).map(Ok),
            ))
        } else {
            request.extensions_mut().insert(ConnectInfo(peer));
            Either::Right(self.router.clone().call(request))
        }
    }
}

/// A request id: the caller's, else a new UUID (as the router's `SetRequestIdLayer`).
fn request_id(parts: &Parts) -> Option<HeaderValue> {
    parts.headers.get(X_REQUEST_ID).cloned().or_else(|| {
        let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
        HeaderValue::from_str(uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf)).ok()
    })
}

/// The body of a GET is never read: the caller drops it, as the router's handler does.
async fn serve_feed(state: AppState, parts: Parts, peer: SocketAddr) -> Response {
    let id = request_id(&parts);
    let debug = tracing::enabled!(tracing::Level::DEBUG);
    let start = debug.then(Instant::now);
    let span = tracing::debug_span!(
        "request",
        method = %parts.method,
        path = %parts.uri.path(),
        request_id = id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""),
    );
    let context = RequestContext::new(id, parts.uri.clone());
    let handled = AssertUnwindSafe(context.scope(handle(&state, &parts, peer.ip())))
        .catch_unwind()
        .instrument(span.clone())
        .await;
    let response = handled.unwrap_or_else(|_| {
        tracing::error!(parent: &span, "a handler panicked");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    });
    let response = context.finish(response).await;
    // As the router's TraceLayer: a server error is logged whatever the level.
    if response.status().is_server_error() {
        tracing::error!(parent: &span, status = response.status().as_u16(), "response failed");
    }
    if let Some(start) = start {
        tracing::debug!(
            parent: &span,
            status = response.status().as_u16(),
            latency_ms = start.elapsed().as_secs_f64() * 1e3,
            "finished processing request"
        );
    }
    response
}

async fn handle(state: &AppState, parts: &Parts, peer: IpAddr) -> Response {
    // As the router: the quota first (per token when it is valid, else per IP), then the
    // credentials' verdict, then the role.
    let verified = credentials(parts, state);
    if let Err(refused) = state
        .limits
        .check(verified.as_deref().ok(), peer, parts.uri.path())
    {
        return refused.into_response();
    }
    let caller = match verified.and_then(|p| DisplayCaller::of(&p)) {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    // A cache hit is ready at once: the timer is only armed when the feed must be fetched.
    let mut answer = std::pin::pin!(feed_response(state, &caller, &parts.headers));
    let answer = match (&mut answer).now_or_never() {
        Some(answer) => answer,
        // Boxed, like every rarely taken wait here, to keep the common future small.
        None => match Box::pin(tokio::time::timeout(
            state.settings.request_timeout(),
            answer,
        ))
        .await
        {
            Ok(answer) => answer,
            Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        },
    };
    answer.unwrap_or_else(IntoResponse::into_response)
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}
