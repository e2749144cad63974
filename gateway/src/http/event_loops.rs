//! Serving connections on one single-threaded event loop per CPU.
//!
//! Under saturation tokio's multi-threaded runtime, at its default settings, is unfair to
//! connections: readiness events wake connection tasks into a worker's local run queue of 256
//! slots, and what does not fit overflows to the shared injection queue, which the worker
//! visits only every few dozen tasks. With 512 busy connections on one worker, the overflowed
//! ones waited several rounds of the others (issue 19). The process's runtime now polls the
//! driver less often ([`crate::runtime`]), which serves every ready connection once a round,
//! though not in the order they became ready. A current-thread runtime keeps every task it
//! wakes in one first-in-first-out queue, as nginx's event loop serves ready connections in
//! turn: the option this module gives.
//!
//! It is the default on one CPU (`server.event_loops = "one-cpu"`): there a multi-threaded
//! runtime has one worker and nothing to steal work for, and pinned to one CPU the loop
//! answered 1.01-1.07x the shared runtime's requests/s with 0.8x its p99 at 512 connections
//! (README, Benchmark).
//!
//! So each event loop is a thread with its own current-thread runtime and its own listening
//! socket on the same address (`SO_REUSEPORT`: the kernel spreads new connections over the
//! sockets), and owns the connections it accepts; nothing is handed between threads on the
//! request path. Background work (refreshes, the outbox, the mirror) stays on the process's
//! multi-threaded runtime. `max_connections` bounds the connections all loops serve together;
//! at the cap each loop holds at most one accepted connection waiting for a slot.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::lane::App;
use super::server::{ConnectionLimits, serve, serve_with_slots};

/// The kernel's queue of connections not yet accepted, per socket (tokio's default).
const BACKLOG: u32 = 1024;

/// The gateway's listening sockets: one served by the shared runtime, or one per event loop.
#[derive(Debug)]
pub enum Listeners {
    /// One socket; connections are served by the runtime that calls [`Listeners::serve`].
    Shared(TcpListener),
    /// One socket per event loop, all bound to the same address with `SO_REUSEPORT`.
    Loops(Vec<std::net::TcpListener>),
}

impl Listeners {
    /// Binds `addr`: one socket when `loops` is `None`, else that many on the same address
    /// (port 0 picks one free port for all of them).
    pub async fn bind(addr: SocketAddr, loops: Option<NonZeroUsize>) -> anyhow::Result<Self> {
        let Some(loops) = loops else {
            return Ok(Self::Shared(TcpListener::bind(addr).await?));
        };
        let first = reuseport_listener(addr)?;
        let addr = first.local_addr()?;
        let mut sockets = vec![first];
        for _ in 1..loops.get() {
            sockets.push(reuseport_listener(addr)?);
        }
        let sockets = sockets
            .into_iter()
            .map(|l| l.into_std().context("handing a listener to its event loop"))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self::Loops(sockets))
    }

    /// The address bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Self::Shared(listener) => listener.local_addr(),
            Self::Loops(sockets) => sockets
                .first()
                .ok_or_else(|| std::io::Error::other("no listening socket"))?
                .local_addr(),
        }
    }

    /// How many event loops serve connections (0: the shared runtime).
    pub fn loops(&self) -> usize {
        match self {
            Self::Shared(_) => 0,
            Self::Loops(sockets) => sockets.len(),
        }
    }

    /// Serves `app` until `stop` is cancelled and every connection has finished (see
    /// [`serve`]). With event loops, each runs on its own thread; this returns when all
    /// have stopped. A loop that cannot start its runtime is logged and the others go on.
    pub async fn serve(self, app: App, limits: ConnectionLimits, stop: CancellationToken) {
        let sockets = match self {
            Self::Shared(listener) => return serve(listener, app, limits, stop).await,
            Self::Loops(sockets) => sockets,
        };
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let mut done = Vec::with_capacity(sockets.len());
        for (i, socket) in sockets.into_iter().enumerate() {
            let (finished, wait) = tokio::sync::oneshot::channel::<()>();
            let (app, slots, stop) = (app.clone(), Arc::clone(&slots), stop.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("rappu-http-{i}"))
                .spawn(move || {
                    run_loop(i, socket, app, limits, slots, stop);
                    drop(finished);
                });
            match spawned {
                Ok(_) => done.push(wait),
                Err(e) => {
                    tracing::error!(event_loop = i, error = %e, "cannot start an event loop thread")
                }
            }
        }
        for wait in done {
            // The sender is dropped when the loop's thread ends, however it ends.
            let _ = wait.await;
        }
    }
}

/// One event loop: a current-thread runtime serving the connections `socket` accepts.
fn run_loop(
    i: usize,
    socket: std::net::TcpListener,
    app: App,
    limits: ConnectionLimits,
    slots: Arc<Semaphore>,
    stop: CancellationToken,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(event_loop = i, error = %e, "cannot start an event loop's runtime");
            return;
        }
    };
    runtime.block_on(async move {
        match TcpListener::from_std(socket) {
            Ok(listener) => serve_with_slots(listener, app, limits, slots, stop).await,
            Err(e) => tracing::error!(event_loop = i, error = %e, "cannot register a listener"),
        }
    });
    // Tasks the loop's requests spawned and left running (none should outlive their
    // request) end with the runtime here.
}

/// A listening socket on `addr` that others may share (`SO_REUSEPORT`).
fn reuseport_listener(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    Ok(socket.listen(BACKLOG)?)
}

/// How many event loops `[server] event_loops` asks for: `None` for the shared runtime.
pub fn resolve(setting: crate::config::EventLoops) -> Option<NonZeroUsize> {
    resolve_on(
        setting,
        std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
    )
}

/// [`resolve`] for a process that may run on `cpus` CPUs (its affinity mask and CPU quota).
fn resolve_on(setting: crate::config::EventLoops, cpus: NonZeroUsize) -> Option<NonZeroUsize> {
    use crate::config::EventLoops;
    match setting {
        EventLoops::Shared => None,
        EventLoops::Count(n) => Some(n),
        EventLoops::Auto => Some(cpus),
        EventLoops::OneCpu => (cpus == NonZeroUsize::MIN).then_some(NonZeroUsize::MIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EventLoops;

    fn n(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
    }

    #[test]
    fn the_default_serves_one_cpu_by_one_event_loop_and_several_by_the_shared_runtime() {
        assert_eq!(resolve_on(EventLoops::OneCpu, n(1)), Some(n(1)));
        for cpus in [2, 4, 64] {
            assert_eq!(resolve_on(EventLoops::OneCpu, n(cpus)), None, "{cpus} CPUs");
        }
    }

    #[test]
    fn explicit_settings_do_not_depend_on_the_cpus_except_auto() {
        for cpus in [1, 2, 8] {
            assert_eq!(resolve_on(EventLoops::Shared, n(cpus)), None);
            assert_eq!(resolve_on(EventLoops::Count(n(3)), n(cpus)), Some(n(3)));
            assert_eq!(resolve_on(EventLoops::Auto, n(cpus)), Some(n(cpus)));
        }
    }

    /// The default setting on a process confined to one CPU, as `taskset -c 0` or a CPU
    /// quota of one does, binds one event loop.
    #[tokio::test]
    async fn one_cpu_binds_one_reuseport_socket() {
        let cpus = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
        let loops = resolve_on(EventLoops::OneCpu, NonZeroUsize::MIN);
        let bound = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)), loops).await;
        let bound = bound.unwrap_or_else(|e| panic!("binding one event loop: {e}"));
        assert_eq!(bound.loops(), 1);
        // And here, with this machine's CPUs, the default is what `resolve` says.
        assert_eq!(
            resolve(EventLoops::OneCpu).is_some(),
            cpus == NonZeroUsize::MIN
        );
    }
}
