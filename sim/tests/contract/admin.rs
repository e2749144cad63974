//! The call counter and the fault switches.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn;

#[tokio::test]
async fn calls_are_counted_per_account_and_route_template() {
    let t = spawn().await;
    let api = t.api("demo");
    let property = t.sim().summary("demo").unwrap().properties[0].id;
    t.sim().reset_calls();
    api.get(&format!("kohteet/{property}")).await;
    api.get(&format!("kohteet/{}", property + 1)).await;
    api.get("kohteet/999999").await; // 404 still counts
    api.post("ilmoitukset/1/vastaanota", json!({})).await;
    t.api("toinen").get("kustannuspaikat/selaa").await;
    let mut headers = api.headers.clone();
    headers.remove("X-Salasana");
    t.http
        .get(api.url("kustannuspaikat/selaa"))
        .headers(headers)
        .send()
        .await
        .unwrap();
    // Admin calls are not counted.
    t.admin(Method::GET, "faults", None).await;
    t.admin(Method::GET, "accounts/demo/summary", None).await;

    let calls = t.sim().calls();
    assert_eq!(calls.get("demo", "GET kohteet/{id}"), 3);
    assert_eq!(calls.get("demo", "POST ilmoitukset/{id}/vastaanota"), 1);
    assert_eq!(calls.get("toinen", "GET kustannuspaikat/selaa"), 1);
    assert_eq!(
        calls.get(rappu_sim::REJECTED, "GET kustannuspaikat/selaa"),
        1
    );
    assert_eq!(calls.account_total("demo"), 4);
    assert_eq!(calls.total(), 6);

    let (status, body) = t.admin(Method::GET, "calls", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 6);
    assert_eq!(body["accounts"]["demo"]["GET kohteet/{id}"], 3);
    assert_eq!(
        body["accounts"]["(rejected)"]["GET kustannuspaikat/selaa"],
        1
    );

    let (status, _) = t.admin(Method::DELETE, "calls", None).await;
    assert!(status.is_success());
    assert_eq!(t.sim().calls().total(), 0);
    let (_, body) = t.admin(Method::GET, "calls", None).await;
    assert_eq!(body, json!({"total": 0, "accounts": {}}));
}

#[tokio::test]
async fn outage_and_fail_next() {
    let t = spawn().await;
    let api = t.api("demo");
    let (status, _) = t
        .admin(Method::PUT, "faults", Some(json!({"outage": true})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.get("kustannuspaikat/selaa").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["Message"].is_string());
    assert_eq!(
        t.sim().calls().get("demo", "GET kustannuspaikat/selaa"),
        1,
        "failed calls count"
    );

    t.admin(
        Method::PUT,
        "faults",
        Some(json!({"fail_next": 3, "fail_status": 502})),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(api.get("kustannuspaikat/selaa").await.0.as_u16());
    }
    assert_eq!(statuses, [502, 502, 502, 200, 200]);
    let (_, faults) = t.admin(Method::GET, "faults", None).await;
    assert_eq!(faults["fail_next"], 0);

    t.sim().set_faults(rappu_sim::Faults {
        error_rate: 1.0,
        ..Default::default()
    });
    assert_eq!(
        api.get("kustannuspaikat/selaa").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    t.sim().set_faults(rappu_sim::Faults::default());
    assert_eq!(api.get("kustannuspaikat/selaa").await.0, StatusCode::OK);

    for bad in [
        json!({"error_rate": 2.0}),
        json!({"fail_status": 200}),
        json!({"outage": "yes"}),
    ] {
        let (status, _) = t.admin(Method::PUT, "faults", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn latency_is_added() {
    let t = spawn().await;
    let api = t.api("demo");
    t.admin(Method::PUT, "faults", Some(json!({"latency_ms": 300})))
        .await;
    let started = Instant::now();
    let (status, _) = api.get("kustannuspaikat/selaa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    t.admin(Method::PUT, "faults", Some(json!({}))).await;
    let started = Instant::now();
    api.get("kustannuspaikat/selaa").await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn summary_lists_the_interesting_cases() {
    let t = spawn().await;
    let (status, s) = t.admin(Method::GET, "accounts/demo/summary", None).await;
    assert_eq!(status, StatusCode::OK);
    for kind in [
        "plain",
        "turvakielto",
        "hidden",
        "former",
        "future",
        "archived",
    ] {
        assert!(
            !s["residents"][kind].as_array().unwrap().is_empty(),
            "{kind}"
        );
    }
    assert_eq!(s["properties"].as_array().unwrap().len(), 3);
    assert!(!s["maintenance_companies"].as_array().unwrap().is_empty());
    assert!(!s["managers"].as_array().unwrap().is_empty());
    assert!(!s["board_chairs"].as_array().unwrap().is_empty());
    let api = t.api("demo");
    let turva = s["residents"]["turvakielto"][0]["party_id"]
        .as_i64()
        .unwrap();
    let (_, party) = api.get(&format!("osapuolet/{turva}")).await;
    assert_eq!(party["Turvakielto"], true);
    let former = &s["residents"]["former"][0];
    let rows = api
        .all(
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": former["apartment_id"], "Roolit": ["Asukas"]}),
        )
        .await;
    let row = rows
        .iter()
        .find(|c| c["Id"] == former["connection_id"])
        .unwrap();
    assert!(row["Paattyy"].as_str().unwrap() < "2026-11-20");
    assert_eq!(
        t.admin(Method::GET, "accounts/eiole/summary", None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_party_can_be_read_through_the_admin_api_without_being_counted() {
    let t = spawn().await;
    let party = t.sim().summary("demo").unwrap().residents.turvakielto[0].party_id;
    let (status, body) = t
        .admin(Method::GET, &format!("accounts/demo/parties/{party}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["Id"], party);
    assert_eq!(body["Turvakielto"], true);
    let (status, _) = t.admin(Method::GET, "accounts/demo/parties/1", None).await;
    assert_eq!(status, 404);
    assert_eq!(t.sim().calls().total(), 0);
}
