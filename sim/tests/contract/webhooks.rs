//! Webhook bundles: retries with the same ids, the attempt limit, event filters, and the
//! actions each change emits.

use std::time::Duration;

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Listener, TestSim, eventually, spawn};

pub const WAIT: Duration = Duration::from_secs(10);

pub async fn register(t: &TestSim, listener: &Listener, events: Value) {
    let (status, body) = t
        .admin(
            Method::POST,
            "webhooks",
            Some(json!({"url": listener.url, "events": events,
                        "header": {"name": "X-Rappu-Webhook-Secret", "value": "s3cret"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

pub async fn new_report(t: &TestSim) -> Value {
    let kohde = t.sim().summary("demo").unwrap().residents.plain[0].apartment_id;
    let (status, r) = t
        .api("demo")
        .post(
            "ilmoitukset/base64",
            json!({"Otsikko": "Hissi jumissa", "KohdeId": kohde}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    r
}

pub fn actions(bundle: &Value) -> Vec<String> {
    bundle["Notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["Action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn retries_carry_the_same_ids_and_increasing_attempts() {
    let t = spawn().await;
    let listener = Listener::start(&[500, 500], 200).await;
    register(&t, &listener, json!(["*"])).await;
    let report = new_report(&t).await;
    assert!(eventually(WAIT, || async { listener.count() >= 3 }).await);
    let bodies = listener.bodies();
    let attempts: Vec<u64> = bodies
        .iter()
        .map(|b| b["Attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert!(bodies.iter().all(|b| b["Id"] == bodies[0]["Id"]));
    assert!(
        bodies
            .iter()
            .all(|b| b["Notifications"] == bodies[0]["Notifications"])
    );
    assert_eq!(bodies[0]["Id"].as_str().unwrap().len(), 32);
    assert_eq!(bodies[0]["Properties"], json!({}));
    let n = &bodies[0]["Notifications"][0];
    assert_eq!(n["Action"], "IlmoitusUusi");
    assert_eq!(n["Account"], "demo");
    assert_eq!(n["ReferenceId"], report["Id"].to_string());
    assert_eq!(n["ReferenceData"], report["KohdeId"].to_string());
    assert_eq!(n["DateTimeZone"], "UTC");
    let secret = listener.received.lock().unwrap()[0].0["x-rappu-webhook-secret"].clone();
    assert_eq!(secret, "s3cret");

    // The listener has the third body before the simulator has recorded its answer.
    assert!(eventually(WAIT, || async { t.sim().deliveries().len() >= 3 }).await);
    let deliveries = t.sim().deliveries();
    let statuses: Vec<Option<u16>> = deliveries.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    let (_, logged) = t.admin(Method::GET, "webhooks/deliveries", None).await;
    assert_eq!(logged.as_array().unwrap().len(), 3);
    assert_eq!(logged[2]["attempt"], 3);
    assert_eq!(logged[2]["bundle_id"], bodies[0]["Id"]);
}

#[tokio::test]
async fn a_failing_listener_gets_exactly_five_attempts() {
    let t = spawn().await;
    let listener = Listener::start(&[], 503).await;
    t.sim()
        .add_listener(rappu_sim::WebhookListener::new(listener.url.clone()));
    new_report(&t).await;
    assert!(eventually(WAIT, || async { t.sim().deliveries().len() >= 5 }).await);
    // Backoff is 10, 20, 40, 80 ms: a sixth attempt would come within 160 ms.
    assert!(
        !eventually(Duration::from_millis(400), || async {
            listener.count() > 5
        })
        .await
    );
    let deliveries = t.sim().deliveries();
    assert_eq!(deliveries.len(), 5);
    assert_eq!(
        deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(
        deliveries
            .iter()
            .all(|d| d.bundle_id == deliveries[0].bundle_id)
    );
    assert_eq!(listener.count(), 5);
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let mut config = crate::helpers::test_config();
    config.webhook.timeout = Duration::from_millis(200);
    let t = crate::helpers::spawn_with(config).await;
    let listener = Listener::start_slow(&[], 200, &[Duration::from_secs(2)]).await;
    t.sim()
        .add_listener(rappu_sim::WebhookListener::new(listener.url.clone()));
    new_report(&t).await;
    assert!(eventually(WAIT, || async { t.sim().deliveries().len() >= 2 }).await);
    let d = t.sim().deliveries();
    assert_eq!(
        (d[0].attempt, d[0].status, d[0].error.as_deref()),
        (1, None, Some("timeout"))
    );
    assert_eq!(
        (d[1].attempt, d[1].status, d[1].error.as_deref()),
        (2, Some(200), None)
    );
    assert_eq!(d[0].bundle_id, d[1].bundle_id);
}

#[tokio::test]
async fn account_filter_and_listener_validation() {
    let t = spawn().await;
    let other = Listener::start(&[], 200).await;
    let (status, body) = t
        .admin(
            Method::POST,
            "webhooks",
            Some(json!({"url": other.url, "account": "toinen"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["id"].as_u64().is_some());
    let (_, listed) = t.admin(Method::GET, "webhooks", None).await;
    assert_eq!(listed[0]["events"], json!(["*"]));
    new_report(&t).await; // a change in "demo"
    let kohde = t.sim().summary("toinen").unwrap().residents.plain[0].apartment_id;
    t.api("toinen")
        .ok(
            "ilmoitukset/base64",
            json!({"Otsikko": "Valo ei pala", "KohdeId": kohde}),
        )
        .await;
    assert!(eventually(WAIT, || async { other.count() >= 1 }).await);
    assert!(!eventually(Duration::from_millis(200), || async { other.count() > 1 }).await);
    assert_eq!(other.bodies()[0]["Notifications"][0]["Account"], "toinen");
    for bad in [
        json!({"url": "not a url"}),
        json!({"url": "ftp://example.com/x"}),
        json!({"url": other.url, "events": []}),
        json!({"url": other.url, "header": {"name": "bad header", "value": "x"}}),
        json!({"events": ["*"]}),
    ] {
        let (status, _) = t.admin(Method::POST, "webhooks", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn shutdown_stops_delivery() {
    let mut config = crate::helpers::test_config();
    config.webhook.backoff = Duration::from_millis(200);
    let t = crate::helpers::spawn_with(config).await;
    let listener = Listener::start(&[], 500).await;
    t.sim()
        .add_listener(rappu_sim::WebhookListener::new(listener.url.clone()));
    new_report(&t).await;
    assert!(eventually(WAIT, || async { listener.count() >= 1 }).await);
    let sim = t.sim().clone();
    t.running.shutdown().await;
    let seen = listener.count();
    assert!(
        !eventually(Duration::from_millis(600), || async {
            listener.count() > seen
        })
        .await
    );
    assert!(sim.deliveries().len() < 5);
}
