//! Upstream economy: no read route spends Tampuuri calls per request, and each change costs
//! what `rappu plan`'s cost model (`gateway/src/mirror/costs.rs`) says, counted by the
//! simulator.

use std::time::Duration;

use rappu_gateway::mirror::costs;
use rappu_shared::Grant;
use rappu_shared::report::ReportStatus;
use serde_json::{Value, json};

use crate::display::{buildings, display};
use crate::helpers::{TestApp, eventually, uid};
use crate::report_support::*;

/// Waits until nothing is pending in the mirror and no call has reached the simulator for
/// half a second; the account's call count then.
async fn quiet(app: &TestApp) -> u64 {
    let admin = app.token(Grant::Admin);
    let account = app.account();
    let mut last = u64::MAX;
    eventually(30, "a quiet gateway", || {
        let admin = admin.clone();
        let account = account.clone();
        let before = last;
        let current = app.sim.calls().account_total(&account);
        last = current;
        async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let view: Value = app
                .get("/api/v1/admin/upstream", Some(&admin))
                .await
                .json()
                .await
                .ok()?;
            let pending = view["mirror"]["pending"].as_u64().unwrap_or(1);
            let now = app.sim.calls().account_total(&account);
            (pending == 0 && now == current && current == before).then_some(now)
        }
    })
    .await
}

/// The calls by route the account made between two counts.
fn routes_between(
    before: &rappu_sim::CallCounts,
    after: &rappu_sim::CallCounts,
    account: &str,
) -> Vec<(String, u64)> {
    let empty = Default::default();
    let b = before.accounts.get(account).unwrap_or(&empty);
    after
        .accounts
        .get(account)
        .unwrap_or(&empty)
        .iter()
        .filter_map(|(route, n)| {
            let d = n - b.get(route).copied().unwrap_or(0);
            (d > 0).then(|| (route.clone(), d))
        })
        .collect()
}

#[tokio::test]
async fn no_read_route_calls_tampuuri_however_often_it_is_asked() {
    let app = report_app().await;
    let account = app.account();
    let snapshot = app.sim.snapshot("acct").unwrap();
    let building = buildings(&snapshot)[0];
    let property = snapshot
        .object(building)
        .map(|b| b.kustannuspaikka_id)
        .unwrap();
    let admin = app.token(Grant::Admin);
    let who = resident(&app, 0);
    let resident_token = app.token(who.grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let filed = file(&app, &resident_token, "Rappukäytävän ovi narisee").await;
    until_status(&app, &resident_token, &filed.id, ReportStatus::Open).await;
    let order = delivered_as(&app, &filed.id).id;
    eventually(10, "the work order in the partner's view", || async {
        let r = app
            .get(&format!("/api/v1/work-orders/{order}"), Some(&partner))
            .await;
        (r.status() == 200).then_some(())
    })
    .await;

    // A display's own quota is small: a token of its own for each route.
    let screen = || display(&app, building);
    let reads: Vec<(String, String)> = vec![
        ("/api/v1/display/feed".into(), screen()),
        (format!("/api/v1/buildings/{building}"), screen()),
        ("/api/v1/display/portal-qr.svg".into(), screen()),
        ("/api/v1/admin/properties".into(), admin.clone()),
        ("/api/v1/admin/buildings".into(), admin.clone()),
        (
            format!("/api/v1/admin/buildings?property={property}"),
            admin.clone(),
        ),
        (format!("/api/v1/buildings/{building}"), admin.clone()),
        ("/api/v1/admin/displays".into(), admin.clone()),
        (
            "/api/v1/admin/fault-reports/undelivered".into(),
            admin.clone(),
        ),
        ("/api/v1/admin/usage".into(), admin.clone()),
        ("/api/v1/admin/upstream".into(), admin.clone()),
        ("/api/v1/me".into(), resident_token.clone()),
        ("/api/v1/me/contact".into(), resident_token.clone()),
        ("/api/v1/fault-reports".into(), resident_token.clone()),
        (
            format!("/api/v1/fault-reports/{}", filed.id),
            resident_token.clone(),
        ),
        ("/api/v1/work-orders".into(), partner.clone()),
        ("/api/v1/work-orders?state=open".into(), partner.clone()),
        (format!("/api/v1/work-orders/{order}"), partner.clone()),
    ];
    quiet(&app).await;
    for (path, token) in &reads {
        let before = app.sim.calls();
        for _ in 0..20 {
            let response = app.get(path, Some(token.as_str())).await;
            assert_eq!(response.status(), 200, "{path}");
        }
        let after = app.sim.calls();
        let spent = routes_between(&before, &after, &account);
        assert!(
            spent.is_empty(),
            "20 requests of {path} reached Tampuuri: {spent:?}"
        );
    }
    app.stop().await;
}

/// Calls the account makes for `change`, once the gateway is quiet again.
async fn cost_of<F: std::future::Future<Output = ()>>(
    app: &TestApp,
    change: F,
) -> Vec<(String, u64)> {
    quiet(app).await;
    let before = app.sim.calls();
    change.await;
    quiet(app).await;
    routes_between(&before, &app.sim.calls(), &app.account())
}

fn total(routes: &[(String, u64)]) -> u64 {
    routes.iter().map(|(_, n)| n).sum()
}

async fn webhook(app: &TestApp, action: &str, reference: u64, secondary: Option<u64>) {
    let bundle = json!({"Id": uuid::Uuid::new_v4().simple().to_string(), "Attempt": 1,
        "Notifications": [{"Action": action, "Id": uuid::Uuid::new_v4().to_string(),
            "ReferenceId": reference.to_string(),
            "ReferenceSecondaryId": secondary.map(|s| s.to_string()).unwrap_or_default(),
            "ReferenceData": ""}]});
    let response = app
        .http
        .post(format!(
            "{}/api/v1/webhooks/tampuuri/{}",
            app.url,
            app.account()
        ))
        .header("x-rappu-webhook-secret", REPORT_WEBHOOK_SECRET)
        .json(&bundle)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn each_change_costs_what_the_plan_says() {
    let app = report_app().await;
    let snapshot = app.sim.snapshot("acct").unwrap();
    let who = resident(&app, 0);
    let resident_token = app.token(who.grant());
    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });

    let party = cost_of(&app, webhook(&app, "OsapuoliTietoMuokkaa", who.party, None)).await;
    assert_eq!(total(&party), costs::PARTY_CHANGE, "{party:?}");

    let connection = cost_of(
        &app,
        webhook(&app, "KohdeOsapuoliMuokkaa", who.apartment, Some(who.party)),
    )
    .await;
    assert_eq!(
        total(&connection),
        costs::CONNECTION_CHANGE,
        "{connection:?}"
    );

    let building = buildings(&snapshot)[0];
    let object = cost_of(&app, webhook(&app, "KohdeMuokkaa", uid(building), None)).await;
    assert_eq!(total(&object), costs::OBJECT_CHANGE, "{object:?}");

    let news = cost_of(&app, webhook(&app, "UutinenMuokkaa", 1, None)).await;
    let announcements = snapshot.announcements.len() as u64;
    assert_eq!(total(&news), costs::news_read(announcements), "{news:?}");

    // A report filed through Rappu, delivered, and its own webhook fetched back.
    let mut filed_id = String::new();
    let filed = cost_of(&app, async {
        let filed = file(&app, &resident_token, "Saunan kiuas ei lämpene").await;
        until_status(&app, &resident_token, &filed.id, ReportStatus::Open).await;
        filed_id = filed.id;
    })
    .await;
    assert_eq!(total(&filed), costs::REPORT_FILED, "{filed:?}");
    let order = delivered_as(&app, &filed_id).id;

    // A change made in Tampuuri: the report by id.
    let report = cost_of(&app, webhook(&app, "IlmoitusMuokkaa", uid(order), None)).await;
    assert_eq!(total(&report), costs::REPORT_CHANGE, "{report:?}");

    // A partner's transition and its own webhook.
    let transition = cost_of(&app, async {
        let response = app
            .http
            .post(format!("{}/api/v1/work-orders/{order}/receive", app.url))
            .bearer_auth(&partner)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    })
    .await;
    assert_eq!(total(&transition), costs::TRANSITION, "{transition:?}");
    app.stop().await;
}

/// Past `usage.monthly_budget_calls` only writes and privacy changes reach Tampuuri; the
/// rest waits, feeds are served from the mirror marked stale, and the admin view says so.
#[tokio::test]
async fn past_the_budget_only_writes_and_privacy_changes_go_upstream() {
    // The first load is allowed whatever the budget; it alone spends this one.
    let app = report_app_with(|s| s.usage.monthly_budget_calls = Some(3)).await;
    let admin = app.token(Grant::Admin);
    let account = app.account();
    let who = resident(&app, 0);
    let resident_token = app.token(who.grant());
    let snapshot = app.sim.snapshot("acct").unwrap();
    let screen = display(&app, buildings(&snapshot)[0]);

    let view: Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["budget"]["over"], true, "{view}");
    assert_eq!(view["budget"]["warn"], true, "{view}");
    assert_eq!(view["budget"]["budget"], 3);

    // A report changed in Tampuuri: not fetched while over the budget.
    let report = snapshot.reports.first().map(|r| uid(r.id)).unwrap_or(1);
    let held = cost_of(&app, webhook(&app, "IlmoitusMuokkaa", report, None)).await;
    assert_eq!(total(&held), 0, "{held:?}");
    let view: Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["mirror"]["held_back"], true, "{view}");
    let feed = app.feed(&screen).await;
    assert!(feed.stale, "served from the mirror, marked stale");

    // A party change may be turvakielto: fetched.
    let party = cost_of(&app, webhook(&app, "OsapuoliTietoMuokkaa", who.party, None)).await;
    assert_eq!(total(&party), costs::PARTY_CHANGE, "{party:?}");

    // A resident's report is a write: delivered.
    let before = app.sim.calls().get(&account, "POST ilmoitukset/lisaa");
    let filed = file(&app, &resident_token, "Pyykkituvan kuivausrumpu rikki").await;
    until_status(&app, &resident_token, &filed.id, ReportStatus::Open).await;
    assert_eq!(
        app.sim.calls().get(&account, "POST ilmoitukset/lisaa"),
        before + 1
    );
    app.stop().await;
}
