//! The partner's work orders: the lifecycle as the resident sees it, illegal moves,
//! assignees kept apart, follow-ups.

use rappu_shared::Grant;
use rappu_shared::report::{ReportPage, ReportStatus, WorkOrder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, one_account};
use crate::report_support::*;

/// Calls the simulator's Tampuuri API directly (what Tampuuri's own users would do).
async fn tampuuri_post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    let base = app
        .state
        .settings
        .tampuuri
        .as_ref()
        .unwrap()
        .base_url
        .clone();
    let config = one_account(1);
    let account = &config.accounts[0];
    app.http
        .post(format!("{base}{path}"))
        .header("X-TampuuriAvain", &config.api_key)
        .header("X-AsiakasNimi", &config.customer_name)
        .header("X-Ohjelmistoversio", "rappu-tests")
        .header("X-TiliNimi", &account.name)
        .header("X-Kayttajatunnus", &account.user)
        .header("X-Salasana", &account.password)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn act(
    app: &TestApp,
    token: &str,
    id: u64,
    action: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .http
        .post(format!("{}/api/v1/work-orders/{id}/{action}", app.url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn order(response: reqwest::Response) -> WorkOrder {
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A report filed by resident 0 and delivered; its Tampuuri id.
async fn delivered_report(app: &TestApp, token: &str, title: &str) -> (String, u64) {
    let filed = file(app, token, title).await;
    until_status(app, token, &filed.id, ReportStatus::Open).await;
    let id = u64::try_from(delivered_as(app, &filed.id).id).unwrap();
    (filed.id, id)
}

#[tokio::test]
async fn the_whole_lifecycle_through_the_partner_api_shows_in_the_residents_timeline() {
    let app = report_app().await;
    let resident_token = app.token(resident(&app, 0).grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let (rappu_id, id) = delivered_report(&app, &resident_token, "Keittiön hana vuotaa").await;

    let open: ReportPage<WorkOrder> = app
        .get("/api/v1/work-orders?state=open&limit=100", Some(&partner))
        .await
        .json()
        .await
        .unwrap();
    let listed = open
        .items
        .iter()
        .find(|o| o.id == id)
        .expect("listed as open");
    assert!(open.items.iter().all(|o| o.status == ReportStatus::Open));
    let location = listed.location.as_deref().unwrap();
    assert!(location.ends_with("Keittiö"), "{location}");
    assert!(
        location.chars().any(|c| c.is_ascii_digit()),
        "address and apartment: {location}"
    );
    assert_eq!(listed.master_key_allowed, Some(true));
    assert_eq!(listed.pets.as_deref(), Some("Kissa"));
    assert_eq!(listed.contact_phone.as_deref(), Some("040 123 4567"));

    assert_eq!(
        order(act(&app, &partner, id, "receive", None).await)
            .await
            .status,
        ReportStatus::Received
    );
    let held = order(
        act(
            &app,
            &partner,
            id,
            "hold",
            Some(json!({"reason": "Varaosa tilattu, tulee perjantaina"})),
        )
        .await,
    )
    .await;
    assert_eq!(held.status, ReportStatus::Waiting);
    let seen = until_status(&app, &resident_token, &rappu_id, ReportStatus::Waiting).await;
    assert_eq!(
        seen.timeline.last().unwrap().note.as_deref(),
        Some("Varaosa tilattu, tulee perjantaina")
    );

    order(act(&app, &partner, id, "receive", None).await).await;
    let done = order(
        act(
            &app,
            &partner,
            id,
            "done",
            Some(json!({"summary": "Tiiviste vaihdettu."})),
        )
        .await,
    )
    .await;
    assert_eq!(done.status, ReportStatus::Done);
    let fetched = order(
        app.get(&format!("/api/v1/work-orders/{id}"), Some(&partner))
            .await,
    )
    .await;
    assert_eq!(fetched.status, ReportStatus::Done);

    // Invoicing completes it in Tampuuri; the resident sees that too.
    let response = tampuuri_post(
        &app,
        &format!("ilmoitukset/{id}/kuittaavalmiiksi"),
        json!({}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let seen = until_status(&app, &resident_token, &rappu_id, ReportStatus::Completed).await;
    let steps: Vec<_> = seen
        .timeline
        .iter()
        .map(|t| (t.status, t.note.as_deref()))
        .collect();
    use ReportStatus as S;
    assert_eq!(
        steps,
        [
            (S::Pending, None),
            (S::Open, None),
            (S::Received, None),
            (S::Waiting, Some("Varaosa tilattu, tulee perjantaina")),
            (S::Received, None),
            (S::Done, Some("Tiiviste vaihdettu.")),
            (S::Completed, None),
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn illegal_transitions_are_409_and_bad_notes_422() {
    let app = report_app().await;
    let resident_token = app.token(resident(&app, 0).grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let (_, id) = delivered_report(&app, &resident_token, "Sauna ei lämpene").await;
    for (action, body) in [
        ("hold", json!({"reason": "Odotetaan"})),
        ("done", json!({"summary": "Tehty"})),
    ] {
        let problem = expect_problem(act(&app, &partner, id, action, Some(body)).await, 409).await;
        assert_eq!(problem.slug(), "conflict");
        assert!(problem.detail.unwrap().contains("open"));
    }
    order(act(&app, &partner, id, "receive", None).await).await;
    let problem = expect_problem(act(&app, &partner, id, "receive", None).await, 409).await;
    assert!(problem.detail.unwrap().contains("received"));
    let problem = expect_problem(
        act(&app, &partner, id, "hold", Some(json!({"reason": "  "}))).await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "reason");
    let long = "x".repeat(1001);
    let problem = expect_problem(
        act(&app, &partner, id, "done", Some(json!({"summary": long}))).await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "summary");
    let problem = expect_problem(act(&app, &partner, id, "done", Some(json!({}))).await, 422).await;
    assert!(problem.errors[0].message.contains("summary"));
    let problem = expect_problem(
        app.get("/api/v1/work-orders?state=lost", Some(&partner))
            .await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "state");
    app.stop().await;
}

#[tokio::test]
async fn a_partner_never_touches_another_assignees_report() {
    let app = report_app().await;
    let resident_token = app.token(resident(&app, 0).grant());
    let (_, id) = delivered_report(&app, &resident_token, "Roskakatos rikki").await;
    let stranger = app.token(Grant::Partner {
        assignee: crate::helpers::uid(app.summary().properties[0].manager_id.unwrap()),
    });
    expect_problem(
        app.get(&format!("/api/v1/work-orders/{id}"), Some(&stranger))
            .await,
        404,
    )
    .await;
    for (action, body) in [
        ("receive", None),
        ("hold", Some(json!({"reason": "Odotetaan"}))),
        ("done", Some(json!({"summary": "Tehty"}))),
    ] {
        let problem = expect_problem(act(&app, &stranger, id, action, body).await, 404).await;
        assert_eq!(problem.slug(), "not-found");
    }
    let theirs: ReportPage<WorkOrder> = app
        .get("/api/v1/work-orders", Some(&stranger))
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.items.iter().all(|o| o.id != id));
    // A missing id looks the same as someone else's.
    expect_problem(
        app.get("/api/v1/work-orders/999999999", Some(&stranger))
            .await,
        404,
    )
    .await;
    // Nothing changed in Tampuuri.
    assert_eq!(delivered_state(&app, id), "Avoin");
    // Residents are not partners.
    expect_problem(
        app.get("/api/v1/work-orders", Some(&resident_token)).await,
        403,
    )
    .await;
    app.stop().await;
}

fn delivered_state(app: &TestApp, id: u64) -> &'static str {
    let snapshot = app.sim.snapshot(&app.account()).unwrap();
    let report = snapshot
        .reports
        .iter()
        .find(|r| r.id == i64::try_from(id).unwrap())
        .unwrap();
    report.tila.as_str()
}

#[tokio::test]
async fn a_report_passed_on_to_a_follow_up_shows_as_handled() {
    let app = report_app().await;
    let resident_token = app.token(resident(&app, 0).grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let (rappu_id, id) = delivered_report(&app, &resident_token, "Kylpyhuoneen lattiakaivo").await;
    order(act(&app, &partner, id, "receive", None).await).await;
    let response = tampuuri_post(
        &app,
        &format!("ilmoitukset/{id}/jatkoilmoitus"),
        json!({"Otsikko": "Putkiliike: lattiakaivon vaihto"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let seen = until_status(&app, &resident_token, &rappu_id, ReportStatus::Handled).await;
    assert_eq!(seen.timeline.last().unwrap().status, ReportStatus::Handled);
    // The partner still works the original by its Tampuuri state.
    let fetched = order(
        app.get(&format!("/api/v1/work-orders/{id}"), Some(&partner))
            .await,
    )
    .await;
    assert_eq!(fetched.status, ReportStatus::Received);
    app.stop().await;
}
