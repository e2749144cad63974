//! Third-party apps: registration by an operator, OAuth 2.0 client credentials at
//! `POST /oauth/token` (RFC 6749 §4.4, errors per §5.2), scopes narrowed to buildings,
//! rotation and revocation, per-app quotas and usage, the signing keys and the metadata,
//! and CORS for registered origins.

use base64::Engine as _;
use rappu_shared::Grant;
use rappu_shared::apps::{AppView, BuildingAnnouncements, JwkSet};
use rappu_shared::display::DisplayFeed;
use serde_json::{Value, json};

use crate::apps_support::*;
use crate::helpers::{expect_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_registered_app_gets_a_token_that_reaches_only_its_scopes_and_buildings() {
    let app = spawn_app().await;
    let (property, building, _) = places(&app);
    let other = foreign_building(&app).unwrap();
    let creds = register(
        &app,
        json!([{"scope": "feeds:read", "buildings": [building]},
               {"scope": "reports:read", "properties": [property]}]),
        &[],
    )
    .await;
    assert!(creds.client_id.starts_with("rappu-app-"));
    assert!(creds.client_secret.starts_with("rappu-secret-"));
    assert_eq!(creds.app.rate_limit_per_minute, 600, "the default quota");

    // The secret is shown once and kept only as a hash: not in the database, not listed.
    let db = std::fs::read(app.state.settings.database_path()).unwrap();
    let secret = creds.client_secret.as_bytes();
    assert!(!db.windows(secret.len()).any(|w| w == secret));
    let listed = app
        .get("/api/v1/admin/apps", Some(&app.token(Grant::Admin)))
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains(&creds.client_id) && !listed.contains(&creds.client_secret));

    let token = token(&app, &creds).await;
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in, 900);
    assert_eq!(token.scope, "feeds:read reports:read");

    let feed = app
        .get(
            &format!("/api/v1/buildings/{building}/feed"),
            Some(&token.access_token),
        )
        .await;
    assert_eq!(feed.status(), 200);
    let etag = feed.headers()["etag"].clone();
    let feed: DisplayFeed = feed.json().await.unwrap();
    assert_eq!(feed.building.id, building);
    let again = app
        .http
        .get(format!("{}/api/v1/buildings/{building}/feed", app.url))
        .bearer_auth(&token.access_token)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let outside = app
        .get(
            &format!("/api/v1/buildings/{other}/feed"),
            Some(&token.access_token),
        )
        .await;
    assert_eq!(expect_problem(outside, 403).await.slug(), "out-of-scope");
    let unscoped = app
        .get(
            &format!("/api/v1/buildings/{building}/announcements"),
            Some(&token.access_token),
        )
        .await;
    assert_eq!(
        unscoped.headers()["www-authenticate"],
        "Bearer error=\"insufficient_scope\", scope=\"announcements:read\""
    );
    assert_eq!(
        expect_problem(unscoped, 403).await.slug(),
        "insufficient-scope"
    );
    // The property's buildings are covered by reports:read.
    let orders = app
        .get(
            &format!("/api/v1/buildings/{building}/work-orders"),
            Some(&token.access_token),
        )
        .await;
    assert_eq!(orders.status(), 200);
    let orders = app
        .get(
            &format!("/api/v1/buildings/{other}/work-orders"),
            Some(&token.access_token),
        )
        .await;
    assert_eq!(expect_problem(orders, 403).await.slug(), "out-of-scope");
    // Not an admin, not a partner, not a display.
    for path in [
        "/api/v1/admin/apps",
        "/api/v1/display/feed",
        "/api/v1/work-orders",
    ] {
        let refused = app.get(path, Some(&token.access_token)).await;
        assert_eq!(
            expect_problem(refused, 403).await.slug(),
            "forbidden",
            "{path}"
        );
    }
    let me: Value = app
        .get("/api/v1/me", Some(&token.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["grant"]["role"], "app");
    assert_eq!(me["grant"]["client_id"], creds.client_id.as_str());

    // Every call is counted for the app, by route.
    let usage: Value = app
        .get("/api/v1/admin/usage", Some(&app.token(Grant::Admin)))
        .await
        .json()
        .await
        .unwrap();
    let feed_calls = usage["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| {
            l["client_id"] == creds.client_id.as_str()
                && l["route"] == "GET /api/v1/buildings/{building_id}/feed"
        })
        .unwrap_or_else(|| panic!("no feed calls in {usage}"));
    assert_eq!(feed_calls["calls"], 3);
    let apps: Vec<AppView> = app
        .get("/api/v1/admin/apps", Some(&app.token(Grant::Admin)))
        .await
        .json()
        .await
        .unwrap();
    assert!(apps[0].calls_this_month >= 9, "{apps:?}");
    app.stop().await;
}

#[tokio::test]
async fn announcements_come_from_the_buildings_feed() {
    let app = spawn_app().await;
    let (_, building, _) = places(&app);
    let creds = register(
        &app,
        json!([{"scope": "announcements:read", "buildings": [building]}]),
        &[],
    )
    .await;
    let token = token(&app, &creds).await.access_token;
    let answer: BuildingAnnouncements = app
        .get(
            &format!("/api/v1/buildings/{building}/announcements"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    let display = app.token(Grant::Display {
        building,
        staircase: None,
    });
    assert_eq!(answer.building, building);
    assert_eq!(answer.announcements, app.feed(&display).await.announcements);
    app.stop().await;
}

#[tokio::test]
async fn the_token_endpoint_answers_every_fault_per_rfc_6749() {
    let app = spawn_app().await;
    let (_, building, _) = places(&app);
    let creds = register(
        &app,
        json!([{"scope": "feeds:read", "buildings": [building]}]),
        &[],
    )
    .await;
    let auth = basic(&creds.client_id, &creds.client_secret);
    let grant = "grant_type=client_credentials";

    // Credentials in the form work as well as HTTP Basic; a subset of scopes may be asked.
    let form = format!(
        "{grant}&client_id={}&client_secret={}&scope=feeds:read",
        creds.client_id, creds.client_secret
    );
    assert_eq!(token_raw(&app, None, &form).await.status(), 200);

    let cases: Vec<(Option<&str>, String, u16, &str)> = vec![
        (Some(&auth), String::new(), 400, "invalid_request"),
        (
            Some(&auth),
            format!("{grant}&{grant}"),
            400,
            "invalid_request",
        ),
        (
            Some(&auth),
            format!("{grant}&client_id={}", creds.client_id),
            400,
            "invalid_request",
        ),
        (None, grant.to_owned(), 400, "invalid_request"),
        (
            Some(&auth),
            "grant_type=password".into(),
            400,
            "unsupported_grant_type",
        ),
        (
            Some(&auth),
            format!("{grant}&scope=reports:read"),
            400,
            "invalid_scope",
        ),
        (
            Some(&auth),
            format!("{grant}&scope=root"),
            400,
            "invalid_scope",
        ),
        (Some("Basic !!!"), grant.to_owned(), 401, "invalid_client"),
    ];
    for (authorization, form, status, code) in cases {
        let response = token_raw(&app, authorization, &form).await;
        expect_oauth_error(response, status, code).await;
    }
    // Not a form at all.
    let json_body = app
        .http
        .post(format!("{}/oauth/token", app.url))
        .header("authorization", &auth)
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    expect_oauth_error(json_body, 400, "invalid_request").await;

    // A wrong secret and an unknown id fail alike; with Basic the answer challenges Basic.
    let wrong = token_raw(
        &app,
        Some(&basic(&creds.client_id, "rappu-secret-wrong")),
        grant,
    )
    .await;
    assert_eq!(wrong.headers()["www-authenticate"], "Basic realm=\"rappu\"");
    expect_oauth_error(wrong, 401, "invalid_client").await;
    let unknown = format!("{grant}&client_id=rappu-app-0000000000000000&client_secret=x");
    let unknown = token_raw(&app, None, &unknown).await;
    assert!(unknown.headers().get("www-authenticate").is_none());
    expect_oauth_error(unknown, 401, "invalid_client").await;

    // Ten failures a minute per client id, then slow_down (the right secret too, for now).
    let mut last = None;
    for _ in 0..12 {
        let r = token_raw(&app, Some(&basic(&creds.client_id, "nope")), grant).await;
        last = Some(r.status().as_u16());
        if last == Some(429) {
            assert!(
                r.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
            expect_oauth_error(r, 429, "slow_down").await;
            break;
        }
    }
    assert_eq!(last, Some(429));
    app.stop().await;
}

#[tokio::test]
async fn rotating_narrowing_and_revoking_take_effect_at_once() {
    let app = spawn_app().await;
    let admin = app.token(Grant::Admin);
    let (_, building, second) = places(&app);
    let second = second.unwrap_or_else(|| foreign_building(&app).unwrap());
    let creds = register(
        &app,
        json!([{"scope": "feeds:read", "buildings": [building, second]}]),
        &[],
    )
    .await;
    let old = token(&app, &creds).await.access_token;
    let feed_of = |b: u64| format!("/api/v1/buildings/{b}/feed");
    assert_eq!(app.get(&feed_of(second), Some(&old)).await.status(), 200);

    // Narrowing a scope applies to the token already issued.
    let path = format!("{}/api/v1/admin/apps/{}", app.url, creds.client_id);
    let narrowed = app
        .http
        .put(&path)
        .bearer_auth(&admin)
        .json(&json!({"name": "Huolto", "contact": "it@huolto.example.fi",
                      "scopes": [{"scope": "feeds:read", "buildings": [building]}],
                      "rate_limit_per_minute": 120}))
        .send()
        .await
        .unwrap();
    assert_eq!(narrowed.status(), 200);
    let view: AppView = narrowed.json().await.unwrap();
    assert_eq!(
        (view.name.as_str(), view.rate_limit_per_minute),
        ("Huolto", 120)
    );
    assert_eq!(
        expect_problem(app.get(&feed_of(second), Some(&old)).await, 403)
            .await
            .slug(),
        "out-of-scope"
    );
    assert_eq!(app.get(&feed_of(building), Some(&old)).await.status(), 200);

    // Rotation: the old secret and the old token stop working, the new secret works.
    let rotated: rappu_shared::apps::AppCredentials = app
        .http
        .post(format!("{path}/secret"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(rotated.client_secret, creds.client_secret);
    let stale = token_raw(
        &app,
        Some(&basic(&creds.client_id, &creds.client_secret)),
        "grant_type=client_credentials",
    )
    .await;
    expect_oauth_error(stale, 401, "invalid_client").await;
    assert_eq!(
        expect_problem(app.get(&feed_of(building), Some(&old)).await, 401)
            .await
            .slug(),
        "invalid-token"
    );
    let fresh = token(&app, &rotated).await.access_token;
    assert_eq!(
        app.get(&feed_of(building), Some(&fresh)).await.status(),
        200
    );

    // Revocation: the token and the secret stop working; the app stays listed, revoked.
    let revoked = app
        .http
        .post(format!("{path}/revoke"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        expect_problem(app.get(&feed_of(building), Some(&fresh)).await, 401)
            .await
            .slug(),
        "invalid-token"
    );
    let refused = token_raw(
        &app,
        Some(&basic(&rotated.client_id, &rotated.client_secret)),
        "grant_type=client_credentials",
    )
    .await;
    expect_oauth_error(refused, 401, "invalid_client").await;
    let view: AppView = app
        .get(
            &format!("/api/v1/admin/apps/{}", creds.client_id),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(view.revoked_at.is_some());
    let again = app.http.put(&path).bearer_auth(&admin).json(&json!({"name": "x", "contact": "y", "scopes": [{"scope": "feeds:read", "buildings": [building]}]})).send().await.unwrap();
    assert_eq!(expect_problem(again, 409).await.slug(), "conflict");
    app.stop().await;
}

#[tokio::test]
async fn a_registration_that_breaks_a_rule_names_each_field() {
    let app = spawn_app().await;
    let bad = register_raw(
        &app,
        &json!({"name": " ", "contact": "c", "scopes": [
            {"scope": "feeds:read", "buildings": []},
            {"scope": "feeds:read", "buildings": [1]}],
            "origins": ["http://evil.example", "https://ok.example/"],
            "rate_limit_per_minute": 0}),
    )
    .await;
    let problem = expect_problem(bad, 422).await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "scopes[0]",
            "scopes[1].scope",
            "origins[0]",
            "origins[1]",
            "rate_limit_per_minute"
        ]
    );
    let unknown_scope = register_raw(
        &app,
        &json!({"name": "n", "contact": "c", "scopes": [{"scope": "admin", "buildings": [1]}]}),
    )
    .await;
    expect_problem(unknown_scope, 422).await;
    let extra_field = register_raw(&app, &json!({"name": "n", "contact": "c", "scopes": [{"scope": "feeds:read", "buildings": [1]}], "secret": "mine"})).await;
    expect_problem(extra_field, 422).await;
    let admin = app.token(Grant::Admin);
    for path in [
        "/api/v1/admin/apps/nope",
        "/api/v1/admin/apps/rappu-app-0000000000000000",
    ] {
        expect_problem(app.get(path, Some(&admin)).await, 404).await;
    }
    let partner = app.token(Grant::Partner { assignee: 1 });
    expect_problem(register_raw(&app, &json!({})).await, 422).await;
    let as_partner = app
        .http
        .post(format!("{}/api/v1/admin/apps", app.url))
        .bearer_auth(partner)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_problem(as_partner, 403).await;
    app.stop().await;
}

#[tokio::test]
async fn an_app_is_held_to_its_own_quota_with_rate_limit_headers() {
    let app = spawn_app().await;
    let (_, building, _) = places(&app);
    let response = register_raw(
        &app,
        &json!({"name": "Kiireinen", "contact": "c@example.fi",
                "scopes": [{"scope": "feeds:read", "buildings": [building]}],
                "rate_limit_per_minute": 1, "rate_limit_burst": 2}),
    )
    .await;
    let creds: rappu_shared::apps::AppCredentials = response.json().await.unwrap();
    // Two tokens of one app share its quota.
    let (a, b) = (
        token(&app, &creds).await.access_token,
        token(&app, &creds).await.access_token,
    );
    let path = format!("/api/v1/buildings/{building}/feed");
    assert_eq!(app.get(&path, Some(&a)).await.status(), 200);
    assert_eq!(app.get(&path, Some(&b)).await.status(), 200);
    let over = app.get(&path, Some(&a)).await;
    assert_eq!(over.headers()["ratelimit-policy"], "\"app\";q=1;w=60");
    assert!(
        over.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(expect_problem(over, 429).await.slug(), "rate-limited");
    app.stop().await;
}

#[tokio::test]
async fn the_signing_keys_and_the_metadata_are_published() {
    let app = spawn_app().await;
    let (_, building, _) = places(&app);
    let creds = register(
        &app,
        json!([{"scope": "feeds:read", "buildings": [building]}]),
        &[],
    )
    .await;
    let token = token(&app, &creds).await.access_token;

    let jwks = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=300");
    let jwks: JwkSet = jwks.json().await.unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    let kid = header.kid.unwrap();
    let jwk = jwks
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .expect("the token's kid is published");
    assert_eq!(
        (jwk.kty.as_str(), jwk.crv.as_str(), jwk.alg.as_str()),
        ("OKP", "Ed25519", "EdDSA")
    );
    // The published key verifies the token (RFC 8037 x is the raw public key).
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&jwk.x)
        .unwrap();
    let key = jsonwebtoken::DecodingKey::from_ed_der(&x);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["rappu-api"]);
    validation.set_issuer(&["rappu"]);
    let claims = jsonwebtoken::decode::<Value>(&token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["client_id"], creds.client_id.as_str());
    assert_eq!(claims["scope"], "feeds:read");
    assert_eq!(claims["sub"], creds.client_id.as_str());

    let meta: Value = app
        .get("/.well-known/oauth-authorization-server", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], app.url.as_str());
    assert_eq!(meta["token_endpoint"], format!("{}/oauth/token", app.url));
    assert_eq!(
        meta["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.url)
    );
    assert_eq!(meta["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(
        meta["scopes_supported"],
        json!([
            "feeds:read",
            "announcements:read",
            "reports:read",
            "work-orders:write"
        ])
    );
    app.stop().await;
}

#[tokio::test]
async fn cors_is_closed_by_default_and_open_to_registered_origins() {
    let app = spawn_app_with(|_| {}).await;
    let (_, building, _) = places(&app);
    let origin = "http://localhost:5173";
    let creds = register(
        &app,
        json!([{"scope": "feeds:read", "buildings": [building]}]),
        &[origin],
    )
    .await;
    let other = register(
        &app,
        json!([{"scope": "feeds:read", "buildings": [building]}]),
        &["https://other.example.fi"],
    )
    .await;
    let path = format!("{}/api/v1/buildings/{building}/feed", app.url);
    let preflight = |from: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, &path)
            .header("origin", from)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let open = preflight(origin).await.unwrap();
    assert_eq!(open.status(), 200);
    assert_eq!(open.headers()["access-control-allow-origin"], origin);
    assert!(
        open.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    assert!(
        open.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("GET")
    );
    assert!(
        open.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let closed = preflight("https://evil.example").await.unwrap();
    assert_eq!(closed.status(), 200);
    assert!(
        closed
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let token = token(&app, &creds).await.access_token;
    let from_page = |from: &'static str, token: String| {
        app.http
            .get(&path)
            .bearer_auth(token)
            .header("origin", from)
            .header("sec-fetch-site", "cross-site")
            .send()
    };
    let ok = from_page(origin, token.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], origin);
    assert!(
        ok.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("etag")
    );
    // A token used from a page its app does not list (even another app's origin) is refused.
    let elsewhere = from_page("https://other.example.fi", token.clone())
        .await
        .unwrap();
    assert_eq!(expect_problem(elsewhere, 403).await.slug(), "out-of-scope");
    let other_token = self::token(&app, &other).await.access_token;
    assert_eq!(
        from_page("https://other.example.fi", other_token)
            .await
            .unwrap()
            .status(),
        200
    );

    // A cross-site POST with a bearer token passes the CSRF guard (the route decides); one
    // that relies on a cookie does not.
    let bearer_post = app
        .http
        .post(format!("{}/api/v1/work-orders/1/receive", app.url))
        .bearer_auth(&token)
        .header("origin", origin)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_problem(bearer_post, 403).await.slug(),
        "insufficient-scope"
    );
    let cookie_post = app
        .http
        .post(format!("{}/api/v1/auth/logout", app.url))
        .header("cookie", "rappu_session=x")
        .header("origin", origin)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cookie_post.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn an_app_reads_and_works_the_reports_of_its_buildings_only() {
    use crate::report_support::*;
    use rappu_shared::report::{ReportPage, ReportStatus, WorkOrder};

    let app = report_app().await;
    let (property, building, _) = places(&app);
    let resident_token = app.token(resident(&app, 0).grant());
    let filed = file(&app, &resident_token, "Porraskäytävän valo ei pala").await;
    until_status(&app, &resident_token, &filed.id, ReportStatus::Open).await;
    let id = u64::try_from(delivered_as(&app, &filed.id).id).unwrap();

    let worker = register(
        &app,
        json!([{"scope": "reports:read", "properties": [property]},
               {"scope": "work-orders:write", "properties": [property]}]),
        &[],
    )
    .await;
    let token = token(&app, &worker).await.access_token;
    let page: ReportPage<WorkOrder> = app
        .get(
            &format!("/api/v1/buildings/{building}/work-orders?state=open"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    let order = page
        .items
        .iter()
        .find(|o| o.id == id)
        .expect("the report is listed");
    assert_eq!(order.title, "Porraskäytävän valo ei pala");
    let one: WorkOrder = app
        .get(&format!("/api/v1/work-orders/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one.id, id);
    let received = app
        .http
        .post(format!("{}/api/v1/work-orders/{id}/receive", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(received.status(), 200);
    until_status(&app, &resident_token, &filed.id, ReportStatus::Received).await;

    // An app whose scopes cover another building sees the report as missing, and one
    // that may read but not write is refused the change.
    let stranger = register(
        &app,
        json!([{"scope": "reports:read", "buildings": [building + 999_999]},
               {"scope": "work-orders:write", "buildings": [building + 999_999]}]),
        &[],
    )
    .await;
    let stranger = self::token(&app, &stranger).await.access_token;
    expect_problem(
        app.get(&format!("/api/v1/work-orders/{id}"), Some(&stranger))
            .await,
        404,
    )
    .await;
    let hold = app
        .http
        .post(format!("{}/api/v1/work-orders/{id}/hold", app.url))
        .bearer_auth(&stranger)
        .json(&json!({"reason": "Odottaa osia"}))
        .send()
        .await
        .unwrap();
    expect_problem(hold, 404).await;
    let reader = register(
        &app,
        json!([{"scope": "reports:read", "properties": [property]}]),
        &[],
    )
    .await;
    let reader = self::token(&app, &reader).await.access_token;
    let hold = app
        .http
        .post(format!("{}/api/v1/work-orders/{id}/hold", app.url))
        .bearer_auth(&reader)
        .json(&json!({"reason": "Odottaa osia"}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_problem(hold, 403).await.slug(), "insufficient-scope");
    app.stop().await;
}
