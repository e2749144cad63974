//! The HTTP server itself: shutting down while requests are in flight, and what it speaks.

use std::time::{Duration, Instant};

use rappu_gateway::config::EventLoops;
use rappu_sim::Faults;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use rappu_shared::Grant;
use rappu_shared::report::ReportStatus;

use crate::display::{buildings, display};
use crate::helpers::{eventually, one_account, spawn_app_against, spawn_app_with};
use crate::report_support::{
    delivered_as, file, maintenance, report_app, report_app_with, resident, until_status,
};

/// Shutdown lets a request in flight finish, ends open event streams, closes idle
/// keep-alive connections and refuses new ones, and then returns without waiting out
/// the grace period.
#[tokio::test]
async fn shutdown_finishes_requests_in_flight_then_returns() {
    shutdown_case(report_app().await).await;
}

/// The same with connections served by two event loops (`server.event_loops`; the default
/// is one loop on a one-CPU host): each loop finishes its own connections.
#[tokio::test]
async fn shutdown_with_event_loops_finishes_requests_in_flight_then_returns() {
    shutdown_case(report_app_with(|s| s.server.event_loops = two_loops()).await).await;
}

fn two_loops() -> EventLoops {
    EventLoops::Count(std::num::NonZeroUsize::new(2).expect("two"))
}

async fn shutdown_case(mut app: crate::helpers::TestApp) {
    // Reads come from the account mirror; what waits for Tampuuri in a request is a write:
    // a partner's work-order transition.
    let resident_token = app.token(resident(&app, 0).grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let filed = file(&app, &resident_token, "Ulko-ovi ei lukitu").await;
    until_status(&app, &resident_token, &filed.id, ReportStatus::Open).await;
    let id = delivered_as(&app, &filed.id).id;
    eventually(10, "the work order in the partner's view", || async {
        let order = app
            .get(&format!("/api/v1/work-orders/{id}"), Some(&partner))
            .await;
        (order.status() == 200).then_some(())
    })
    .await;
    let streaming = display(&app, buildings(&app.sim.snapshot("acct").unwrap())[0]);

    // An idle keep-alive connection in the client's pool, and an open event stream.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    let mut events = app
        .http
        .get(format!("{}/api/v1/display/events", app.url))
        .bearer_auth(&streaming)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);

    // A request in flight: the transition waits for a slow Tampuuri.
    app.sim.set_faults(Faults {
        latency_ms: 300,
        ..Default::default()
    });
    let before = app.sim.calls().total;
    let in_flight = tokio::spawn(
        app.http
            .post(format!("{}/api/v1/work-orders/{id}/receive", app.url))
            .bearer_auth(&partner)
            .send(),
    );
    eventually(10, "the transition to reach Tampuuri", || async {
        (app.sim.calls().total > before).then_some(())
    })
    .await;

    let addr = app.url.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let server = app.begin_shutdown();

    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap_or_default());
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = events.chunk().await.transpose() {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the event stream did not end");
    let result = tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the server returns once its connections are done")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "shutdown waited out the grace period: {:?}",
        started.elapsed()
    );
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "still accepting connections after shutdown"
    );
}

/// The gateway speaks HTTP/1.1 (HTTP/2 is the TLS proxy's job): keep-alive with several
/// requests on one connection, and a request it cannot parse gets an error status and a
/// closed connection, not a hang.
#[tokio::test]
async fn http1_keep_alive_and_garbage() {
    let app = spawn_app_against(one_account(1), |_| {}).await;
    let addr = app.url.trim_start_matches("http://").to_owned();

    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    conn.write_all(two.as_bytes()).await.unwrap();
    let text = read_until(&mut conn, |t| t.matches("HTTP/1.1 200").count() == 2).await;
    assert_eq!(text.matches("HTTP/1.1 200").count(), 2, "{text}");

    for garbage in [
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "NOT A REQUEST\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n",
    ] {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        conn.write_all(garbage.as_bytes()).await.unwrap();
        let text = read_to_close(&mut conn).await;
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 4") || text.starts_with("HTTP/1.1 5"),
            "{garbage:?} answered {text:?}"
        );
    }
    // The server is unharmed.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    app.stop().await;
}

async fn read_until(conn: &mut tokio::net::TcpStream, done: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    let mut buf = [0; 4096];
    while !done(&text) {
        let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        if n == 0 {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    text
}

async fn read_to_close(conn: &mut tokio::net::TcpStream) -> String {
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut bytes))
        .await
        .expect("the connection is closed within 5 s")
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// With event loops (one thread and listening socket each), every connection is served
/// whichever loop the kernel gives it to, the loops run on their own named threads, and
/// `server.max_connections` bounds them together.
#[tokio::test]
async fn event_loops_serve_every_connection_and_share_the_connection_cap() {
    let app = spawn_app_with(|s| {
        s.server.event_loops = two_loops();
        s.server.max_connections = 6;
        s.server.header_read_timeout_secs = 2;
    })
    .await;
    let loops: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name.starts_with("rappu-http-"))
        .collect();
    // Other tests in this process may run event loops too: at least this app's two.
    assert!(loops.len() >= 2, "event loop threads: {loops:?}");

    // Forty connections one after another, each a request and a close: the kernel spreads
    // them over both sockets, and each is answered.
    let addr = app.url.trim_start_matches("http://").to_owned();
    for i in 0..40 {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), read_to_close(&mut conn))
            .await
            .unwrap_or_else(|_| panic!("connection {i} was not answered"));
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    // The cap counts the connections of both loops: of ten kept-alive connections, each
    // with a request sent, six are served whichever socket the kernel queued them at; the
    // rest wait until the served ones idle out at the head timeout.
    let mut conns = Vec::new();
    for _ in 0..10 {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        conns.push(conn);
    }
    // Well inside the 2 s head timeout (which would free the served ones' slots), see which
    // have an answer waiting.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut answered = Vec::new();
    for conn in &mut conns {
        let mut buf = [0u8; 512];
        answered.push(matches!(conn.try_read(&mut buf), Ok(n) if n > 0));
    }
    let first = answered.iter().filter(|a| **a).count();
    assert_eq!(
        first, 6,
        "connections served at once with max_connections = 6"
    );
    for (conn, done) in conns.iter_mut().zip(&answered) {
        if !done {
            let answer = tokio::time::timeout(
                Duration::from_secs(15),
                read_until(conn, |t| t.contains("\r\n\r\n")),
            )
            .await
            .expect("a connection over the cap is served once others close");
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
    }
    app.stop().await;
}
