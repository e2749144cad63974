//! `--gaps`: where the slow requests wait (issue 19). wrk reports one latency distribution
//! for all connections; it cannot say whether the tail is every connection now and then or
//! some connections always. This client can: one thread with one event loop (as `wrk -t1`),
//! `N` keep-alive connections, one request in flight on each, the same pre-formatted
//! requests as wrk's script (rotating the display tokens, `If-None-Match` on the 304 path),
//! and every response's latency kept per connection. It reports, per server:
//!
//! - the latency percentiles and a histogram of all requests (share per doubling bucket);
//! - **fairness**: how many requests each connection got answered (min / median / max over
//!   the connections): a fair server answers every connection about equally often;
//! - **per-connection gaps**: each connection's slowest wait, as a distribution over the
//!   connections, and how many connections ever waited over 5× and 20× the median latency:
//!   a tail spread over all connections is a busy server; one that a few connections carry
//!   is a scheduler that leaves some connections behind.
//!
//! Responses are read by `Content-Length` (both servers send one; a chunked answer is an
//! error), and any status but 200 or 304 fails the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The histogram's upper bounds, ms (the last bucket is everything above).
const BUCKETS_MS: [f64; 9] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// What one server's run gave.
#[derive(Debug, Clone)]
pub struct Gaps {
    /// The run's length.
    pub duration: Duration,
    /// Every request's latency, µs, by connection.
    pub per_connection: Vec<Vec<u32>>,
}

impl Gaps {
    fn all_sorted(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.per_connection.iter().flatten().copied().collect();
        all.sort_unstable();
        all
    }

    /// Requests answered.
    pub fn requests(&self) -> usize {
        self.per_connection.iter().map(Vec::len).sum()
    }

    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests() as f64 / self.duration.as_secs_f64().max(1e-9)
    }
}

/// The value at `q` (0–1) of sorted `values`.
fn quantile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A summary of `gaps` in the report's words.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Requests answered per connection: min, median, max.
    pub per_connection: (usize, usize, usize),
    /// Each connection's slowest wait, ms: median, 90th percentile, max over connections.
    pub worst_wait_ms: (f64, f64, f64),
    /// Connections that ever waited over 5× / 20× the median latency.
    pub behind: (usize, usize),
    /// Share of requests in each bucket of [`BUCKETS_MS`] (and above the last).
    pub histogram: Vec<f64>,
}

/// Sums `gaps` up.
pub fn summarize(gaps: &Gaps) -> Summary {
    let all = gaps.all_sorted();
    let ms = |us: u32| f64::from(us) / 1000.0;
    let p50 = quantile(&all, 0.5);
    let mut counts: Vec<usize> = gaps.per_connection.iter().map(Vec::len).collect();
    counts.sort_unstable();
    let mut worst: Vec<u32> = gaps
        .per_connection
        .iter()
        .map(|c| c.iter().copied().max().unwrap_or(0))
        .collect();
    worst.sort_unstable();
    let behind = |factor: u32| {
        worst
            .iter()
            .filter(|w| **w > p50.saturating_mul(factor))
            .count()
    };
    let mut histogram = vec![0usize; BUCKETS_MS.len() + 1];
    for us in &all {
        let bucket = BUCKETS_MS
            .iter()
            .position(|bound| ms(*us) < *bound)
            .unwrap_or(BUCKETS_MS.len());
        histogram[bucket] += 1;
    }
    let total = all.len().max(1) as f64;
    Summary {
        rps: gaps.rps(),
        p50_ms: ms(p50),
        p99_ms: ms(quantile(&all, 0.99)),
        p999_ms: ms(quantile(&all, 0.999)),
        max_ms: ms(all.last().copied().unwrap_or(0)),
        per_connection: (
            counts.first().copied().unwrap_or(0),
            counts.get(counts.len() / 2).copied().unwrap_or(0),
            counts.last().copied().unwrap_or(0),
        ),
        worst_wait_ms: (
            ms(quantile(&worst, 0.5)),
            ms(quantile(&worst, 0.9)),
            ms(worst.last().copied().unwrap_or(0)),
        ),
        behind: (behind(5), behind(20)),
        histogram: histogram.iter().map(|n| *n as f64 / total).collect(),
    }
}

/// `GET path` requests as wrk formats them: one per token, with `If-None-Match` when given.
pub fn requests(
    url: &str,
    tokens: &[String],
    if_none_match: Option<&str>,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: only http:// URLs"))?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    Ok(tokens
        .iter()
        .map(|token| {
            let mut request =
                format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n");
            if let Some(etag) = if_none_match {
                request.push_str(&format!("If-None-Match: {etag}\r\n"));
            }
            request.push_str("\r\n");
            request.into_bytes()
        })
        .collect())
}

/// Runs the client against `url` with `connections` connections: `warmup` unrecorded, then
/// `duration` recorded. On a thread of its own with a single-threaded event loop.
pub async fn measure(
    url: &str,
    requests: Vec<Vec<u8>>,
    connections: u32,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Gaps> {
    let addr = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .with_context(|| format!("{url}: no address"))?
        .parse::<std::net::SocketAddr>()
        .with_context(|| format!("{url}: not an IP address and port"))?;
    let requests = Arc::new(requests);
    if requests.is_empty() {
        bail!("no requests to send");
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-gaps".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("the client's event loop")
                .and_then(|rt| rt.block_on(run(addr, requests, connections, warmup, duration)));
            let _ = tx.send(result);
        })
        .context("starting the client's thread")?;
    rx.await.context("the client's thread ended")?
}

async fn run(
    addr: std::net::SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    connections: u32,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Gaps> {
    let start = Instant::now() + warmup;
    let end = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..connections {
        let requests = Arc::clone(&requests);
        tasks.spawn(async move {
            connection(
                addr,
                &requests,
                i as usize,
                connections as usize,
                start,
                end,
            )
            .await
        });
    }
    let mut per_connection = Vec::with_capacity(connections as usize);
    while let Some(joined) = tasks.join_next().await {
        per_connection.push(joined.context("a connection's task")??);
    }
    Ok(Gaps {
        duration,
        per_connection,
    })
}

/// One connection: requests in turn until `end`, latencies recorded from `start`.
async fn connection(
    addr: std::net::SocketAddr,
    requests: &[Vec<u8>],
    first: usize,
    step: usize,
    start: Instant,
    end: Instant,
) -> anyhow::Result<Vec<u32>> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut latencies = Vec::new();
    let mut next = first % requests.len();
    loop {
        let sent = Instant::now();
        if sent >= end {
            return Ok(latencies);
        }
        stream.write_all(&requests[next]).await?;
        read_response(&mut stream, &mut buf).await?;
        if sent >= start {
            let us = sent.elapsed().as_micros();
            latencies.push(u32::try_from(us).unwrap_or(u32::MAX));
        }
        next = (next + step) % requests.len();
    }
}

/// Reads one response (status 200 or 304, `Content-Length` or no body).
async fn read_response(
    stream: &mut tokio::net::TcpStream,
    buf: &mut Vec<u8>,
) -> anyhow::Result<()> {
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        filled += n;
        let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let body = head_body_length(&buf[..end])?;
        let total = end + 4 + body;
        while filled < total {
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let n = stream.read(&mut buf[filled..]).await?;
            if n == 0 {
                bail!("the server closed the connection mid-body");
            }
            filled += n;
        }
        if filled > total {
            bail!("the server sent more than one response");
        }
        return Ok(());
    }
}

/// The body length a response head announces; an error for a status other than 200/304 or
/// a chunked body.
fn head_body_length(head: &[u8]) -> anyhow::Result<usize> {
    let head = std::str::from_utf8(head).context("a response head that is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split(' ').nth(1).unwrap_or_default();
    if code != "200" && code != "304" {
        bail!("answered {status:?}");
    }
    let mut length = 0;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().context("a bad Content-Length")?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("a chunked response");
        }
    }
    Ok(if code == "304" { 0 } else { length })
}

/// The report's header lines.
pub fn print_header(connections: u32, warmup: Duration, duration: Duration) {
    println!(
        "\n  Where the slow requests wait (--gaps): {connections} connections, {} s warm-up then {} s, a closed-loop client in the bench (one thread, one event loop, one request in flight per connection, wrk's requests)",
        warmup.as_secs(),
        duration.as_secs()
    );
    println!(
        "  per connection: requests answered (min / median / max) and its slowest wait (median / 90th pct / max over connections); behind: connections whose slowest wait exceeded 5× / 20× the median latency"
    );
    println!(
        "  {:<11} {:>9} {:>7} {:>7} {:>8} {:>7} │ {:>19} │ {:>22} │ {:>9}",
        "setup",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "req/conn min/med/max",
        "slowest wait ms",
        "behind"
    );
}

/// One setup's row and its histogram.
pub fn print_row(label: &str, s: &Summary) {
    println!(
        "  {:<11} {:>9.0} {:>7.2} {:>7.2} {:>8.2} {:>7.1} │ {:>19} │ {:>22} │ {:>9}",
        label,
        s.rps,
        s.p50_ms,
        s.p99_ms,
        s.p999_ms,
        s.max_ms,
        format!(
            "{} / {} / {}",
            s.per_connection.0, s.per_connection.1, s.per_connection.2
        ),
        format!(
            "{:.1} / {:.1} / {:.1}",
            s.worst_wait_ms.0, s.worst_wait_ms.1, s.worst_wait_ms.2
        ),
        format!("{} / {}", s.behind.0, s.behind.1),
    );
    let mut cells = Vec::new();
    let mut lower = 0.0;
    for (i, share) in s.histogram.iter().enumerate() {
        let label = match BUCKETS_MS.get(i) {
            Some(upper) => format!("{lower}–{upper}"),
            None => format!("≥{lower}"),
        };
        if *share > 0.0 {
            cells.push(format!("{label} ms {:.2} %", share * 100.0));
        }
        lower = BUCKETS_MS.get(i).copied().unwrap_or(lower);
    }
    println!("  {:<11} latency: {}", "", cells.join(", "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_left_behind_shows_where_the_spread_tail_does_not() {
        // 9 connections answered at 1 ms; one answered rarely, at 50 ms.
        let mut per_connection = vec![vec![1000u32; 100]; 9];
        per_connection.push(vec![50_000; 2]);
        let behind = summarize(&Gaps {
            duration: Duration::from_secs(1),
            per_connection,
        });
        assert_eq!(behind.p50_ms, 1.0);
        assert_eq!(behind.per_connection, (2, 100, 100));
        assert_eq!(behind.behind, (1, 1));
        assert_eq!(behind.worst_wait_ms.2, 50.0);
        // The same tail spread over every connection: nobody is behind for long.
        let spread = summarize(&Gaps {
            duration: Duration::from_secs(1),
            per_connection: vec![[vec![1000u32; 99], vec![6_000]].concat(); 10],
        });
        assert_eq!(spread.per_connection, (100, 100, 100));
        assert_eq!(spread.behind, (10, 0));
        let total: f64 = spread.histogram.iter().sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(
            (spread.histogram[2] - 0.99).abs() < 1e-9,
            "{:?}",
            spread.histogram
        );
    }

    #[test]
    fn requests_are_formatted_as_wrk_does() {
        let reqs = requests(
            "http://127.0.0.1:8080/api/v1/display/feed",
            &["t1".into(), "t2".into()],
            Some("\"abc\""),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(reqs[1].clone()).unwrap(),
            "GET /api/v1/display/feed HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer t2\r\nIf-None-Match: \"abc\"\r\n\r\n"
        );
        assert!(requests("https://x/", &["t".into()], None).is_err());
    }

    #[test]
    fn response_heads_are_read_strictly() {
        assert_eq!(
            head_body_length(b"HTTP/1.1 200 OK\r\nContent-Length: 12").unwrap(),
            12
        );
        assert_eq!(
            head_body_length(b"HTTP/1.1 304 Not Modified\r\nETag: x").unwrap(),
            0
        );
        assert!(head_body_length(b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0").is_err());
        assert!(head_body_length(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked").is_err());
    }
}
