//! The request envelope: what every request gets, whichever path answers it — the display
//! feed's lane or the router. One [`tower::Layer`], composed once over the split (see
//! [`super::server`]), so a layer added here reaches the busiest route too.
//!
//! For every request, in this order:
//! 1. a request id: the caller's `x-request-id`, else a new UUID;
//! 2. a DEBUG span (`request`, with method, path, request id and, for an app, its
//!    `client_id`) and, at DEBUG, a
//!    "finished processing request" event with status and latency; a server error is
//!    logged at ERROR whatever the level;
//! 3. the [`RequestContext`] in a task-local, so an error built anywhere carries the
//!    request id and path;
//! 4. a panic anywhere inside becomes a `500` problem document, never a dropped
//!    connection or a bare status;
//! 5. on the way out, the request id and the security headers (not on a `304`), and every
//!    error that is not yet problem+json (a routing 404, a 405, a 413, a timeout, a panic)
//!    converted into one ([`RequestContext::add_headers`], [`RequestContext::into_problem`]);
//! 6. the request counted in `rappu_http_requests_total` and its latency observed, by
//!    route template (the lane's feed route, else the router's [`MatchedPath`]), method and
//!    status ([`HttpMetrics`]); with `log.access`, one line at INFO (target `rappu::access`)
//!    with the request id, method, route template, status, latency and the kind of caller
//!    ([`super::context::note_principal`]) — never the path a caller sent, a token or
//!    anything personal.
//!
//! The future is a concrete type: the common path allocates nothing; only converting an
//! error response into a problem document (which may read its body) is boxed.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use std::sync::Arc;

use axum::extract::MatchedPath;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::FutureExt as _;
use futures::future::{BoxFuture, CatchUnwind, Either};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;
use tracing::Instrument as _;
use tracing::instrument::Instrumented;

use super::context::{RequestContext, X_REQUEST_ID, scope, sync_scope};
use super::lane::FEED_PATH;
use crate::metrics::http::{HttpMetrics, UNMATCHED, method_label};

/// The inner service's future, or a ready `500` when its `call` panicked.
type Called<F> = Either<F, std::future::Ready<Result<Response, Infallible>>>;

/// Wraps a service in the [`Envelope`].
#[derive(Debug, Clone, Default)]
pub struct EnvelopeLayer {
    metrics: Arc<HttpMetrics>,
    access: bool,
}

impl EnvelopeLayer {
    /// Requests recorded in `metrics`; a line per request logged when `access`.
    pub fn new(metrics: Arc<HttpMetrics>, access: bool) -> Self {
        Self { metrics, access }
    }
}

impl<S> tower::Layer<S> for EnvelopeLayer {
    type Service = Envelope<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Envelope {
            inner,
            metrics: Arc::clone(&self.metrics),
            access: self.access,
        }
    }
}

/// A service in the request envelope (see the module doc).
#[derive(Debug, Clone)]
pub struct Envelope<S> {
    inner: S,
    metrics: Arc<HttpMetrics>,
    access: bool,
}

/// A request id: the caller's, else a new UUID.
fn request_id<B>(request: &Request<B>) -> Option<HeaderValue> {
    request.headers().get(X_REQUEST_ID).cloned().or_else(|| {
        let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
        HeaderValue::from_str(uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf)).ok()
    })
}

impl<S> Envelope<S> {
    /// Starts `request` through `call` inside the envelope.
    fn wrap<B, F>(
        &self,
        request: Request<B>,
        call: impl FnOnce(Request<B>) -> F,
    ) -> EnvelopeFuture<F>
    where
        F: Future<Output = Result<Response, Infallible>>,
    {
        let id = request_id(&request);
        let span = tracing::debug_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""),
            // A third-party app's calls are attributed to it (filled in by the rate limiter,
            // which is where the token is first verified).
            client_id = tracing::field::Empty,
        );
        let mut context = RequestContext::new(id, request.uri().clone());
        if self.access {
            context = context.noting_principal();
        }
        let start = Instant::now();
        let method = method_label(request.method());
        let feed = request.method() == Method::GET && request.uri().path() == FEED_PATH;
        // A panic in `call` itself (before its future) is caught like one in the future.
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| {
            sync_scope(context.clone(), || call(request))
        }));
        let future = match called {
            Ok(future) => Either::Left(future),
            Err(_) => {
                tracing::error!(parent: &span, "a handler panicked");
                Either::Right(std::future::ready(Ok(
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                )))
            }
        };
        let running = AssertUnwindSafe(scope(context.clone(), future))
            .catch_unwind()
            .instrument(span);
        EnvelopeFuture {
            running,
            finishing: None,
            context: Some(context),
            finish: Finish {
                start,
                method,
                feed,
                metrics: Arc::clone(&self.metrics),
                access: self.access,
                principal: None,
            },
        }
    }
}

impl<S, B> hyper::service::Service<Request<B>> for Envelope<S>
where
    S: hyper::service::Service<Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EnvelopeFuture<S::Future>;

    fn call(&self, request: Request<B>) -> Self::Future {
        self.wrap(request, |r| self.inner.call(r))
    }
}

pin_project! {
    /// The future of a request in the envelope.
    pub struct EnvelopeFuture<F> {
        #[pin]
        running: Instrumented<CatchUnwind<AssertUnwindSafe<TaskLocalFuture<RequestContext, Called<F>>>>>,
        finishing: Option<BoxFuture<'static, Response>>,
        context: Option<RequestContext>,
        finish: Finish,
    }
}

/// What the envelope records once a request is answered.
struct Finish {
    start: Instant,
    method: &'static str,
    /// A `GET` of the display feed (the lane's route; its series are resolved once).
    feed: bool,
    metrics: Arc<HttpMetrics>,
    access: bool,
    /// The request id and the kind of caller, kept for the access line.
    principal: Option<(Option<HeaderValue>, &'static str)>,
}

impl<F> Future for EnvelopeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.finishing.is_none() {
            let handled = ready!(this.running.as_mut().poll(cx));
            let span = this.running.span();
            let mut response = match handled {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    tracing::error!(parent: span, "a handler panicked");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            };
            let Some(context) = this.context.take() else {
                return Poll::Ready(Ok(response));
            };
            context.add_headers(&mut response);
            if this.finish.access {
                this.finish.principal = Some((context.request_id_header(), context.principal()));
            }
            if !RequestContext::needs_problem(&response) {
                this.finish.record(span, &response);
                return Poll::Ready(Ok(response));
            }
            // Rare: the body may be read (a short reason from axum's rejections).
            *this.finishing = Some(Box::pin(context.into_problem(response)));
        }
        let Some(finishing) = this.finishing.as_mut() else {
            return Poll::Pending;
        };
        let response = ready!(finishing.as_mut().poll(cx));
        this.finish.record(this.running.span(), &response);
        Poll::Ready(Ok(response))
    }
}

impl Finish {
    /// Counts the request, logs a server error, and writes the access line when asked.
    #[inline]
    fn record(&mut self, span: &tracing::Span, response: &Response) {
        let status = response.status();
        let elapsed = self.start.elapsed();
        let route = if self.feed {
            self.metrics.feed(status, elapsed);
            Some(FEED_PATH)
        } else {
            let route = response
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str);
            self.metrics.request(route, self.method, status, elapsed);
            route
        };
        if status.is_server_error() {
            tracing::error!(parent: span, status = status.as_u16(), route, "response failed");
        }
        if let Some((id, principal)) = self.principal.take() {
            tracing::info!(
                target: "rappu::access",
                request_id = id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""),
                method = self.method,
                route = route.unwrap_or(UNMATCHED),
                status = status.as_u16(),
                latency_ms = elapsed.as_secs_f64() * 1e3,
                principal,
                "request"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::convert::Infallible;

    use axum::http::{Request, StatusCode};
    use axum::response::Response;
    use hyper::service::Service as _;
    use tower::Layer as _;

    use super::EnvelopeLayer;

    /// A service whose handler panics.
    struct Panics;

    impl hyper::service::Service<Request<()>> for Panics {
        type Response = Response;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response, Infallible>>;

        fn call(&self, _: Request<()>) -> Self::Future {
            panic!("a handler bug")
        }
    }

    #[tokio::test]
    async fn a_panic_becomes_a_problem_document_with_the_request_id() {
        let envelope = EnvelopeLayer::default().layer(Panics);
        let request = Request::get("/api/v1/anything")
            .header("x-request-id", "abc-123")
            .body(())
            .unwrap();
        // The panic is in `call` itself here; in real handlers it is in the future. Both
        // are caught.
        let response = envelope.call(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()["x-request-id"], "abc-123");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["request_id"], "abc-123");
        assert_eq!(problem["instance"], "/api/v1/anything");
    }
}
