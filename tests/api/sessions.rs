//! Browser sessions: one-time links, HttpOnly cookies, sign-out, CSRF, demo sign-in.

use rappu_shared::session::{DemoResident, OneTimeLink};
use rappu_shared::{Grant, Me};
use serde_json::json;

use crate::helpers::{TestApp, expect_problem, one_account, spawn_app, spawn_app_against, uid};

fn code_of(link: &OneTimeLink) -> String {
    link.url
        .split("code=")
        .nth(1)
        .expect("a code in the link")
        .to_owned()
}

async fn admin_post(app: &TestApp, path: &str, body: serde_json::Value) -> reqwest::Response {
    let admin = app.token(Grant::Admin);
    app.http
        .post(format!("{}{path}", app.url))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The session cookie's value from a `Set-Cookie` header, after checking its attributes.
fn session_cookie(response: &reqwest::Response) -> String {
    let set = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.starts_with("rappu_session="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(set.contains(attribute), "{attribute} missing in {set}");
    }
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_display_enrols_once_and_reads_its_feed_with_the_cookie() {
    let app = spawn_app().await;
    let building = app.summary().properties[0].buildings[0].id;
    let response = admin_post(
        &app,
        "/api/v1/admin/displays/enrolments",
        json!({"building": building, "label": "Rappu A"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let link: OneTimeLink = response.json().await.unwrap();
    assert!(
        link.url
            .starts_with(&format!("{}/display/enroll?code=", app.url)),
        "{}",
        link.url
    );
    assert!(!link.url.contains("eyJ"), "no token in the URL");

    let enroll = |code: String| {
        app.http
            .post(format!("{}/api/v1/display/enroll", app.url))
            .json(&json!({"code": code}))
            .send()
    };
    let response = enroll(code_of(&link)).await.unwrap();
    assert_eq!(response.status(), 204);
    let cookie = session_cookie(&response);

    let feed = app
        .http
        .get(format!("{}/api/v1/display/feed", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    let me: Me = app
        .http
        .get(format!("{}/api/v1/me", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me.grant,
        Grant::Display {
            building: uid(building),
            staircase: None
        }
    );
    assert_eq!(me.subject, "Rappu A");

    // The code is used up; garbage and guesses are refused alike.
    let p = expect_problem(enroll(code_of(&link)).await.unwrap(), 400).await;
    assert_eq!(p.slug(), "invalid-code");
    expect_problem(enroll("x".repeat(43)).await.unwrap(), 400).await;
    expect_problem(enroll("short".into()).await.unwrap(), 400).await;
    // A resident link's code does not enrol a display.
    let resident = app.summary().residents.plain[0].clone();
    let link: OneTimeLink = admin_post(
        &app,
        "/api/v1/admin/residents/login-links",
        json!({"party": resident.party_id, "apartment": resident.apartment_id}),
    )
    .await
    .json()
    .await
    .unwrap();
    expect_problem(enroll(code_of(&link)).await.unwrap(), 400).await;
    app.stop().await;
}

#[tokio::test]
async fn a_resident_signs_in_with_a_link_and_out_again() {
    let app = spawn_app().await;
    let resident = app.summary().residents.plain[0].clone();
    let link: OneTimeLink = admin_post(
        &app,
        "/api/v1/admin/residents/login-links",
        json!({"party": resident.party_id, "apartment": resident.apartment_id}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(link.url.contains("/portal/login?code="));
    let response = app
        .http
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"code": code_of(&link)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cookie = session_cookie(&response);
    let me = |cookie: String| {
        app.http
            .get(format!("{}/api/v1/me", app.url))
            .header("cookie", cookie)
            .send()
    };
    let who: Me = me(cookie.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(
        who.grant,
        Grant::Resident {
            party: uid(resident.party_id),
            apartment: uid(resident.apartment_id)
        }
    );

    // A cross-site page cannot sign the resident out (or post anything else) with the cookie.
    let forged = app
        .http
        .post(format!("{}/api/v1/auth/logout", app.url))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    expect_problem(forged, 403).await;
    assert_eq!(me(cookie.clone()).await.unwrap().status(), 200);

    let out = app
        .http
        .post(format!("{}/api/v1/auth/logout", app.url))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    expect_problem(me(cookie).await.unwrap(), 401).await;
    app.stop().await;
}

#[tokio::test]
async fn links_are_only_made_for_real_buildings_and_residents() {
    let app = spawn_app().await;
    let summary = app.summary();
    let property = summary.properties[0].id;
    let building = &summary.properties[0].buildings[0];
    let p = expect_problem(
        admin_post(
            &app,
            "/api/v1/admin/displays/enrolments",
            json!({"building": property}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "building");
    let p = expect_problem(
        admin_post(
            &app,
            "/api/v1/admin/displays/enrolments",
            json!({"building": building.id, "staircase": property}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "staircase");
    let former = &summary.residents.former[0];
    let p = expect_problem(
        admin_post(
            &app,
            "/api/v1/admin/residents/login-links",
            json!({"party": former.party_id, "apartment": former.apartment_id}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "party");
    let resident = app.token(Grant::Resident {
        party: uid(former.party_id),
        apartment: uid(former.apartment_id),
    });
    let response = app
        .http
        .post(format!("{}/api/v1/admin/displays/enrolments", app.url))
        .bearer_auth(resident)
        .json(&json!({"building": building.id}))
        .send()
        .await
        .unwrap();
    expect_problem(response, 403).await;
    app.stop().await;
}

#[tokio::test]
async fn demo_sign_in_exists_only_in_demo_mode() {
    let app = spawn_app().await;
    let residents: Vec<DemoResident> = app
        .get("/api/v1/auth/demo-residents", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(!residents.is_empty());
    let pick = &residents[0];
    assert!(pick.label.contains(','), "{}", pick.label);
    let response = app
        .http
        .post(format!("{}/api/v1/auth/demo-login", app.url))
        .json(&json!({"party": pick.party, "apartment": pick.apartment}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cookie = session_cookie(&response);
    let me: Me = app
        .http
        .get(format!("{}/api/v1/me", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me.grant,
        Grant::Resident {
            party: pick.party,
            apartment: pick.apartment
        }
    );
    // Only the listed residents.
    let response = app
        .http
        .post(format!("{}/api/v1/auth/demo-login", app.url))
        .json(&json!({"party": pick.party, "apartment": pick.apartment + 1}))
        .send()
        .await
        .unwrap();
    expect_problem(response, 404).await;
    app.stop().await;

    let real = spawn_app_against(one_account(1), |_| {}).await;
    expect_problem(real.get("/api/v1/auth/demo-residents", None).await, 404).await;
    real.stop().await;
}

#[tokio::test]
async fn the_portal_qr_code_is_an_svg() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/display/portal-qr.svg", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    assert!(
        svg.starts_with("<?xml") && svg.contains("<svg"),
        "{}",
        &svg[..60.min(svg.len())]
    );
    app.stop().await;
}
