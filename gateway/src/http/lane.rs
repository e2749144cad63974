//! The display feed's own lane in front of the router.
//!
//! Stairwell displays poll `GET /api/v1/display/feed` all day, and almost every poll is a
//! cache hit or a `304`: the response costs a few microseconds, so the router's generic
//! stack (a boxed service clone per `from_fn` layer, routing, extension inserts) is a large
//! share of it. Both paths sit inside the same request envelope ([`super::envelope`]:
//! request id, span, problem context, panics, security headers); the lane differs from the
//! router only in what it skips:
//!
//! | the router's stack             | the lane                                            |
//! |--------------------------------|-----------------------------------------------------|
//! | CSRF                           | nothing to check: a GET changes nothing             |
//! | timeout → 503                  | the same, only armed when the feed must be fetched  |
//! | body limit                     | a GET's body is never read                          |
//! | rate limit                     | the same quotas ([`RateLimits::check`](super::ratelimit::RateLimits::check)) |
//! | token, `DisplayCaller`         | the same verification, without the extension insert |
//! | handler                        | the same `feed_response`                           |
//!
//! Every other request, `HEAD` of the feed included, goes to the router unchanged. The
//! route stays in the router too, for the OpenAPI document, and a differential test sends
//! the same requests both ways ([`App::router_only`]).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::http::request::Parts;
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use futures::FutureExt as _;
use futures::future::{BoxFuture, Either};
use tower::Service as _;

use super::client_ip::ClientIp;
use crate::auth::DisplayCaller;
use crate::auth::extract::credentials;
use crate::routes::display::feed_response;
use crate::state::AppState;

/// The path the lane serves.
pub const FEED_PATH: &str = "/api/v1/display/feed";

/// What answers a feed request in the lane (a seam for the differential test).
pub type FeedHandler =
    fn(AppState, Parts, SocketAddr) -> BoxFuture<'static, Result<Response, Infallible>>;

/// The whole application: the feed lane, then the router. [`super::server`] serves it
/// inside the request envelope.
#[derive(Clone)]
pub struct App {
    state: AppState,
    router: Router,
    feed: Option<FeedHandler>,
}

/// What [`App::serve`] returns: the lane's answer or the router's.
pub type AppFuture =
    Either<BoxFuture<'static, Result<Response, Infallible>>, RouteFuture<Infallible>>;

impl App {
    /// The lane in front of `router` (the application [`super::router`] builds).
    pub fn new(state: AppState, router: Router) -> Self {
        Self::with_feed_handler(state, router, |state, parts, peer| {
            serve_feed(state, parts, peer).map(Ok).boxed()
        })
    }

    /// Every request through the router, the feed included.
    pub fn router_only(state: AppState, router: Router) -> Self {
        Self {
            state,
            router,
            feed: None,
        }
    }

    /// The lane with another feed handler.
    pub fn with_feed_handler(state: AppState, router: Router, feed: FeedHandler) -> Self {
        Self {
            state,
            router,
            feed: Some(feed),
        }
    }

    /// The request metrics the envelope records into.
    pub fn http_metrics(&self) -> std::sync::Arc<crate::metrics::HttpMetrics> {
        std::sync::Arc::clone(&self.state.metrics.http)
    }

    /// Whether the envelope writes an access line per request (`log.access`).
    pub fn access_log(&self) -> bool {
        self.state.settings.log.access
    }

    /// Answers `request` from the connection with `peer`. Only requests for the router get
    /// the client's address as a [`ClientIp`] extension (for its rate limit and the pairing
    /// quota); the lane takes the peer as an argument, resolves the client's address only
    /// for a request without a valid token, and never reads the body.
    pub fn serve<B>(&self, mut request: Request<B>, peer: SocketAddr) -> AppFuture
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        if let Some(feed) = self.feed
            && request.method() == Method::GET
            && request.uri().path() == FEED_PATH
        {
            let (parts, _body) = request.into_parts();
            Either::Left(feed(self.state.clone(), parts, peer))
        } else {
            let client = self.state.proxies.client_ip(peer.ip(), request.headers());
            request.extensions_mut().insert(ClientIp(client));
            Either::Right(self.router.clone().call(request))
        }
    }
}

/// The body of a GET is never read: the caller drops it, as the router's handler does.
async fn serve_feed(state: AppState, parts: Parts, peer: SocketAddr) -> Response {
    handle(&state, &parts, peer.ip()).await
}

async fn handle(state: &AppState, parts: &Parts, peer: IpAddr) -> Response {
    // As the router: the quota first (per token when it is valid, else per IP), then the
    // credentials' verdict, then the role.
    let verified = credentials(parts, state);
    if let Err(refused) = state.limits.check(
        verified.as_deref().ok(),
        || state.proxies.client_ip(peer, &parts.headers),
        parts.uri.path(),
    ) {
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
