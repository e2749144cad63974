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
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::envelope::{Envelope, EnvelopeLayer};
use super::lane::{App, AppFuture};

/// Serves `app` on `listener` until `stop` is cancelled, then stops accepting, asks every
/// open connection to finish its request in flight and close, and returns once all have.
/// (The caller bounds that wait with its grace period.)
pub async fn serve(listener: TcpListener, app: App, stop: CancellationToken) {
    let connections = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                let conn = serve_connection(tcp, peer, app.clone());
                tokio::spawn(connections.watch(conn));
            }
            Err(e) => accept_failed(e).await,
        }
    }
    drop(listener);
    connections.shutdown().await;
}

fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    app: App,
) -> http1::Connection<TokioIo<TcpStream>, Envelope<PeerService>> {
    // Responses leave in one write and SSE events must not wait for an ACK: no Nagle.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY not set");
    }
    // The request envelope wraps the whole application, lane and router alike.
    let service = tower::Layer::layer(&EnvelopeLayer, PeerService { app, peer });
    http1::Builder::new().serve_connection(TokioIo::new(tcp), service)
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
