//! `GET /metrics`: scraped from its own listener after real traffic, every family the
//! operator's dashboards and alert rules use is there with the values that traffic made,
//! labels are route templates and fixed words (never a token, an id or an address), and the
//! public listener does not serve it unless configured, and then only to admins.

use std::collections::BTreeMap;

use rappu_shared::Grant;
use serde_json::json;

use crate::display::{buildings, display};
use crate::helpers::{TestApp, eventually, one_account, spawn_app_against, spawn_app_with, uid};

const SECRET: &str = "metrics-webhook-secret-0123456789";

/// The families the README, the dashboard and the alert rules name (as exposed).
pub const FAMILIES: &[&str] = &[
    "rappu_http_requests_total",
    "rappu_http_request_duration_seconds",
    "rappu_feed_cache_hits_total",
    "rappu_feed_cache_misses_total",
    "rappu_feed_cache_stale_served_total",
    "rappu_feed_single_flight_joins_total",
    "rappu_sse_streams_open",
    "rappu_displays_seen",
    "rappu_upstream_calls_total",
    "rappu_upstream_call_duration_seconds",
    "rappu_upstream_retries_total",
    "rappu_upstream_month_calls",
    "rappu_upstream_month_projected_calls",
    "rappu_upstream_month_budget_calls",
    "rappu_upstream_month_budget_over",
    "rappu_upstream_month_projected_eur",
    "rappu_upstream_circuit_state",
    "rappu_mirror_pending_changes",
    "rappu_mirror_failing_seconds",
    "rappu_mirror_sync_age_seconds",
    "rappu_outbox_backlog",
    "rappu_outbox_oldest_age_seconds",
    "rappu_webhook_bundles_total",
    "rappu_webhook_notifications_total",
    "rappu_webhook_duplicates_total",
    "rappu_webhook_unknown_actions_total",
    "rappu_rate_limited_total",
    "rappu_token_verifications_total",
];

/// One scrape: each sample line as `name{labels}` → value, plus the raw text.
struct Scrape {
    text: String,
    samples: BTreeMap<String, f64>,
}

impl Scrape {
    async fn of(app: &TestApp) -> Self {
        let url = app.metrics_url.as_ref().expect("metrics are on");
        let response = app.http.get(url).send().await.expect("scrape");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let text = response.text().await.expect("text");
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| {
                let (series, value) = l.rsplit_once(' ')?;
                Some((series.to_owned(), value.parse().ok()?))
            })
            .collect();
        Self { text, samples }
    }

    /// The value of the one series `name{labels}` (labels in exposition order).
    fn value(&self, series: &str) -> f64 {
        *self
            .samples
            .get(series)
            .unwrap_or_else(|| panic!("no series {series} in\n{}", self.text))
    }

    /// The sum over every series of `name` whose labels contain each of `having`.
    fn sum(&self, name: &str, having: &[&str]) -> f64 {
        self.samples
            .iter()
            .filter(|(s, _)| {
                s.split('{').next() == Some(name) && having.iter().all(|h| s.contains(h))
            })
            .map(|(_, v)| v)
            .sum()
    }
}

#[tokio::test]
async fn every_family_is_scraped_after_real_traffic_with_bounded_labels() {
    let app = spawn_app_against(one_account(1), |s| {
        s.webhooks.secret = Some(SECRET.into());
        s.rate_limit.ip_per_minute = 1;
        s.rate_limit.ip_burst = 2;
    })
    .await;
    let building = buildings(&app.sim.snapshot("acct").expect("snapshot"))[0];
    let token = display(&app, building);

    // A miss (the first build), then a hit, then a 304.
    let first = app.get("/api/v1/display/feed", Some(&token)).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(
        app.get("/api/v1/display/feed", Some(&token)).await.status(),
        200
    );
    let not_modified = app
        .http
        .get(format!("{}/api/v1/display/feed", app.url))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("poll");
    assert_eq!(not_modified.status(), 304);

    // An event stream held open while scraping.
    let events = app
        .http
        .get(format!("{}/api/v1/display/events", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("events");
    assert_eq!(events.status(), 200);
    let mut stream = events;
    let first_event = stream.chunk().await.expect("bytes").expect("an event");
    assert!(String::from_utf8_lossy(&first_event).contains("event: feed"));

    // A route with an id in its path, an admin call, a malformed and a forged token.
    let admin = app.token(Grant::Admin);
    let property_path = format!("/api/v1/buildings/{building}");
    app.get(&property_path, Some(&admin)).await;
    assert_eq!(app.get("/api/v1/me", Some("not-a-jwt")).await.status(), 401);
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(app.get("/api/v1/me", Some(&forged)).await.status(), 401);

    // Anonymous requests past the per-address quota.
    let mut refused = 0;
    for _ in 0..5 {
        if app.get("/api/v1/auth/demo-residents", None).await.status() == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 2, "refused {refused}");

    // A webhook bundle with a known and an unknown action, delivered twice.
    let bundle = json!({"Id": "b-1", "Attempt": 1, "Notifications": [
        {"Id": "n-1", "Action": "KohdeMuokkaa", "ReferenceId": building},
        {"Id": "n-2", "Action": "Something<script>NobodyKnows", "ReferenceId": 1},
    ]});
    for _ in 0..2 {
        let delivered = app
            .http
            .post(format!("{}/api/v1/webhooks/tampuuri/acct", app.url))
            .header("x-rappu-webhook-secret", SECRET)
            .json(&bundle)
            .send()
            .await
            .expect("deliver");
        assert_eq!(delivered.status(), 200);
    }

    let scrape = Scrape::of(&app).await;
    for family in FAMILIES {
        assert!(
            scrape.text.contains(&format!("# TYPE {family} ")),
            "{family} missing from\n{}",
            scrape.text
        );
    }
    let feed = "route=\"/api/v1/display/feed\",method=\"GET\"";
    assert_eq!(
        scrape.value(&format!(
            "rappu_http_requests_total{{{feed},status=\"200\"}}"
        )),
        2.0
    );
    assert_eq!(
        scrape.value(&format!(
            "rappu_http_requests_total{{{feed},status=\"304\"}}"
        )),
        1.0
    );
    assert_eq!(
        scrape.value(&format!(
            "rappu_http_request_duration_seconds_count{{{feed},status=\"304\"}}"
        )),
        1.0
    );
    assert_eq!(
        scrape.sum(
            "rappu_http_requests_total",
            &["route=\"/api/v1/buildings/{building_id}\""]
        ),
        1.0
    );
    assert!(scrape.value("rappu_feed_cache_misses_total") >= 1.0);
    assert!(scrape.value("rappu_feed_cache_hits_total") >= 2.0);
    assert_eq!(scrape.value("rappu_sse_streams_open"), 1.0);
    assert_eq!(scrape.value("rappu_displays_seen"), 1.0);
    assert!(scrape.sum("rappu_upstream_calls_total", &["status=\"200\""]) >= 5.0);
    assert!(scrape.sum("rappu_upstream_call_duration_seconds_count", &[]) >= 5.0);
    let month = scrape.value("rappu_upstream_month_calls{account=\"acct\"}");
    assert!(month >= 5.0, "{month}");
    assert!(scrape.value("rappu_upstream_month_projected_calls{account=\"acct\"}") >= month);
    assert_eq!(scrape.value("rappu_upstream_month_budget_calls"), 40_000.0);
    assert_eq!(
        scrape.value("rappu_upstream_month_budget_over{account=\"acct\"}"),
        0.0
    );
    // The account mirror: loaded (its people were reconciled), fetches succeeding.
    assert!(scrape.value("rappu_mirror_sync_age_seconds{account=\"acct\",kind=\"people\"}") >= 0.0);
    assert_eq!(
        scrape.value("rappu_mirror_failing_seconds{account=\"acct\"}"),
        0.0
    );
    assert!(scrape.value("rappu_mirror_pending_changes{account=\"acct\"}") >= 0.0);
    assert_eq!(
        scrape.value("rappu_upstream_circuit_state{account=\"acct\",state=\"closed\"}"),
        1.0
    );
    assert_eq!(scrape.value("rappu_outbox_backlog{state=\"pending\"}"), 0.0);
    assert_eq!(scrape.value("rappu_outbox_oldest_age_seconds"), 0.0);
    assert_eq!(
        scrape.value("rappu_webhook_bundles_total{account=\"acct\"}"),
        2.0
    );
    assert_eq!(
        scrape.value("rappu_webhook_notifications_total{action=\"KohdeMuokkaa\"}"),
        2.0
    );
    assert_eq!(
        scrape.value("rappu_webhook_notifications_total{action=\"unknown\"}"),
        2.0
    );
    assert_eq!(scrape.value("rappu_webhook_duplicates_total"), 2.0);
    assert_eq!(scrape.value("rappu_webhook_unknown_actions_total"), 2.0);
    assert!(scrape.value("rappu_rate_limited_total{tier=\"ip\"}") >= 2.0);
    assert_eq!(
        scrape.value("rappu_rate_limited_total{tier=\"display\"}"),
        0.0
    );
    assert!(scrape.value("rappu_token_verifications_total{outcome=\"cached\"}") >= 3.0);
    assert!(scrape.value("rappu_token_verifications_total{outcome=\"verified\"}") >= 2.0);
    assert!(
        scrape.value("rappu_token_verifications_total{outcome=\"malformed\"}")
            + scrape.value("rappu_token_verifications_total{outcome=\"bad_signature\"}")
            >= 2.0
    );

    // Bounded labels: no token, no id from a path, no address, no text a caller wrote.
    let jti = app
        .tokens()
        .verify(&token)
        .expect("valid")
        .token_id
        .to_string();
    for secret in [
        token.as_str(),
        jti.as_str(),
        "127.0.0.1",
        "<script>",
        "Something",
    ] {
        assert!(!scrape.text.contains(secret), "{secret} in the metrics");
    }
    assert!(!scrape.text.contains(&format!("/buildings/{building}")));
    drop(stream);

    // The stream's end is seen.
    eventually(5, "the stream to close", || async {
        let scrape = Scrape::of(&app).await;
        (scrape.value("rappu_sse_streams_open") == 0.0).then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn the_public_listener_serves_metrics_only_when_configured_and_only_to_admins() {
    let app = spawn_app_with(|_| {}).await;
    let response = app.get("/metrics", None).await;
    let text = response.text().await.expect("text");
    assert!(!text.contains("rappu_http_requests"), "{text}");
    app.stop().await;

    let app = spawn_app_with(|s| s.metrics.public = true).await;
    assert_eq!(app.get("/metrics", None).await.status(), 401);
    let resident = app.token(Grant::Resident {
        party: uid(1),
        apartment: uid(1),
    });
    assert_eq!(app.get("/metrics", Some(&resident)).await.status(), 403);
    let admin = app.token(Grant::Admin);
    let response = app.get("/metrics", Some(&admin)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("# TYPE rappu_http_requests_total counter")
    );
    app.stop().await;

    let app = spawn_app_with(|s| s.metrics.enabled = false).await;
    assert!(app.metrics_url.is_none());
    app.stop().await;
}
