//! After pairing: a caretaker's phone pairing displays, the display's renewing session,
//! an operator moving and unpairing a display.

use std::time::Duration;

use rappu_shared::pairing::{CaretakerSession, DisplaySession, PairedDisplay, PairingPoll};
use rappu_shared::session::OneTimeLink;
use rappu_shared::{Grant, Me};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, spawn_app, uid};
use crate::pairing::{admin_pair, poll, set_cookie, start};

fn first_building(app: &TestApp) -> (u64, Vec<u64>) {
    let b = &app.summary().properties[0].buildings[0];
    (uid(b.id), b.staircases.iter().map(|s| uid(s.id)).collect())
}

async fn me(app: &TestApp, cookie: &str) -> Me {
    let response = app
        .http
        .get(format!("{}/api/v1/me", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_caretaker_link_lets_a_phone_pair_displays_in_its_buildings_only() {
    let app = spawn_app().await;
    let (building, staircases) = first_building(&app);
    let other = uid(app.summary().properties[1].buildings[0].id);
    let admin = app.token(Grant::Admin);
    let create = |body: Value| {
        app.http
            .post(format!("{}/api/v1/admin/displays/caretaker-links", app.url))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    for (body, field) in [
        (json!({"buildings": []}), "buildings"),
        (json!({"buildings": [building], "days": 0}), "days"),
        (json!({"buildings": [building, 1]}), "buildings[0]"),
    ] {
        let problem = expect_problem(create(body.clone()).await.unwrap(), 422).await;
        assert_eq!(problem.errors[0].field, field, "{body}");
    }
    let response = create(json!({"buildings": [building], "label": "Huolto Oy", "days": 30}))
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let link: OneTimeLink = response.json().await.unwrap();
    let code = link.url.split("link=").nth(1).unwrap().to_owned();
    assert!(
        link.url
            .starts_with(&format!("{}/display/pair?link=", app.url))
    );

    let open = |code: String| {
        app.http
            .post(format!("{}/api/v1/displays/pairing/caretaker", app.url))
            .json(&json!({"code": code}))
            .send()
    };
    let response = open(code.clone()).await.unwrap();
    assert_eq!(response.status(), 204);
    let phone = set_cookie(&response, "rappu_caretaker");
    // The link works once.
    expect_problem(open(code).await.unwrap(), 410).await;

    let session = app
        .http
        .get(format!("{}/api/v1/displays/pairing/caretaker", app.url))
        .header("cookie", &phone)
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    let session: CaretakerSession = session.json().await.unwrap();
    assert_eq!(session.label.as_deref(), Some("Huolto Oy"));
    assert_eq!(session.buildings.len(), 1);
    assert_eq!(session.buildings[0].id, building);
    assert!(session.expires_at > chrono::Utc::now() + chrono::TimeDelta::days(29));

    let approve = |cookie: Option<&str>, body: Value| {
        let mut request = app
            .http
            .post(format!("{}/api/v1/displays/pairing/approve", app.url))
            .json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let screen = start(&app).await;
    let code = screen.started.user_code.clone();
    let outside = approve(Some(&phone), json!({"code": code, "building": other}));
    expect_problem(outside.await.unwrap(), 403).await;
    let signed_out = approve(None, json!({"code": code, "building": building}));
    expect_problem(signed_out.await.unwrap(), 401).await;
    let response = approve(
        Some(&phone),
        json!({"code": code, "building": building, "staircase": staircases[0]}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let paired: PairedDisplay = response.json().await.unwrap();
    assert_eq!(paired.paired_by, "caretaker:Huolto Oy");
    let answer: PairingPoll = poll(&app, &screen.cookie).await.json().await.unwrap();
    assert!(matches!(answer, PairingPoll::Paired { .. }));
    app.stop().await;
}

/// Pairs a screen with the admin API; returns the display and its session cookie.
pub async fn paired_screen(app: &TestApp, building: u64) -> (PairedDisplay, String) {
    let screen = start(app).await;
    let response = admin_pair(
        app,
        json!({"code": screen.started.user_code, "building": building}),
    );
    let paired: PairedDisplay = response.await.json().await.unwrap();
    let response = poll(app, &screen.cookie).await;
    (paired, set_cookie(&response, "rappu_session"))
}

pub async fn renew(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/display/session", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_operator_moves_and_unpairs_a_display_and_its_session_follows() {
    let app = spawn_app().await;
    let (building, staircases) = first_building(&app);
    let (paired, session) = paired_screen(&app, building).await;
    let admin = app.token(Grant::Admin);

    // A fresh session is not renewed.
    let response = renew(&app, &session).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none());
    let current: DisplaySession = response.json().await.unwrap();
    assert!(!current.renewed);

    let list: Vec<PairedDisplay> = app
        .http
        .get(format!("{}/api/v1/admin/displays", app.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].last_seen_at.is_some(), "renewing counts as seen");

    let put = |id: &str, body: Value| {
        app.http
            .put(format!("{}/api/v1/admin/displays/{id}", app.url))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let bad = put(&paired.id, json!({"building": building, "staircase": 1}));
    assert_eq!(
        expect_problem(bad.await.unwrap(), 422).await.errors[0].field,
        "staircase"
    );
    expect_problem(
        put("nope", json!({"building": building})).await.unwrap(),
        404,
    )
    .await;
    let moved = put(
        &paired.id,
        json!({"building": building, "staircase": staircases[0], "label": "A"}),
    )
    .await
    .unwrap();
    assert_eq!(moved.status(), 200);

    // The display's next renewal gives it a session for its new place.
    let response = renew(&app, &session).await;
    let renewed_cookie = set_cookie(&response, "rappu_session");
    let renewed: DisplaySession = response.json().await.unwrap();
    assert!(renewed.renewed);
    assert_eq!(renewed.staircase, Some(staircases[0]));
    let me = me(&app, &renewed_cookie).await;
    assert_eq!(
        me.grant,
        Grant::Display {
            building,
            staircase: Some(staircases[0])
        }
    );

    // Unpaired: every session of the display stops at once.
    let delete = |id: String| {
        app.http
            .delete(format!("{}/api/v1/admin/displays/{id}", app.url))
            .bearer_auth(&admin)
            .send()
    };
    assert_eq!(delete(paired.id.clone()).await.unwrap().status(), 204);
    expect_problem(delete(paired.id.clone()).await.unwrap(), 404).await;
    for cookie in [&session, &renewed_cookie] {
        let feed = app
            .http
            .get(format!("{}/api/v1/display/feed", app.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        expect_problem(feed, 401).await;
        expect_problem(renew(&app, cookie).await, 401).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_display_session_older_than_a_day_is_replaced_while_in_use() {
    let app = spawn_app().await;
    let (building, _) = first_building(&app);
    // An enrolled display's token with two days left (as if issued 28 days ago).
    let minted = app
        .tokens()
        .mint(rappu_gateway::auth::TokenRequest {
            subject: "Porras A".into(),
            account: app.account(),
            grant: Grant::Display {
                building,
                staircase: None,
            },
            ttl: Duration::from_secs(2 * 86_400),
        })
        .unwrap();
    let cookie = format!("rappu_session={}", minted.token);
    let response = renew(&app, &cookie).await;
    let fresh = set_cookie(&response, "rappu_session");
    let session: DisplaySession = response.json().await.unwrap();
    assert!(session.renewed);
    assert!(session.expires_at > chrono::Utc::now() + chrono::TimeDelta::days(29));
    let me = me(&app, &fresh).await;
    assert_eq!(me.subject, "Porras A", "an enrolled display keeps its name");
    // Only displays renew.
    let resident = app.token(Grant::Resident {
        party: 1,
        apartment: 1,
    });
    let response = app
        .http
        .post(format!("{}/api/v1/display/session", app.url))
        .bearer_auth(resident)
        .send()
        .await
        .unwrap();
    expect_problem(response, 403).await;
    app.stop().await;
}
