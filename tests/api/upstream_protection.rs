//! Rappu protects Tampuuri, and itself, from a failing or flooded upstream: a circuit
//! breaker per account (open after calls in a row fail, calls then refused at once without
//! reaching Tampuuri, cached feeds served, one probe after the open period) and a pace on
//! each account's calls.

use std::time::{Duration, Instant};

use rappu_shared::Grant;
use rappu_sim::Faults;
use serde_json::Value;

use rappu_shared::report::ReportStatus;

use crate::display::{buildings, display};
use crate::helpers::{TestApp, expect_problem, one_account, spawn_app_against};
use crate::report_support::{
    delivered_as, file, maintenance, report_app_with, resident, until_status,
};

/// A partner's transition of `id` (a call to Tampuuri in the request).
async fn receive(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/work-orders/{id}/receive", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn upstream_view(app: &TestApp, admin: &str) -> Value {
    app.get("/api/v1/admin/upstream", Some(admin))
        .await
        .json()
        .await
        .unwrap()
}

fn circuit(view: &Value) -> String {
    view["circuit"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Reads come from the account mirror, so what reaches Tampuuri inside a request is a
/// write: here a partner's work-order transitions.
#[tokio::test]
async fn the_circuit_opens_refuses_at_once_probes_and_closes_while_screens_keep_their_feed() {
    let app = report_app_with(|s| {
        let t = s.tampuuri.as_mut().unwrap();
        t.max_retries = 0;
        t.circuit_failures = 3;
        t.circuit_open_secs = 2;
    })
    .await;
    let admin = app.token(Grant::Admin);
    let resident_token = app.token(resident(&app, 0).grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let filed = file(&app, &resident_token, "Porraskäytävän valo vilkkuu").await;
    until_status(&app, &resident_token, &filed.id, ReportStatus::Open).await;
    let id = delivered_as(&app, &filed.id).id;
    let building = buildings(&app.sim.snapshot("acct").unwrap())[0];
    let token = display(&app, building);
    let first = app.feed(&token).await;
    assert_eq!(circuit(&upstream_view(&app, &admin).await), "closed");

    // Tampuuri goes down: three calls fail, and the circuit opens.
    app.sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    for _ in 0..3 {
        expect_problem(receive(&app, &partner, id).await, 503).await;
    }
    let view = upstream_view(&app, &admin).await;
    assert_eq!(circuit(&view), "open", "{view}");
    assert!(
        view["circuit"]["consecutive_failures"].as_u64().unwrap() >= 3,
        "{view}"
    );
    assert!(
        view["circuit"]["last_failure"]
            .as_str()
            .unwrap()
            .contains("unavailable"),
        "{view}"
    );

    // While it is open no call reaches Tampuuri: callers get 503 with Retry-After at once,
    // and the screens keep their feed from the mirror.
    let calls = app.sim.calls().total();
    for _ in 0..5 {
        let refused = receive(&app, &partner, id).await;
        let retry_after: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry_after), "{retry_after}");
        expect_problem(refused, 503).await;
    }
    assert_eq!(app.sim.calls().total(), calls, "no call while open");
    assert_eq!(app.feed(&token).await.staircases, first.staircases);

    // The open period ends with Tampuuri still down: one probe fails, and the circuit opens
    // again, for twice as long.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(3)).await;
    tokio::time::resume();
    expect_problem(receive(&app, &partner, id).await, 503).await;
    let view = upstream_view(&app, &admin).await;
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
    let done = receive(&app, &partner, id).await;
    assert_eq!(
        done.status(),
        200,
        "{}",
        done.text().await.unwrap_or_default()
    );
    let view = upstream_view(&app, &admin).await;
    assert_eq!(circuit(&view), "closed", "{view}");
    assert!(view["circuit"]["times_opened"].as_u64().unwrap() >= 2);
    app.stop().await;
}

#[tokio::test]
async fn an_accounts_calls_are_paced() {
    // The mirror's first load is a run of calls; at 4 a second with no burst, each after
    // the first waits its quarter second.
    let started = Instant::now();
    let app = spawn_app_against(one_account(1), |s| {
        let t = s.tampuuri.as_mut().unwrap();
        t.calls_per_second = 4;
        t.calls_burst = 1;
    })
    .await;
    let elapsed = started.elapsed();
    let calls = app.sim.calls().total();
    assert!(calls >= 5, "the load made {calls} calls");
    let least = Duration::from_millis(250 * (calls - 1));
    assert!(
        elapsed >= least,
        "{calls} calls at 4 a second took {elapsed:?}"
    );
    app.stop().await;
}
