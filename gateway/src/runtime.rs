//! The process's multi-threaded runtime, and why it looks at the I/O driver less often than
//! tokio's default.
//!
//! A busy worker polls the I/O driver every `event_interval` tasks (tokio's default: 61).
//! Every connection the poll finds ready is woken into the worker's local queue of 256 tasks;
//! what does not fit overflows to the shared injection queue, which a worker with local work
//! visits only once every ~20 tasks, while each driver poll refills the local queue. With
//! 512 busy connections on one worker (a one-CPU host, or the benchmark's `--pin`), the
//! overflowed connections waited several rounds of the others: p99 at 512 connections was
//! 15–21× nginx's (67 ms against 3–5 ms, README "Benchmark", issue 19).
//!
//! With [`EVENT_INTERVAL`] above the number of connections a poll can wake at saturation, a
//! worker serves everything one poll woke, local queue and overflow alike, before it polls
//! again: every ready connection is served once a round, as an event loop serves the events
//! of one `epoll_wait`. A worker with nothing to do still polls the driver at once, so this
//! changes nothing below saturation; at saturation, new readiness and due timers wait at most
//! [`EVENT_INTERVAL`] tasks (~8 ms at the cached feed's ~8 µs a request).
//!
//! Measured (README "Benchmark"): p99 at 512 connections, pinned to one CPU, 15.2× / 20.6×
//! nginx's before and 1.49× / 1.54× after (`200` / `304`), with the same requests/s and CPU
//! per request. `gateway/tests/runtime_fairness.rs` serves 512 busy connections on one worker
//! and counts how many requests others got between two of one connection's.

/// Tasks a busy worker runs between polls of the I/O driver and the timers.
pub const EVENT_INTERVAL: u32 = 1024;

/// The builder of the process's runtime: multi-threaded (one worker per CPU the process may
/// use), I/O and time enabled, and the driver polled every [`EVENT_INTERVAL`] tasks.
pub fn builder() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().event_interval(EVENT_INTERVAL);
    builder
}
