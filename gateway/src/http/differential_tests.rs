//! One request envelope, two paths: the same requests for the display feed sent through the
//! feed lane and through the router (the lane switched off), each inside the envelope the
//! server uses; status, headers and body must be the same.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::FutureExt as _;
use hyper::service::Service as _;
use rappu_shared::Grant;
use tower::Layer as _;

use super::envelope::EnvelopeLayer;
use super::lane::{App, FEED_PATH};
use super::server::PeerService;
use crate::auth::TokenRequest;
use crate::state::{AppState, UpstreamMode};
use crate::{Application, Settings};

const PEER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 40_000);

struct Rig {
    state: AppState,
    _dir: tempfile::TempDir,
    _app: Application,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.server.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.data_dir = dir.path().to_owned();
    settings.web_dir = dir.path().join("web");
    settings.server.request_timeout_secs = 1;
    // Tests run side by side: the metrics listener on a free port too.
    settings.metrics.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let app = Application::build(settings).await.unwrap();
    Rig {
        state: app.state(),
        _dir: dir,
        _app: app,
    }
}

fn token(state: &AppState, grant: Grant) -> String {
    let account = state.tampuuri.account_names().next().unwrap().to_owned();
    state
        .tokens
        .mint(TokenRequest {
            subject: "differential".into(),
            account,
            grant,
            ttl: Duration::from_secs(600),
        })
        .unwrap()
        .token
}

async fn send(
    app: &App,
    method: Method,
    headers: &[(&str, String)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let service = EnvelopeLayer::default().layer(PeerService {
        app: app.clone(),
        peer: PEER,
    });
    let mut request = Request::builder().method(method).uri(FEED_PATH);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response: Response = service
        .call(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec();
    let mut headers = parts.headers;
    // Differs between any two responses: the feed's age in seconds. Content-Length is set by
    // axum on one path and by hyper from the body's exact size on the other: the bodies are
    // compared byte for byte instead.
    headers.remove("age");
    headers.remove("content-length");
    (parts.status, headers, body)
}

/// Sends the same request both ways and checks the answers are equal.
async fn same(
    lane: &App,
    router: &App,
    method: Method,
    headers: &[(&str, String)],
    what: &str,
) -> StatusCode {
    let mut headers = headers.to_vec();
    headers.push(("x-request-id", format!("diff-{what}")));
    let a = send(lane, method.clone(), &headers).await;
    let b = send(router, method, &headers).await;
    assert_eq!(a.0, b.0, "{what}: status");
    assert_eq!(a.1, b.1, "{what}: headers");
    assert_eq!(
        String::from_utf8_lossy(&a.2),
        String::from_utf8_lossy(&b.2),
        "{what}: body"
    );
    a.0
}

fn buildings(state: &AppState) -> Vec<u64> {
    let UpstreamMode::Embedded(sim) = &state.mode else {
        panic!("demo mode");
    };
    let account = state.tampuuri.account_names().next().unwrap();
    sim.summary(account)
        .unwrap()
        .properties
        .iter()
        .flat_map(|p| p.buildings.iter().map(|b| u64::try_from(b.id).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_lane_and_the_router_answer_alike() {
    let rig = rig().await;
    let state = rig.state.clone();
    let lane = App::new(state.clone(), super::router(state.clone()));
    let router = App::router_only(state.clone(), super::router(state.clone()));
    let buildings = buildings(&state);
    let display = |b: u64| {
        token(
            &state,
            Grant::Display {
                building: b,
                staircase: None,
            },
        )
    };
    let bearer = |t: String| ("authorization", format!("Bearer {t}"));

    assert_eq!(
        same(&lane, &router, Method::GET, &[], "anonymous").await,
        401
    );
    assert_eq!(
        same(
            &lane,
            &router,
            Method::GET,
            &[bearer("not.a.token".into())],
            "bad token"
        )
        .await,
        401
    );
    let resident = token(
        &state,
        Grant::Resident {
            party: 1,
            apartment: 2,
        },
    );
    assert_eq!(
        same(
            &lane,
            &router,
            Method::GET,
            &[bearer(resident)],
            "wrong role"
        )
        .await,
        403
    );
    let t = display(buildings[0]);
    // The first request builds the feed; both paths then see the same cached version.
    send(&lane, Method::GET, &[bearer(t.clone())]).await;
    assert_eq!(
        same(&lane, &router, Method::GET, &[bearer(t.clone())], "200").await,
        200
    );
    let gzip = ("accept-encoding", "gzip".to_owned());
    assert_eq!(
        same(
            &lane,
            &router,
            Method::GET,
            &[bearer(t.clone()), gzip],
            "200 gzip"
        )
        .await,
        200
    );
    let (_, headers, _) = send(&lane, Method::GET, &[bearer(t.clone())]).await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        same(
            &lane,
            &router,
            Method::GET,
            &[bearer(t.clone()), ("if-none-match", etag)],
            "304"
        )
        .await,
        304
    );
    assert_eq!(
        same(&lane, &router, Method::HEAD, &[bearer(t.clone())], "HEAD").await,
        200
    );
    // A gateway just started while Tampuuri is slower than the request timeout: its account
    // mirror is still loading, and both paths answer the same 503 problem.
    let cold = self::rig().await;
    let UpstreamMode::Embedded(sim) = &cold.state.mode else {
        panic!("demo mode");
    };
    sim.set_faults(rappu_sim::Faults {
        latency_ms: 3_000,
        ..rappu_sim::Faults::default()
    });
    let cold_lane = App::new(cold.state.clone(), super::router(cold.state.clone()));
    let cold_router = App::router_only(cold.state.clone(), super::router(cold.state.clone()));
    let slow = |app: &App, b: u64| {
        let app = app.clone();
        let t = token(
            &cold.state,
            Grant::Display {
                building: b,
                staircase: None,
            },
        );
        async move {
            send(
                &app,
                Method::GET,
                &[bearer(t), ("x-request-id", "diff-timeout".into())],
            )
            .await
        }
    };
    let (a, b) = tokio::join!(
        slow(&cold_lane, buildings[1]),
        slow(&cold_router, buildings[2])
    );
    sim.set_faults(rappu_sim::Faults::default());
    assert_eq!(a.0, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!((a.0, &a.1), (b.0, &b.1), "timeout");
    assert_eq!(
        String::from_utf8_lossy(&a.2),
        String::from_utf8_lossy(&b.2),
        "timeout"
    );
}

async fn panics() -> StatusCode {
    panic!("a handler bug")
}

#[tokio::test]
async fn a_panicking_handler_is_answered_alike_on_both_paths() {
    let rig = rig().await;
    let state = rig.state.clone();
    let panicking: Router = Router::new().route(FEED_PATH, get(panics)).with_state(());
    let lane = App::with_feed_handler(state.clone(), panicking.clone(), |_, _, _| {
        async { Ok(panics().await.into_response()) }.boxed()
    });
    let router = App::router_only(state, panicking);
    assert_eq!(same(&lane, &router, Method::GET, &[], "panic").await, 500);
    let (_, headers, body) = send(&lane, Method::GET, &[("x-request-id", "p-1".into())]).await;
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["request_id"], "p-1");
    assert_eq!(problem["status"], 500);
}
