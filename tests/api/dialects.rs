//! The main flows against every dialect the simulator speaks (nested or flat paging, enum
//! names or numbers with codes nobody knows, accounts with or without `UlkoinenTunniste`,
//! sparse rows with `null`s, seven-digit and naive timestamps, JSON only on request):
//! display feeds with the privacy rule, a change on screen through webhooks and SSE, a
//! report with a photo delivered exactly once and read back, and a partner's transitions in
//! the resident's timeline.

use std::collections::HashSet;
use std::time::Duration;

use rappu_shared::Grant;
use rappu_shared::report::{ReportStatus, WorkOrder};
use rappu_sim::model::Role;
use rappu_sim::{Dialect, Snapshot};
use serde_json::json;

use crate::display::{Events, buildings, display};
use crate::helpers::{TestApp, one_account, spawn_app_against};
use crate::report_support::{
    delivered_as, maintenance, phone_jpeg, photo, post_report, report_body, resident, until_status,
};

const SECRET: &str = "dialect-webhook-secret-0123456789";

async fn app_speaking(dialect: Dialect) -> TestApp {
    let config = one_account(1).with_dialect("acct", dialect);
    let app = spawn_app_against(config, |s| {
        s.webhooks.secret = Some(SECRET.into());
        s.reports.outbox_backoff_min_ms = 20;
        s.reports.outbox_backoff_max_ms = 200;
        s.reports.cache_ttl_secs = 0;
        s.rate_limit.enabled = false;
    })
    .await;
    app.subscribe_webhooks(SECRET);
    app
}

/// Surnames the rule allows on any board, from the simulator's own data: current
/// residents, known not to be under turvakielto, not archived, not hidden.
fn permitted(snapshot: &Snapshot) -> HashSet<String> {
    let today = snapshot.today;
    snapshot
        .connections
        .iter()
        .filter(|c| c.rooli == Role::Asukas && !c.piilota_porrasnaytolta)
        .filter(|c| c.alkaa <= today && c.paattyy.is_none_or(|e| e >= today))
        .filter_map(|c| snapshot.party(c.osapuoli_id))
        .filter(|p| !p.turvakielto && p.arkistoitu.is_none())
        .filter_map(|p| p.sukunimi.clone())
        .collect()
}

async fn feeds_keep_the_rule(app: &TestApp, name: &str) {
    let snapshot = app.sim.snapshot("acct").unwrap();
    let allowed = permitted(&snapshot);
    for building in buildings(&snapshot) {
        let feed = app.feed(&display(app, building)).await;
        let apartments: usize = feed
            .staircases
            .iter()
            .flat_map(|s| &s.floors)
            .map(|f| f.apartments.len())
            .sum();
        assert!(
            apartments > 0,
            "{name}: building {building} has apartment lines"
        );
        for shown in feed
            .staircases
            .iter()
            .flat_map(|s| &s.floors)
            .flat_map(|f| &f.apartments)
            .flat_map(|a| &a.names)
        {
            assert!(allowed.contains(shown), "{name}: {shown} is not allowed");
        }
    }
}

async fn a_change_reaches_a_subscribed_display(app: &TestApp, name: &str) {
    let snapshot = app.sim.snapshot("acct").unwrap();
    // A resident named on a board (the dialect may have left a name out elsewhere) whose
    // surname nobody else there has: moving them out takes the name off.
    let mut found = None;
    for b in buildings(&snapshot) {
        let shown: Vec<String> = app
            .feed(&display(app, b))
            .await
            .staircases
            .iter()
            .flat_map(|s| &s.floors)
            .flat_map(|f| &f.apartments)
            .flat_map(|a| a.names.clone())
            .collect();
        found = snapshot.connections.iter().find_map(|c| {
            let surname = snapshot.party(c.osapuoli_id)?.sukunimi.clone()?;
            let bearers = snapshot
                .parties
                .iter()
                .filter(|p| p.sukunimi.as_deref() == Some(surname.as_str()))
                .count();
            let shown_once = shown.iter().filter(|n| **n == surname).count() == 1;
            (c.rooli == Role::Asukas && bearers == 1 && shown_once).then_some((b, c.id, surname))
        });
        if found.is_some() {
            break;
        }
    }
    let (building, connection, surname) =
        found.unwrap_or_else(|| panic!("{name}: a named resident"));
    let token = display(app, building);
    let mut events = Events::open(app, &token, None).await;
    events
        .next(Duration::from_secs(5))
        .await
        .expect("the current version at once");
    let yesterday = snapshot.today - chrono::TimeDelta::days(1);
    app.sim_admin(
        reqwest::Method::PATCH,
        &format!("accounts/acct/connections/{connection}"),
        json!({"Paattyy": yesterday.to_string()}),
    )
    .await;
    events
        .next(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{name}: an event after the change"));
    let feed = app.feed(&token).await;
    assert!(
        !serde_json::to_string(&feed).unwrap().contains(&surname),
        "{name}: {surname} moved out and is off the board"
    );
}

async fn a_report_with_a_photo_is_delivered_once_and_worked_on(app: &TestApp, name: &str) {
    let r = resident(app, 0);
    let token = app.token(r.grant());
    let mut body = report_body(&format!("Hana vuotaa ({name})"));
    body["photos"] = json!([photo("hana.jpg", &phone_jpeg())]);
    let response = post_report(app, &token, &format!("dialect-{name}"), &body).await;
    assert_eq!(response.status(), 201, "{name}");
    let filed: rappu_shared::report::FaultReport = response.json().await.unwrap();
    until_status(app, &token, &filed.id, ReportStatus::Open).await;
    let delivered = delivered_as(app, &filed.id);
    assert_eq!(delivered.liitteet.len(), 1, "{name}: the photo went along");
    assert_eq!(
        app.sim.calls().get("acct", "POST ilmoitukset/lisaa"),
        1,
        "{name}: created once"
    );
    // The partner takes it, puts it on hold, marks it done: the resident's timeline shows it.
    let partner = app.token(Grant::Partner {
        assignee: maintenance(app),
    });
    let id = u64::try_from(delivered.id).unwrap();
    for (action, body) in [
        ("receive", None),
        ("hold", Some(json!({"reason": "Osa tilattu"}))),
        ("done", Some(json!({"summary": "Tiiviste vaihdettu"}))),
    ] {
        let mut request = app
            .http
            .post(format!("{}/api/v1/work-orders/{id}/{action}", app.url))
            .bearer_auth(&partner);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{name}: {action}");
        let _: WorkOrder = response.json().await.unwrap();
    }
    let seen = until_status(app, &token, &filed.id, ReportStatus::Done).await;
    let steps: Vec<ReportStatus> = seen.timeline.iter().map(|t| t.status).collect();
    assert!(
        steps.ends_with(&[ReportStatus::Done]) && steps.contains(&ReportStatus::Waiting),
        "{name}: {steps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_flow_works_in_every_dialect() {
    for (name, dialect) in Dialect::presets() {
        let app = app_speaking(dialect).await;
        feeds_keep_the_rule(&app, name).await;
        a_change_reaches_a_subscribed_display(&app, name).await;
        a_report_with_a_photo_is_delivered_once_and_worked_on(&app, name).await;
        app.stop().await;
    }
}
