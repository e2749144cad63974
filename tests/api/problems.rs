//! Bad input of every kind gets a clear problem+json answer.

use rappu_shared::Grant;

use crate::helpers::{
    eventually, expect_problem, one_account, spawn_app, spawn_app_against, spawn_app_cold,
    spawn_app_with,
};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let health: rappu_shared::Health = app.get("/healthz", None).await.json().await.unwrap();
    assert_eq!(health.status, "ok");
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status(), 200);
    let ready: rappu_shared::Readiness = response.json().await.unwrap();
    assert_eq!(ready.status, "ready");
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    let problem = expect_problem(app.get("/api/v1/no-such-thing", None).await, 404).await;
    assert_eq!(problem.slug(), "not-found");
    let response = app
        .http
        .delete(format!("{}/api/v1/me", app.url))
        .send()
        .await
        .unwrap();
    expect_problem(response, 405).await;
    app.stop().await;
}

#[tokio::test]
async fn request_ids_are_issued_echoed_and_quoted() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/me", None).await;
    let issued = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let problem = expect_problem(response, 401).await;
    assert_eq!(problem.request_id.as_deref(), Some(issued.as_str()));
    let response = app
        .http
        .get(format!("{}/healthz", app.url))
        .header("x-request-id", "display-7-poll-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "display-7-poll-42");
    app.stop().await;
}

#[tokio::test]
async fn bad_json_bodies_are_400_415_422_and_413() {
    let app = spawn_app_with(|s| s.server.body_limit_bytes = 4096).await;
    let admin = app.token(Grant::Admin);
    let url = format!("{}/api/v1/admin/tokens/revoke", app.url);
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.http
            .post(&url)
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let p = expect_problem(
        post(b"{\"jti\":".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(p.detail.unwrap().contains("not valid JSON"));

    let p = expect_problem(
        post(b"{\"jti\": 42}".to_vec(), "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "jti");

    let p = expect_problem(post(b"{}".to_vec(), "application/json").await.unwrap(), 422).await;
    assert!(p.errors[0].message.contains("jti"), "{p:?}");

    let p = expect_problem(
        post(b"{\"jti\":\"x\",\"extra\":1}".to_vec(), "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(p.errors[0].message.contains("unknown field"), "{p:?}");

    let p = expect_problem(
        post(b"{\"jti\":\"  \"}".to_vec(), "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "jti");

    expect_problem(
        post(b"jti=x".to_vec(), "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
    )
    .await;

    let big = format!("{{\"jti\":\"{}\"}}", "x".repeat(10_000));
    let p = expect_problem(
        post(big.into_bytes(), "application/json").await.unwrap(),
        413,
    )
    .await;
    assert!(p.detail.unwrap().contains("4096"));

    // Without credentials the body is never looked at.
    let response = app.http.post(&url).body("garbage").send().await.unwrap();
    expect_problem(response, 401).await;
    app.stop().await;
}

#[tokio::test]
async fn bad_paths_and_queries_are_problems() {
    let app = spawn_app().await;
    let admin = app.token(Grant::Admin);
    let p = expect_problem(
        app.get("/api/v1/buildings/not-a-number", Some(&admin))
            .await,
        400,
    )
    .await;
    assert!(p.detail.is_some());
    expect_problem(app.get("/api/v1/buildings/-1", Some(&admin)).await, 400).await;
    let p = expect_problem(
        app.get("/api/v1/admin/usage?month=2026-13", Some(&admin))
            .await,
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "month");
    // A query parameter Rappu does not know is ignored, as the document's schema allows.
    assert_eq!(
        app.get("/api/v1/admin/usage?nonsense=1", Some(&admin))
            .await
            .status(),
        200
    );
    app.stop().await;
}

/// Every number in a path, query or body has a documented bound, and one past it is refused
/// before Rappu's database or Tampuuri is asked: 422 naming the field, or 404 for an id.
#[tokio::test]
async fn numbers_past_their_bounds_are_refused_before_any_call() {
    let app = spawn_app().await;
    let admin = app.token(Grant::Admin);
    let resident = app.token(crate::report_support::resident(&app, 0).grant());
    let partner = app.token(Grant::Partner {
        assignee: crate::report_support::maintenance(&app),
    });
    // A resident session is checked against Tampuuri once an hour (its first request makes
    // that call): take it before counting.
    assert_eq!(app.get("/api/v1/me", Some(&resident)).await.status(), 200);
    let before = app.sim.calls().total();
    let past_i64 = "9223372036854775808";

    for (path, token, field) in [
        (
            format!("/api/v1/fault-reports?offset={past_i64}"),
            &resident,
            "offset",
        ),
        (
            "/api/v1/fault-reports?offset=1000001".to_owned(),
            &resident,
            "offset",
        ),
        (
            "/api/v1/fault-reports?limit=200007".to_owned(),
            &resident,
            "limit",
        ),
        (
            "/api/v1/fault-reports?limit=0".to_owned(),
            &resident,
            "limit",
        ),
        (
            format!("/api/v1/admin/fault-reports/undelivered?offset={past_i64}"),
            &admin,
            "offset",
        ),
        (
            "/api/v1/work-orders?offset=1000001&limit=101".to_owned(),
            &partner,
            "offset",
        ),
    ] {
        let p = expect_problem(app.get(&path, Some(token)).await, 422).await;
        assert_eq!(p.errors[0].field, field, "{path}");
    }
    // Past u64 the query does not parse at all.
    expect_problem(
        app.get(
            "/api/v1/fault-reports?offset=18446744073709551616",
            Some(&resident),
        )
        .await,
        400,
    )
    .await;
    for (path, token) in [
        (format!("/api/v1/buildings/{past_i64}"), &admin),
        (format!("/api/v1/work-orders/{past_i64}"), &partner),
    ] {
        expect_problem(app.get(&path, Some(token)).await, 404).await;
    }
    let receive = app
        .http
        .post(format!("{}/api/v1/work-orders/{past_i64}/receive", app.url))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    expect_problem(receive, 404).await;
    {
        let body = serde_json::json!({"building": 9_223_372_036_854_775_808_u64});
        let response = app
            .http
            .post(format!("{}/api/v1/admin/displays/enrolments", app.url))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = expect_problem(response, 422).await;
        assert_eq!(p.errors[0].field, "building");
    }
    let response = app
        .http
        .post(format!("{}/api/v1/admin/residents/login-links", app.url))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"party": 1, "apartment": 9_223_372_036_854_775_808_u64}))
        .send()
        .await
        .unwrap();
    expect_problem(response, 422).await;
    assert_eq!(
        app.sim.calls().total(),
        before,
        "no Tampuuri call for a number past its bound"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_jti_is_visible_ascii_as_documented() {
    let app = spawn_app().await;
    let admin = app.token(Grant::Admin);
    for jti in ["", " ", "a b", "ä", &"x".repeat(101)] {
        let response = app
            .http
            .post(format!("{}/api/v1/admin/tokens/revoke", app.url))
            .bearer_auth(&admin)
            .json(&serde_json::json!({ "jti": jti }))
            .send()
            .await
            .unwrap();
        let p = expect_problem(response, 422).await;
        assert_eq!(p.errors[0].field, "jti", "{jti:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn upstream_failures_are_503_with_retry_after_and_no_details() {
    // A gateway just started while Tampuuri is down: its account mirror cannot load.
    let app = spawn_app_cold(
        one_account(1),
        rappu_sim::Faults {
            outage: true,
            ..Default::default()
        },
        |s| s.mirror.load_wait_secs = 1,
    )
    .await;
    let admin = app.token(Grant::Admin);
    let response = app.get("/api/v1/admin/properties", Some(&admin)).await;
    // When to try again: Tampuuri's own hint, or what is left of the open circuit.
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let p = expect_problem(response, 503).await;
    let text = serde_json::to_string(&p).unwrap();
    assert!(
        !text.contains("127.0.0.1") && !text.contains("kustannuspaikat"),
        "{text}"
    );
    app.stop().await;
}

/// Every call Rappu makes is counted by route, as Tampuuri bills it: the report equals
/// the simulator's own count, call for call.
#[tokio::test]
async fn usage_is_counted_per_route_as_tampuuri_counts() {
    let app = spawn_app().await;
    let admin = app.token(Grant::Admin);
    let account = app.account();
    let report: rappu_shared::admin::UsageReport =
        eventually(10, "usage equal to Tampuuri's count", || async {
            let report: rappu_shared::admin::UsageReport = app
                .get("/api/v1/admin/usage", Some(&admin))
                .await
                .json()
                .await
                .unwrap();
            let calls = app.sim.calls();
            let equal = report.total_calls == calls.account_total(&account)
                && report
                    .lines
                    .iter()
                    .all(|l| l.calls == calls.get(&account, &l.route));
            equal.then_some(report)
        })
        .await;
    assert!(
        report
            .lines
            .iter()
            .any(|l| l.route == "GET kustannuspaikat/selaa" && l.calls >= 1),
        "the mirror's load is counted: {:?}",
        report.lines
    );
    let bill = &report.bills[0];
    assert_eq!(bill.package, "normal");
    assert_eq!(bill.calls, report.total_calls);
    assert_eq!(
        (bill.extra_calls, bill.total_eur),
        (0, 240.0),
        "within the included calls"
    );
    app.stop().await;
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = spawn_app().await;
    let response = app.get("/healthz", None).await;
    let h = response.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    // Error documents carry them too, and a page that sets its own policy keeps it.
    let missing = app.get("/api/v1/no-such-route", None).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-content-type-options"], "nosniff");
    assert_eq!(missing.headers()["x-frame-options"], "DENY");
    let docs = app.get("/docs/", None).await;
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'"),
        "docs keep their own policy: {csp}"
    );
    assert_eq!(docs.headers()["x-frame-options"], "DENY");
    app.stop().await;
}

#[tokio::test]
async fn with_tampuuri_configured_the_gateway_uses_that_account() {
    let app = spawn_app_against(one_account(2), |_| {}).await;
    let admin = app.token(Grant::Admin);
    let properties: Vec<rappu_shared::Property> = app
        .get("/api/v1/admin/properties", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(properties.len(), 2);
    let ready: rappu_shared::Readiness = app.get("/readyz", None).await.json().await.unwrap();
    let upstream = ready.checks.iter().find(|c| c.name == "upstream").unwrap();
    assert_eq!(upstream.detail.as_deref(), Some("tampuuri"));
    app.stop().await;
}
