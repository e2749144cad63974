//! The HTTP/1.1 server loop: accepts connections, serves each with hyper's HTTP/1 connection
//! and the [`App`], and shuts down gracefully.
//!
//! `axum::serve` would do, but it sniffs every connection for an HTTP/2 preface, boxes every
//! request body and inserts the peer address into every request's extensions. Display polls
//! are a few microseconds of work each, so those costs showed in the benchmark; here the
//! feed lane gets the peer address as an argument and never touches the body, and only
//! requests for the router get the body boxed and the `ConnectInfo` extension. HTTP/2 is
//! left to the TLS-terminating proxy in front (browsers speak HTTP/2 only over TLS).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::envelope::{Envelope, EnvelopeLayer};
use super::lane::{App, AppFuture};

/// What a connection may do, from `[server]`.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time to send a whole request head, counted from when the server starts waiting for
    /// one (so also the idle time allowed between requests).
    pub header_read_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Largest request head in bytes (`431` past it).
    pub max_header_bytes: usize,
}

impl ConnectionLimits {
    /// From the server settings.
    pub fn new(server: &crate::config::ServerSettings) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(server.header_read_timeout_secs),
            max_connections: server.max_connections,
            max_header_bytes: server.max_header_bytes,
        }
    }
}

/// Serves `app` on `listener` until `stop` is cancelled, then stops accepting, asks every
/// open connection to finish its request in flight and close, and returns once all have.
/// (The caller bounds that wait with its grace period.)
///
/// At `limits.max_connections` open connections the loop stops accepting until one closes:
/// new clients wait in the kernel's accept queue instead of being taken on and starved.
pub async fn serve(
    listener: TcpListener,
    app: App,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let connections = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    let mut full_since: Option<Instant> = None;
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if full_since.is_none() {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached; not accepting until a connection closes"
                    );
                    full_since = Some(Instant::now());
                }
                tokio::select! {
                    () = stop.cancelled() => break,
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                }
            }
        };
        if let Some(since) = full_since.take() {
            tracing::info!(
                waited_ms = since.elapsed().as_millis(),
                "accepting connections again"
            );
        }
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                let conn = serve_connection(&builder, tcp, peer, app.clone());
                let watched = connections.watch(conn);
                tokio::spawn(async move {
                    // A connection closed by a timeout or a client gone is routine.
                    if let Err(e) = watched.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    drop(slot);
                });
            }
            Err(e) => accept_failed(e).await,
        }
    }
    drop(listener);
    connections.shutdown().await;
}

fn serve_connection(
    builder: &http1::Builder,
    tcp: TcpStream,
    peer: SocketAddr,
    app: App,
) -> http1::Connection<TokioIo<TcpStream>, Envelope<PeerService>> {
    // Responses leave in one write and SSE events must not wait for an ACK: no Nagle.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY not set");
    }
    // The request envelope wraps the whole application, lane and router alike.
    let envelope = EnvelopeLayer::new(app.http_metrics(), app.access_log());
    let service = tower::Layer::layer(&envelope, PeerService { app, peer });
    builder.serve_connection(TokioIo::new(tcp), service)
}

/// A connection that cannot be accepted is the client's problem; anything else (out of
/// file descriptors, typically) is ours: say so and give the process a second before
/// trying again instead of spinning.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept connections; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The [`App`] for one connection: every request knows the peer's address.
#[derive(Debug, Clone)]
pub struct PeerService {
    /// The application.
    pub app: App,
    /// The connection's peer.
    pub peer: SocketAddr,
}

impl<B> hyper::service::Service<hyper::Request<B>> for PeerService
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = AppFuture;

    fn call(&self, request: hyper::Request<B>) -> Self::Future {
        self.app.serve(request, self.peer)
    }
}
