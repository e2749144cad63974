//! The operator's console API: a console link signs a browser in as admin (HttpOnly cookie,
//! once); the displays with their state, the month's usage day by day against the budget
//! line, upstream health with recent failures and stale feeds, and tokens minted, listed
//! and revoked.

use rappu_gateway::sessions::{LinkRequest, create_link};
use rappu_shared::Grant;
use rappu_shared::console::{ConsoleDisplay, MintedToken, TokenInfo, UpstreamHealth, UsageMonth};
use rappu_sim::Faults;
use serde_json::json;

use crate::display::{advance, buildings, display};
use crate::helpers::{TestApp, eventually, expect_problem, one_account, spawn_app_against};

async fn console_link(app: &TestApp) -> String {
    let link = create_link(
        &app.state.store,
        LinkRequest {
            public_url: &app.url,
            account: &app.account(),
            grant: Grant::Admin,
            subject: "console:maija".into(),
        },
    )
    .await
    .expect("link");
    assert!(
        link.url
            .starts_with(&format!("{}/console/login?code=", app.url))
    );
    link.url.split("code=").nth(1).expect("code").to_owned()
}

async fn admin_get<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let admin = app.token(Grant::Admin);
    let response = app.get(path, Some(&admin)).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_console_link_signs_a_browser_in_as_admin_once() {
    let app = spawn_app_against(one_account(1), |_| {}).await;
    let code = console_link(&app).await;
    let login = |code: String| {
        app.http
            .post(format!("{}/api/v1/auth/admin-login", app.url))
            .json(&json!({ "code": code }))
            .send()
    };
    let response = login(code.clone()).await.expect("login");
    assert_eq!(response.status(), 204);
    let set = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    for attribute in [
        "rappu_session=",
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=43200",
    ] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    let cookie = set.split(';').next().expect("pair").to_owned();
    let displays = app
        .http
        .get(format!("{}/api/v1/admin/console/displays", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("displays");
    assert_eq!(displays.status(), 200);
    // Used once; a resident's or display's code is no console code.
    let p = expect_problem(login(code).await.expect("again"), 400).await;
    assert_eq!(p.slug(), "invalid-code");
    // A state change from another site's page is refused even with the cookie (CSRF).
    let cross = app
        .http
        .post(format!("{}/api/v1/admin/tokens", app.url))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"subject": "x", "grant": {"role": "admin"}, "ttl_days": 1}))
        .send()
        .await
        .expect("cross-site");
    assert_eq!(cross.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn displays_usage_and_upstream_health_show_what_happened() {
    let app = spawn_app_against(one_account(1), |s| {
        // Without webhooks the mirror reconciles every minute (the test moves the clock).
        s.mirror.poll_secs = 60;
        s.tampuuri.as_mut().expect("tampuuri").max_retries = 0;
        s.rate_limit.enabled = false;
    })
    .await;
    let building = buildings(&app.sim.snapshot("acct").expect("snapshot"))[0];
    let token = display(&app, building);
    let feed = app.get("/api/v1/display/feed", Some(&token)).await;
    let etag = feed.headers()["etag"]
        .to_str()
        .expect("etag")
        .trim_matches('"')
        .to_owned();

    let displays: Vec<ConsoleDisplay> = admin_get(&app, "/api/v1/admin/console/displays").await;
    let shown = displays
        .iter()
        .find(|d| d.building == u64::try_from(building).expect("id"))
        .expect("the display");
    assert!(shown.online);
    assert_eq!(shown.feed_version.as_deref(), Some(etag.as_str()));
    assert!(!shown.feed_stale);

    let usage: UsageMonth = admin_get(&app, "/api/v1/admin/usage/month").await;
    assert!(usage.calls >= 5, "{usage:?}");
    assert_eq!(usage.days.len() as u32, usage.today);
    assert_eq!(usage.days.iter().map(|d| d.calls).sum::<u64>(), usage.calls);
    assert_eq!(
        usage.routes.iter().map(|r| r.calls).sum::<u64>(),
        usage.calls
    );
    assert_eq!(usage.budget_calls, 40_000);
    assert!(!usage.budget_over && !usage.budget_warn);
    assert!(usage.projected_calls >= usage.calls);
    // The same figures as the budget guard that holds background work back.
    let guard = app.state.budget.state(&app.account());
    assert_eq!(
        (usage.calls, usage.budget_calls),
        (guard.used, guard.budget)
    );

    // The account mirror, loaded and fetching.
    let health: UpstreamHealth = admin_get(&app, "/api/v1/admin/upstream/health").await;
    let mirror = health.mirror.expect("the mirror's health");
    assert!(
        mirror.syncs.iter().any(|s| s.kind == "people"),
        "{mirror:?}"
    );
    assert!(mirror.failing_since.is_none() && !mirror.held_back);
    assert_eq!(usage.projected_bill.calls, usage.projected_calls);
    assert_eq!(
        usage.history.last().map(|b| b.month.as_str()),
        Some(usage.month.as_str())
    );

    // Tampuuri fails: the mirror's next reconciliation fails, the feeds built from it are
    // served marked stale, and the console lists the failures.
    app.sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    advance(61).await;
    let health: UpstreamHealth = eventually(10, "a stale feed", || async {
        let _ = app.get("/api/v1/display/feed", Some(&token)).await;
        let health: UpstreamHealth = admin_get(&app, "/api/v1/admin/upstream/health").await;
        (!health.stale_feeds.is_empty()).then_some(health)
    })
    .await;
    let mirror = health.mirror.as_ref().expect("the mirror's health");
    assert!(mirror.failing_since.is_some(), "{mirror:?}");
    assert!(!health.recent_failures.is_empty());
    assert!(health.recent_failures.iter().all(|f| f.account == "acct"));
    assert!(
        health
            .latency
            .iter()
            .any(|l| l.calls > 0 && l.p95_ms >= l.p50_ms)
    );
    assert_eq!(health.circuits.len(), 1);
    let json = serde_json::to_string(&health).expect("json");
    assert!(!json.contains("http://"), "no URL in {json}");
    app.sim.set_faults(Faults::default());
    app.stop().await;
}

#[tokio::test]
async fn tokens_are_minted_listed_and_revoked() {
    let app = spawn_app_against(one_account(1), |_| {}).await;
    let building = buildings(&app.sim.snapshot("acct").expect("snapshot"))[0];
    let admin = app.token(Grant::Admin);
    let mint = |body: serde_json::Value| {
        app.http
            .post(format!("{}/api/v1/admin/tokens", app.url))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let response = mint(json!({
        "subject": "Aula A",
        "grant": {"role": "display", "building": building},
        "ttl_days": 30
    }))
    .await
    .expect("mint");
    assert_eq!(response.status(), 201);
    let minted: MintedToken = response.json().await.expect("json");
    assert_eq!(
        app.get("/api/v1/display/feed", Some(&minted.token))
            .await
            .status(),
        200
    );
    let listed: Vec<TokenInfo> = admin_get(&app, "/api/v1/admin/tokens").await;
    let entry = listed
        .iter()
        .find(|t| t.jti == minted.info.jti)
        .expect("listed");
    assert!(!entry.revoked);
    assert_eq!(entry.subject, "Aula A");
    let listed_text = serde_json::to_string(&listed).expect("json");
    assert!(!listed_text.contains(&minted.token), "no token in the list");

    let revoked = app
        .http
        .post(format!("{}/api/v1/admin/tokens/revoke", app.url))
        .bearer_auth(&admin)
        .json(&json!({"jti": minted.info.jti}))
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        app.get("/api/v1/display/feed", Some(&minted.token))
            .await
            .status(),
        401
    );
    let listed: Vec<TokenInfo> = admin_get(&app, "/api/v1/admin/tokens").await;
    assert!(listed.iter().any(|t| t.jti == minted.info.jti && t.revoked));

    for (body, field) in [
        (
            json!({"subject": "", "grant": {"role": "admin"}, "ttl_days": 1}),
            "subject",
        ),
        (
            json!({"subject": "x", "grant": {"role": "admin"}, "ttl_days": 0}),
            "ttl_days",
        ),
        (
            json!({"subject": "x", "grant": {"role": "admin"}, "ttl_days": 366}),
            "ttl_days",
        ),
        (
            json!({"subject": "x", "grant": {"role": "partner", "assignee": 9_223_372_036_854_775_808_u64}, "ttl_days": 1}),
            "grant",
        ),
    ] {
        let p = expect_problem(mint(body).await.expect("mint"), 422).await;
        assert!(
            p.errors.iter().any(|e| e.field == field),
            "{field}: {:?}",
            p.errors
        );
    }
    // Only admins.
    let display = display(&app, building);
    assert_eq!(
        app.get("/api/v1/admin/tokens", Some(&display))
            .await
            .status(),
        403
    );
    app.stop().await;
}
