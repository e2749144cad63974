//! The process's runtime serves every ready connection once a round under saturation
//! (`rappu_gateway::runtime`, issue 19). A test binary of its own: it measures a scheduler, so
//! it must not share the CPUs with the library's other tests running in parallel.

use std::io;
use std::os::unix::net::UnixStream as StdStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UnixStream;
use tokio::task::JoinSet;

use rappu_gateway::runtime::builder;

/// Busy connections, as in the benchmark's largest run.
const CONNECTIONS: usize = 512;
/// Requests each connection sends, one at a time.
const REQUESTS: u64 = 30;
/// The server's work per request, near a cached feed's: enough that the server, not the
/// client, is the bottleneck, so nearly every connection is ready at each driver poll (as
/// under `wrk`). Much longer and tokio's own tuning visits the overflow every other task
/// (it aims at one visit per 200 µs), which hides the difference.
const WORK: Duration = Duration::from_micros(20);
/// Attempts; the best is judged. Other processes taking the CPUs (a busy CI machine) can
/// make any scheduler look unfair in one attempt; none makes tokio's default look fair
/// here when it runs undisturbed (4–5 rounds, against 1.3–1.6 with ours).
const ATTEMPTS: usize = 5;

/// Serves [`CONNECTIONS`] busy connections on one worker of a runtime from `builder`,
/// with a client on a thread of its own keeping one request in flight on each (as `wrk`
/// does). Returns the longest wait of any connection between two of its requests served,
/// counted in requests the server served in between, in rounds (÷ [`CONNECTIONS`]).
/// Counted, not timed, so a slow or busy machine does not change the result.
fn longest_wait_in_rounds(mut builder: tokio::runtime::Builder) -> io::Result<f64> {
    let server = builder.worker_threads(1).build()?;
    let (mut server_ends, mut client_ends) = (Vec::new(), Vec::new());
    for _ in 0..CONNECTIONS {
        let (a, b) = StdStream::pair()?;
        a.set_nonblocking(true)?;
        b.set_nonblocking(true)?;
        server_ends.push(a);
        client_ends.push(b);
    }
    let client = std::thread::spawn(move || -> io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let mut connections = JoinSet::new();
            for end in client_ends {
                let mut end = UnixStream::from_std(end)?;
                connections.spawn(async move {
                    let mut answer = [0u8];
                    for _ in 0..REQUESTS {
                        end.write_all(b"?").await?;
                        end.read_exact(&mut answer).await?;
                    }
                    io::Result::Ok(())
                });
            }
            while let Some(done) = connections.join_next().await {
                done.map_err(io::Error::other)??;
            }
            Ok(())
        })
    });
    let served = Arc::new(AtomicU64::new(0));
    let longest = server.block_on(async move {
        let mut connections = JoinSet::new();
        for end in server_ends {
            let served = Arc::clone(&served);
            let mut end = UnixStream::from_std(end)?;
            connections.spawn(async move {
                let (mut request, mut last, mut longest) = ([0u8], None, 0);
                for _ in 0..REQUESTS {
                    end.read_exact(&mut request).await?;
                    let now = served.fetch_add(1, Ordering::Relaxed);
                    if let Some(last) = last {
                        longest = u64::max(longest, now - last);
                    }
                    last = Some(now);
                    let begun = Instant::now();
                    while begun.elapsed() < WORK {
                        std::hint::spin_loop();
                    }
                    end.write_all(b"!").await?;
                }
                io::Result::Ok(longest)
            });
        }
        let mut longest = 0;
        while let Some(done) = connections.join_next().await {
            longest = longest.max(done.map_err(io::Error::other)??);
        }
        io::Result::Ok(longest)
    })?;
    client
        .join()
        .map_err(|_| io::Error::other("the client thread panicked"))??;
    Ok(longest as f64 / CONNECTIONS as f64)
}

#[test]
fn one_busy_worker_serves_every_ready_connection_once_a_round() -> io::Result<()> {
    let mut waits = Vec::new();
    for _ in 0..ATTEMPTS {
        let ours = longest_wait_in_rounds(builder())?;
        // tokio's default beside it, for the record (and to show the test tells them apart).
        let mut default = tokio::runtime::Builder::new_multi_thread();
        default.enable_all();
        let tokio_default = longest_wait_in_rounds(default)?;
        eprintln!("longest wait: {ours:.2} rounds (tokio's default: {tokio_default:.2})");
        waits.push(ours);
        // A connection served first in one round may be served last in the next: 2 rounds.
        if ours <= 2.5 {
            return Ok(());
        }
    }
    panic!("in every attempt a connection waited over 2.5 rounds of the others: {waits:.2?}");
}
