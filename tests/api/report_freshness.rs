//! Where reports land in Tampuuri, and how fresh residents see them with caching on.

use rappu_shared::Grant;
use rappu_shared::report::{FaultReport, ReportStatus};
use serde_json::json;

use crate::helpers::{one_account, spawn_app_against, uid};

const WEBHOOK_SECRET: &str = "report-freshness-webhook-secret";
use crate::report_support::*;

#[tokio::test]
async fn each_topic_lands_on_the_object_that_is_looked_after() {
    let app = report_app().await;
    let example = app.summary().residents.plain[0].clone();
    let token = app.token(resident(&app, 0).grant());
    // The documented create body has no topic: the space says where (the apartment, its
    // staircase, or none: the property), the topic travels as text.
    for (topic, expected, aihe, text) in [
        (
            "apartment",
            example.apartment_id,
            "Huoneisto",
            "Aihe: huoneisto",
        ),
        (
            "common_areas",
            example.staircase_id,
            "YleisetTilat",
            "Aihe: yleiset tilat",
        ),
        (
            "outdoors",
            example.property_id,
            "YleisetTilat",
            "Aihe: ulkoalueet",
        ),
    ] {
        let mut body = report_body("Valo ei syty");
        body["topic"] = json!(topic);
        let response = post_report(&app, &token, topic, &body).await;
        assert_eq!(response.status(), 201);
        let filed: FaultReport = response.json().await.unwrap();
        until_status(&app, &token, &filed.id, ReportStatus::Open).await;
        let delivered = delivered_as(&app, &filed.id);
        assert_eq!(delivered.kohde_id, expected, "{topic}");
        assert_eq!(delivered.aihe.as_str(), aihe);
        assert!(
            delivered.lisatiedot.as_deref().unwrap_or("").contains(text),
            "{topic}"
        );
        assert_eq!(delivered.ilmoittaja_id, Some(example.party_id));
    }
    app.stop().await;
}

#[tokio::test]
async fn cached_views_are_dropped_by_transitions_and_by_the_webhook_hook() {
    let app = spawn_app_against(one_account(1), |s| {
        s.reports.outbox_backoff_min_ms = 20;
        s.reports.outbox_backoff_max_ms = 200;
        s.reports.cache_ttl_secs = 300;
        s.webhooks.secret = Some(WEBHOOK_SECRET.into());
        s.rate_limit.token_per_minute = 100_000;
        s.rate_limit.token_burst = 10_000;
    })
    .await;
    let token = app.token(resident(&app, 0).grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let filed = file(&app, &token, "Jääkaappi ei kylmene").await;
    until_status(&app, &token, &filed.id, ReportStatus::Open).await;
    let id = uid(delivered_as(&app, &filed.id).id);

    // A partner's transition is seen at once, cache or not.
    let response = app
        .http
        .post(format!("{}/api/v1/work-orders/{id}/receive", app.url))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        resident_report(&app, &token, &filed.id).await.status,
        ReportStatus::Received
    );

    // A change made in Tampuuri itself is not seen until Tampuuri says so (a webhook) ...
    // (made with the gateway's own Tampuuri client, around the services and their caches).
    let calls = app.sim.calls().total;
    let tampuuri = app.state.tampuuri.account(&app.account()).unwrap();
    tampuuri.hold_report(id, "Odotetaan osia").await.unwrap();
    assert_eq!(
        resident_report(&app, &token, &filed.id).await.status,
        ReportStatus::Received,
        "served from cache"
    );
    assert_eq!(
        app.sim.calls().total,
        calls + 1,
        "only the hold call reached Tampuuri"
    );
    // ... and then it is.
    app.post_webhook(WEBHOOK_SECRET, "IlmoitusTilamuutos", id)
        .await;
    // Within a second: the report is fetched by id in the background.
    let started = std::time::Instant::now();
    let seen = until_status(&app, &token, &filed.id, ReportStatus::Waiting).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(
        seen.timeline.last().unwrap().note.as_deref(),
        Some("Odotetaan osia")
    );
    app.stop().await;
}
