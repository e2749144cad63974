//! Rappu protects Tampuuri, and itself, from a failing or flooded upstream: a circuit
//! breaker per account (open after calls in a row fail, calls then refused at once without
//! reaching Tampuuri, cached feeds served, one probe after the open period) and a pace on
//! each account's calls.

use std::time::{Duration, Instant};

use rappu_shared::Grant;
use rappu_sim::Faults;
use serde_json::Value;

use crate::display::{buildings, display};
use crate::helpers::{eventually, expect_problem, one_account, spawn_app_against};

#[tokio::test]
async fn the_circuit_opens_serves_cached_feeds_probes_and_closes() {
    let app = spawn_app_against(one_account(1), |s| {
        s.feeds.refresh_secs = 60;
        s.feeds.max_stale_secs = 600;
        let t = s.tampuuri.as_mut().unwrap();
        t.max_retries = 0;
        t.circuit_failures = 3;
        t.circuit_open_secs = 2;
    })
    .await;
    let admin = app.token(Grant::Admin);
    let building = buildings(&app.sim.snapshot("acct").unwrap())[0];
    let token = display(&app, building);
    let first = app.feed(&token).await;
    assert!(!first.stale);
    let circuit = |view: &Value| view["circuit"]["state"].as_str().unwrap().to_owned();
    let view: Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(circuit(&view), "closed");

    // Tampuuri goes down: three calls fail, and the circuit opens.
    app.sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    for _ in 0..3 {
        expect_problem(app.get("/api/v1/admin/properties", Some(&admin)).await, 503).await;
    }
    let view: Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(circuit(&view), "open", "{view}");
    assert_eq!(view["circuit"]["consecutive_failures"], 3);
    assert!(
        view["circuit"]["last_failure"]
            .as_str()
            .unwrap()
            .contains("unavailable"),
        "{view}"
    );

    // While it is open no call reaches Tampuuri: callers get 503 with Retry-After at once,
    // and displays keep their last feed, marked stale once it is past its freshness.
    let calls = app.sim.calls().total();
    for _ in 0..5 {
        let refused = app.get("/api/v1/admin/properties", Some(&admin)).await;
        let retry_after: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry_after), "{retry_after}");
        expect_problem(refused, 503).await;
    }
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(61)).await;
    tokio::time::resume();
    let stale = eventually(5, "the stale feed", || async {
        let feed = app.feed(&token).await;
        feed.stale.then_some(feed)
    })
    .await;
    assert_eq!(stale.staircases, first.staircases);
    // The 61 s advanced also ended the open period: one probe reached the (still down)
    // Tampuuri and the circuit opened again, for twice as long.
    let view: Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(circuit(&view), "open", "{view}");
    assert!(
        app.sim.calls().total() <= calls + 1,
        "only a probe may reach Tampuuri while the circuit is open"
    );

    // Tampuuri is back: after the open period one probe goes through and closes it.
    app.sim.set_faults(Faults::default());
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(5)).await;
    tokio::time::resume();
    let properties = app.get("/api/v1/admin/properties", Some(&admin)).await;
    assert_eq!(properties.status(), 200);
    let view: Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(circuit(&view), "closed", "{view}");
    assert!(view["circuit"]["times_opened"].as_u64().unwrap() >= 2);
    app.stop().await;
}

#[tokio::test]
async fn an_accounts_calls_are_paced() {
    let app = spawn_app_against(one_account(1), |s| {
        let t = s.tampuuri.as_mut().unwrap();
        t.calls_per_second = 4;
        t.calls_burst = 1;
    })
    .await;
    let admin = app.token(Grant::Admin);
    app.sim.reset_calls();
    let started = Instant::now();
    for _ in 0..5 {
        assert_eq!(
            app.get("/api/v1/admin/properties", Some(&admin))
                .await
                .status(),
            200
        );
    }
    let calls = app.sim.calls().total();
    let elapsed = started.elapsed();
    // Each listing is one call; after the first, each waits its quarter second.
    assert_eq!(calls, 5);
    assert!(
        elapsed >= Duration::from_millis(950),
        "5 calls at 4 a second took {elapsed:?}"
    );
    app.stop().await;
}
