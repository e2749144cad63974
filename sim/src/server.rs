//! Serving the simulator over HTTP: [`serve`] on a listener until a shutdown signal, or
//! [`Simulator::spawn`] on a free loopback port in a background task (tests).

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::routes::{ADMIN_BASE, API_BASE};
use crate::simulator::Simulator;

/// Serve `sim` on `listener` until `shutdown` completes, then finish the requests in
/// flight and stop webhook delivery.
pub async fn serve(
    listener: TcpListener,
    sim: Simulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = sim
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sim.stop_webhooks();
    result
}

/// A simulator served in a background task.
#[derive(Debug)]
pub struct RunningSim {
    /// The bound address.
    pub addr: SocketAddr,
    sim: Simulator,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSim {
    /// The API base URL, `http://127.0.0.1:PORT/v10/api/`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_BASE}/", self.addr)
    }

    /// The admin base URL, `http://127.0.0.1:PORT/_sim/`.
    pub fn admin_url(&self) -> String {
        format!("http://{}{ADMIN_BASE}/", self.addr)
    }

    /// The simulator being served.
    pub fn sim(&self) -> &Simulator {
        &self.sim
    }

    /// Stop gracefully: finish requests in flight, stop webhook delivery.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Err(e)) => tracing::warn!(error = %e, "simulator server failed"),
                Err(e) => tracing::warn!(error = %e, "simulator task failed"),
                Ok(Ok(())) => {}
            }
        }
        self.sim.stop_webhooks();
    }
}

impl Drop for RunningSim {
    /// Dropping a running simulator stops it too (without waiting).
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Simulator {
    /// Build a simulator and serve it on `127.0.0.1` on a free port.
    pub async fn spawn(config: SimConfig) -> std::io::Result<RunningSim> {
        Self::new(config).serve_local().await
    }

    /// Serve this simulator on `127.0.0.1` on a free port.
    pub async fn serve_local(self) -> std::io::Result<RunningSim> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(serve(listener, self.clone(), shutdown));
        Ok(RunningSim {
            addr,
            sim: self,
            stop: Some(stop),
            task: Some(task),
        })
    }
}
