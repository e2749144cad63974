//! The Tampuuri client against the simulator over HTTP: paging, errors, retries, timeouts,
//! tolerance, and counting.

use std::time::{Duration, Instant};

use rappu_gateway::store::Store;
use rappu_gateway::upstream::tampuuri::model::ObjectKind;
use rappu_gateway::upstream::tampuuri::{Tampuuri, TampuuriClient, UpstreamError};
use rappu_gateway::usage::UsageRecorder;
use rappu_sim::{Faults, RunningSim, SimConfig, Simulator};
use secrecy::SecretString;

use crate::helpers::{one_account, tampuuri_settings};

struct Rig {
    sim: RunningSim,
    client: TampuuriClient,
    usage: UsageRecorder,
    _dir: tempfile::TempDir,
}

async fn rig(
    config: SimConfig,
    adjust: impl FnOnce(&mut rappu_gateway::config::TampuuriSettings),
) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::spawn(config.clone()).await.unwrap();
    let mut settings = tampuuri_settings(&sim, &config);
    adjust(&mut settings);
    let usage = UsageRecorder::start(Store::open(&dir.path().join("t.db")).unwrap());
    let tampuuri = Tampuuri::new(&settings, usage.clone()).unwrap();
    let client = tampuuri.account("acct").unwrap().clone();
    Rig {
        sim,
        client,
        usage,
        _dir: dir,
    }
}

fn calls(rig: &Rig, route: &str) -> u64 {
    rig.sim.sim().calls().get("acct", route)
}

#[tokio::test]
async fn paging_follows_total_at_every_boundary() {
    for (rows, pages) in [(0usize, 1u64), (1, 1), (250, 1), (251, 2), (600, 3)] {
        let rig = rig(one_account(rows), |_| {}).await;
        let all = rig.client.cost_centres().await.unwrap();
        assert_eq!(all.len(), rows, "rows");
        let mut ids: Vec<u64> = all.iter().map(|o| o.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rows, "every row exactly once");
        assert!(all.iter().all(|o| o.kind == ObjectKind::CostCentre));
        assert_eq!(
            calls(&rig, "GET kustannuspaikat/selaa"),
            pages,
            "calls for {rows} rows"
        );
        assert_eq!(
            rig.usage.route_total("GET kustannuspaikat/selaa"),
            pages,
            "counted for {rows} rows"
        );
        rig.sim.shutdown().await;
    }
}

#[tokio::test]
async fn refused_credentials_are_unauthorized_and_not_retried() {
    let rig = rig(one_account(1), |s| {
        s.accounts[0].password = SecretString::from("wrong");
    })
    .await;
    let err = rig.client.cost_centres().await.unwrap_err();
    assert!(matches!(err, UpstreamError::Unauthorized { .. }), "{err:?}");
    assert!(
        !err.to_string().contains("wrong"),
        "no secret in the message: {err}"
    );
    assert_eq!(
        rig.sim
            .sim()
            .calls()
            .get(rappu_sim::REJECTED, "GET kustannuspaikat/selaa"),
        1
    );
    assert_eq!(rig.usage.total(), 1, "a refused call is still a call");
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn safe_calls_are_retried_on_5xx_and_give_up_after_the_limit() {
    let rig = rig(one_account(2), |s| s.max_retries = 2).await;
    let sim = rig.sim.sim();
    sim.set_faults(Faults {
        fail_next: 2,
        fail_status: 500,
        ..Faults::default()
    });
    assert_eq!(rig.client.cost_centres().await.unwrap().len(), 2);
    assert_eq!(
        calls(&rig, "GET kustannuspaikat/selaa"),
        3,
        "two failures, then success"
    );

    sim.reset_calls();
    sim.set_faults(Faults {
        fail_next: 3,
        fail_status: 503,
        ..Faults::default()
    });
    let err = rig.client.cost_centres().await.unwrap_err();
    assert!(matches!(err, UpstreamError::Unavailable { .. }), "{err:?}");
    assert_eq!(
        calls(&rig, "GET kustannuspaikat/selaa"),
        3,
        "1 attempt + 2 retries"
    );

    // A selaa search is a POST but safe: retried too.
    sim.reset_calls();
    let property = rig.client.cost_centres().await.unwrap()[0].id;
    sim.set_faults(Faults {
        fail_next: 1,
        fail_status: 502,
        ..Faults::default()
    });
    rig.client
        .descendants(property, vec![ObjectKind::Apartment])
        .await
        .unwrap();
    assert_eq!(calls(&rig, "POST kohteet/{id}/selaa"), 2);
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn client_errors_and_unsafe_calls_are_not_retried() {
    let rig = rig(one_account(1), |s| s.max_retries = 3).await;
    let sim = rig.sim.sim();
    let err = rig.client.object(987_654_321).await.unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound { .. }), "{err:?}");
    assert_eq!(calls(&rig, "GET kohteet/{id}"), 1);

    // Receiving a report changes data: one attempt only, even on a 5xx.
    let report = sim
        .snapshot("acct")
        .unwrap()
        .reports
        .iter()
        .find(|r| r.tila == rappu_sim::report::ReportState::Avoin)
        .map(|r| r.id);
    let report = u64::try_from(report.expect("an open report")).unwrap();
    sim.set_faults(Faults {
        fail_next: 1,
        fail_status: 500,
        ..Faults::default()
    });
    let err = rig.client.receive_report(report).await.unwrap_err();
    assert!(matches!(err, UpstreamError::Unavailable { .. }), "{err:?}");
    assert_eq!(calls(&rig, "POST ilmoitukset/{id}/vastaanota"), 1);
    // Once the fault is gone it works, and a second receive is a conflict (illegal transition).
    rig.client.receive_report(report).await.unwrap();
    rig.client
        .hold_report(report, "Odotetaan varaosaa")
        .await
        .unwrap();
    rig.client
        .mark_report_done(report, "Vaihdettu")
        .await
        .unwrap();
    let err = rig.client.hold_report(report, "x").await.unwrap_err();
    assert!(matches!(err, UpstreamError::Conflict { .. }), "{err:?}");
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn a_slow_tampuuri_times_out() {
    let rig = rig(one_account(1), |s| {
        s.timeout_secs = 1;
        s.max_retries = 0;
    })
    .await;
    rig.sim.sim().set_faults(Faults {
        latency_ms: 3_000,
        ..Faults::default()
    });
    let started = Instant::now();
    let err = rig.client.cost_centres().await.unwrap_err();
    assert!(
        matches!(&err, UpstreamError::Unavailable { reason, .. } if reason == "timeout"),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        started.elapsed()
    );
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn an_outage_is_unavailable() {
    let rig = rig(one_account(1), |s| s.max_retries = 1).await;
    rig.sim.sim().set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    let err = rig.client.cost_centres().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_every_kind_of_object_reads() {
    let rig = rig(one_account(2), |_| {}).await;
    let property = rig.client.cost_centres().await.unwrap()[0].id;
    let all = rig.client.descendants(property, vec![]).await.unwrap();
    for kind in [
        ObjectKind::Building,
        ObjectKind::Staircase,
        ObjectKind::Apartment,
    ] {
        assert!(all.iter().any(|o| o.kind == kind), "{kind:?}");
    }
    let apartments = rig
        .client
        .descendants(property, vec![ObjectKind::Apartment])
        .await
        .unwrap();
    assert!(
        apartments
            .iter()
            .all(|o| o.kind == ObjectKind::Apartment && o.floor.is_some())
    );
    let connections = rig
        .client
        .connections(&rappu_gateway::upstream::tampuuri::model::ConnectionQuery {
            object_id: Some(property),
            include_descendants: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        connections
            .iter()
            .any(|c| c.party.non_disclosure == Some(true))
    );
    let building = all
        .iter()
        .find(|o| o.kind == ObjectKind::Building)
        .unwrap()
        .id;
    assert!(!rig.client.announcements(building).await.unwrap().is_empty());
    rig.sim.shutdown().await;
}

/// A server that answers every Tampuuri route with `body`.
async fn garbage_server(status: u16, body: &'static str) -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new()
        .fallback(move || async move { (axum::http::StatusCode::from_u16(status).unwrap(), body) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v10/api/", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

#[tokio::test]
async fn upstream_garbage_is_a_bad_response_without_the_payload() {
    for body in [
        "<html>Huoltokatko</html>",
        r#"{"Id":"Virtanen Aino","KohdeMetatyyppi":"Huoneisto"}"#,
        "{\"Id\":",
    ] {
        let (url, task) = garbage_server(200, body).await;
        let config = one_account(1);
        let running = Simulator::spawn(config.clone()).await.unwrap();
        let mut settings = tampuuri_settings(&running, &config);
        settings.base_url = url.parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let usage = UsageRecorder::start(Store::open(&dir.path().join("t.db")).unwrap());
        let tampuuri = Tampuuri::new(&settings, usage).unwrap();
        let err = tampuuri
            .account("acct")
            .unwrap()
            .object(1)
            .await
            .unwrap_err();
        assert!(matches!(err, UpstreamError::BadResponse { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            !text.contains("Virtanen")
                && !text.contains("Huoltokatko")
                && !text.contains("127.0.0.1"),
            "{text}"
        );
        task.abort();
        running.shutdown().await;
    }
}
