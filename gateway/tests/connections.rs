//! Connection hygiene of the real `rappu` binary: slow and silent clients are disconnected
//! after `server.header_read_timeout_secs` while displays keep being served as fast as
//! before, on the shared runtime and, confined to one CPU, on the event loop the default
//! setting picks there; at `server.max_connections` new clients wait instead of being
//! refused; an oversized request head is refused with 431; `SIGTERM` stops it at once when
//! nothing is in flight.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::time::{Duration, Instant};

use rappu_shared::Grant;
use rappu_sim::Simulator;
use support::{Gateway, sim_config, start, start_on_one_cpu, token, write_config_with_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT_SECS: u64 = 3;

/// The tests measure time: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Setup {
    gateway: Gateway,
    display: String,
    dir: tempfile::TempDir,
    _sim: rappu_sim::RunningSim,
}

async fn setup(server: &str) -> Setup {
    setup_on(server, false).await
}

/// [`setup`], the gateway confined to one CPU when `one_cpu`.
async fn setup_on(server: &str, one_cpu: bool) -> Setup {
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let account = config.accounts[0].name.clone();
    let building = running.sim().summary(&account).unwrap().properties[0].buildings[0].id;
    let dir = tempfile::tempdir().unwrap();
    let config_file = write_config_with_server(
        dir.path(),
        &running.base_url(),
        &config,
        server,
        "[rate_limit]\nenabled = false\n",
    );
    let gateway = if one_cpu {
        start_on_one_cpu(dir.path(), &config_file, 1).await
    } else {
        start(dir.path(), &config_file, 1).await
    };
    let display = token(
        dir.path(),
        &account,
        Grant::Display {
            building: u64::try_from(building).unwrap(),
            staircase: None,
        },
    );
    Setup {
        gateway,
        display,
        dir,
        _sim: running,
    }
}

/// `n` conditional polls of the feed on one kept-alive connection, each one's latency.
async fn polls(client: &reqwest::Client, url: &str, token: &str, n: usize) -> Vec<Duration> {
    let feed = format!("{url}/api/v1/display/feed");
    let first = client.get(&feed).bearer_auth(token).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let response = client
            .get(&feed)
            .bearer_auth(token)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 304, "a display poll failed");
        out.push(started.elapsed());
    }
    out
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

/// Until the server closes `stream` (EOF or reset), sending one byte of a never-ending
/// request head every `every` (`None`: silent). Returns how long the connection lived.
async fn hold_open(mut stream: TcpStream, every: Option<Duration>) -> Duration {
    let opened = Instant::now();
    if every.is_some() {
        let _ = stream
            .write_all(b"GET /api/v1/display/feed HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await;
    }
    let mut buf = [0u8; 256];
    let mut tick = tokio::time::interval(every.unwrap_or(Duration::from_secs(3600)));
    tick.tick().await;
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return opened.elapsed(),
                // hyper may answer the timeout before closing; keep reading to the end.
                Ok(_) => {}
            },
            _ = tick.tick() => {
                if stream.write_all(b"a").await.is_err() {
                    return opened.elapsed();
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_clients_are_cut_off_and_displays_stay_fast() {
    let _serial = SERIAL.lock().await;
    let setup = setup(&format!("header_read_timeout_secs = {HEADER_TIMEOUT_SECS}")).await;
    slow_clients_case(&setup).await;
}

/// The same on a one-CPU host: the default setting serves connections by one event loop
/// there (the log says so), with the same timeouts and the same displays' latency bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_one_cpu_an_event_loop_cuts_slow_clients_off_and_displays_stay_fast() {
    let _serial = SERIAL.lock().await;
    let setup = setup_on(
        &format!("header_read_timeout_secs = {HEADER_TIMEOUT_SECS}"),
        true,
    )
    .await;
    let log = std::fs::read_to_string(setup.dir.path().join("rappu-1.log")).unwrap();
    assert!(
        log.lines().any(
            |l| l.contains("serving connections on event loops") && l.contains("event_loops=1")
        ),
        "one CPU, default settings: one event loop expected; the log says:\n{log}"
    );
    slow_clients_case(&setup).await;
}

async fn slow_clients_case(setup: &Setup) {
    let url = setup.gateway.url.clone();
    let addr = url.trim_start_matches("http://").to_owned();
    let client = reqwest::Client::new();

    // Warm up, then the quiet run.
    polls(&client, &url, &setup.display, 50).await;
    let quiet = p99(polls(&client, &url, &setup.display, 600).await);

    // 900 clients trickling a request head a byte every 250 ms, 100 saying nothing.
    let mut slow = Vec::new();
    let first_opened = Instant::now();
    for i in 0..1000 {
        let stream = TcpStream::connect(&addr).await.unwrap();
        let every = (i % 10 != 0).then_some(Duration::from_millis(250));
        slow.push(tokio::spawn(hold_open(stream, every)));
    }
    let loaded = p99(polls(&client, &url, &setup.display, 600).await);
    assert!(
        first_opened.elapsed() < Duration::from_millis(HEADER_TIMEOUT_SECS * 1000 - 200),
        "the loaded run must end while every slow client is still connected"
    );

    let mut lifetimes = Vec::new();
    for handle in slow {
        let lived = tokio::time::timeout(Duration::from_secs(HEADER_TIMEOUT_SECS + 10), handle)
            .await
            .expect("a slow connection is still open long after the header timeout")
            .unwrap();
        lifetimes.push(lived);
    }
    let longest = lifetimes.iter().max().copied().unwrap();
    let shortest = lifetimes.iter().min().copied().unwrap();
    eprintln!(
        "display poll p99: quiet {quiet:?}, with 1000 slow clients {loaded:?}; \
         slow connections lived {shortest:?} to {longest:?}"
    );
    assert!(
        shortest >= Duration::from_millis(HEADER_TIMEOUT_SECS * 1000 - 200),
        "a slow connection was cut before its time: {shortest:?}"
    );
    assert!(
        longest <= Duration::from_secs(HEADER_TIMEOUT_SECS + 3),
        "a slow connection lived {longest:?}"
    );
    // Displays are not held up behind the slow clients: a poll waiting on them would take
    // the header timeout's seconds. The bound is far from both that and from scheduling
    // noise (a CI run saw 3.2 ms against 0.6 ms quiet, and failed the earlier bound of twice
    // the quiet p99 plus 1 ms); the benchmark reports the exact ratio.
    assert!(
        loaded <= quiet * 2 + Duration::from_millis(50),
        "display p99 {loaded:?} under slow clients vs {quiet:?} quiet"
    );
    // And the displays' own connection is still the same kept-alive one, and works.
    polls(&client, &url, &setup.display, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_new_clients_wait_instead_of_being_refused() {
    let _serial = SERIAL.lock().await;
    let setup = setup(&format!(
        "header_read_timeout_secs = {HEADER_TIMEOUT_SECS}\nmax_connections = 20"
    ))
    .await;
    let addr = setup.gateway.url.trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Let the server take all twenty on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{}/healthz", setup.gateway.url))
        .timeout(Duration::from_secs(HEADER_TIMEOUT_SECS + 10))
        .send()
        .await
        .expect("a client over the cap waits, it is not refused");
    let waited = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(
        waited >= Duration::from_millis(HEADER_TIMEOUT_SECS * 1000 - 500),
        "served after {waited:?}: the cap did not hold"
    );
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_or_overlong_request_head_is_refused_with_431() {
    let _serial = SERIAL.lock().await;
    let setup = setup("max_header_bytes = 8192").await;
    let addr = setup.gateway.url.trim_start_matches("http://").to_owned();
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(10_000)
    );
    let many = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..120)
            .map(|i| format!("X-H{i}: 1\r\n"))
            .collect::<String>()
    );
    for head in [big, many] {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    }
    // A normal request still works.
    let ok = reqwest::get(format!("{}/healthz", setup.gateway.url))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

/// `SIGTERM` to a gateway with nothing in flight: it exits with success at once, every
/// background task stopped (none waited out its two seconds, which the log would say).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_quiet_gateway_at_once_with_every_task_stopped() {
    let _serial = SERIAL.lock().await;
    for one_cpu in [false, true] {
        let mut setup = setup_on("", one_cpu).await;
        // Feeds served first: the caches are in use.
        polls(
            &reqwest::Client::new(),
            &setup.gateway.url,
            &setup.display,
            3,
        )
        .await;
        let pid = setup.gateway.child.id().to_string();
        let started = Instant::now();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = support::eventually(10, "the gateway to exit", || {
            let exited = setup.gateway.child.try_wait().unwrap();
            async move { exited }
        })
        .await;
        let took = started.elapsed();
        let log = std::fs::read_to_string(setup.dir.path().join("rappu-1.log")).unwrap();
        assert!(status.success(), "exit status {status:?}; log:\n{log}");
        assert!(
            !log.contains("did not stop in time"),
            "one CPU: {one_cpu}; a background task was waited out:\n{log}"
        );
        assert!(log.contains("stopped"), "{log}");
        eprintln!("one CPU: {one_cpu}; SIGTERM to exit: {took:?}");
    }
}
