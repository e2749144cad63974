//! Pairing a display with a short code: the screen's long poll, the admin API and a
//! caretaker's phone, then the display's renewing session, reassignment and unpairing.

use std::time::{Duration, Instant};

use rappu_shared::pairing::{PairedDisplay, PairingPoll, PairingStarted, normalize_user_code};
use rappu_shared::{Grant, Me};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, spawn_app, spawn_app_with, uid};

/// `name=value` of the `Set-Cookie` header setting `name`, after checking it is HttpOnly
/// and SameSite=Strict.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    let set = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Max-Age="] {
        assert!(set.contains(attribute), "{attribute} missing in {set}");
    }
    set.split(';').next().unwrap().to_owned()
}

/// A screen: its pairing cookie and what it shows.
pub struct Screen {
    pub cookie: String,
    pub started: PairingStarted,
}

pub async fn start(app: &TestApp) -> Screen {
    let response = app
        .http
        .post(format!("{}/api/v1/displays/pairing", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let cookie = set_cookie(&response, "rappu_pairing");
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Path=/api/v1/displays/pairing")
    );
    Screen {
        cookie,
        started: response.json().await.unwrap(),
    }
}

pub async fn poll(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/displays/pairing/poll", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

pub async fn admin_pair(app: &TestApp, body: Value) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/admin/displays/pairings", app.url))
        .bearer_auth(app.token(Grant::Admin))
        .json(&body)
        .send()
        .await
        .unwrap()
}

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
async fn a_screen_shows_a_code_and_is_paired_within_a_second_of_its_entry() {
    let app = spawn_app().await;
    let screen = start(&app).await;
    let code = &screen.started.user_code;
    assert_eq!(normalize_user_code(code).as_deref(), Some(code.as_str()));
    assert_eq!(
        screen.started.verification_uri_complete,
        format!("{}/display/pair?code={code}", app.url)
    );
    assert!(screen.started.expires_at > chrono::Utc::now() + chrono::TimeDelta::minutes(14));

    // The screen is waiting (a long poll) when the operator enters the code.
    let waiting = tokio::spawn({
        let (http, url, cookie) = (app.http.clone(), app.url.clone(), screen.cookie.clone());
        async move {
            let response = http
                .post(format!("{url}/api/v1/displays/pairing/poll"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            (Instant::now(), response)
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (building, staircases) = first_building(&app);
    let typed = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
    let entered = Instant::now();
    let response = admin_pair(
        &app,
        json!({"code": typed, "building": building, "staircase": staircases[0], "label": " A-rappu "}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let paired: PairedDisplay = response.json().await.unwrap();
    assert_eq!(paired.label.as_deref(), Some("A-rappu"));
    assert_eq!(paired.paired_by, "admin:test");

    let (answered, response) = waiting.await.unwrap();
    let latency = answered.duration_since(entered);
    assert!(latency < Duration::from_secs(1), "paired after {latency:?}");
    let session = set_cookie(&response, "rappu_session");
    let cleared = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("rappu_pairing=;"));
    assert!(cleared, "the pairing cookie is cleared");
    let answer: PairingPoll = response.json().await.unwrap();
    assert_eq!(
        answer,
        PairingPoll::Paired {
            building,
            staircase: Some(staircases[0])
        }
    );
    let me = me(&app, &session).await;
    assert_eq!(me.subject, format!("display:{}", paired.id));
    assert_eq!(
        me.grant,
        Grant::Display {
            building,
            staircase: Some(staircases[0])
        }
    );
    let feed = app
        .http
        .get(format!("{}/api/v1/display/feed", app.url))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    // The code works once.
    let again = admin_pair(&app, json!({"code": code, "building": building})).await;
    assert_eq!(expect_problem(again, 422).await.errors[0].field, "code");
    app.stop().await;
}

#[tokio::test]
async fn a_poll_answers_pending_before_the_request_timeout_and_an_expired_pairing_is_410() {
    // A 6 s request timeout: a poll waits 1 s.
    let app = spawn_app_with(|s| s.server.request_timeout_secs = 6).await;
    let screen = start(&app).await;
    let response = poll(&app, &screen.cookie).await;
    assert_eq!(response.status(), 200);
    let answer: PairingPoll = response.json().await.unwrap();
    assert!(matches!(answer, PairingPoll::Pending { .. }), "{answer:?}");

    // Expired: the screen must start again.
    let code = screen.started.user_code.clone();
    app.state
        .store
        .call(move |c| {
            c.execute(
                "UPDATE display_pairings SET expires_at = 0 WHERE user_code = $1",
                rappu_gateway::args![code],
            )
        })
        .await
        .unwrap();
    let problem = expect_problem(poll(&app, &screen.cookie).await, 410).await;
    assert_eq!(problem.slug(), "expired");
    let (building, _) = first_building(&app);
    let late = admin_pair(
        &app,
        json!({"code": screen.started.user_code, "building": building}),
    );
    assert_eq!(
        expect_problem(late.await, 422).await.errors[0].field,
        "code"
    );
    let unknown = poll(&app, "rappu_pairing=nonsense").await;
    assert_eq!(expect_problem(unknown, 410).await.slug(), "expired");
    assert_eq!(
        expect_problem(poll(&app, "other=1").await, 401)
            .await
            .slug(),
        "unauthenticated"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_bad_input_is_a_problem_document_naming_the_field() {
    let app = spawn_app().await;
    let (building, _) = first_building(&app);
    let other = &app.summary().properties[1].buildings[0];
    let foreign_staircase = uid(other.staircases[0].id);
    let screen = start(&app).await;
    let code = screen.started.user_code.clone();
    for (body, field) in [
        (json!({"code": "O0O0-1I1L", "building": building}), "code"),
        (json!({"code": "ABCD", "building": building}), "code"),
        (json!({"code": code, "building": 1}), "building"),
        (
            json!({"code": code, "building": building, "staircase": foreign_staircase}),
            "staircase",
        ),
        (
            json!({"code": code, "building": building, "label": "x".repeat(101)}),
            "label",
        ),
    ] {
        let problem = expect_problem(admin_pair(&app, body.clone()).await, 422).await;
        assert_eq!(problem.errors[0].field, field, "{body}");
    }
    let unknown_field = admin_pair(&app, json!({"code": code, "building": building, "x": 1}));
    expect_problem(unknown_field.await, 422).await;
    let anonymous = app
        .http
        .post(format!("{}/api/v1/admin/displays/pairings", app.url))
        .json(&json!({"code": code, "building": building}))
        .send()
        .await
        .unwrap();
    expect_problem(anonymous, 401).await;
    let display = app.token(Grant::Display {
        building,
        staircase: None,
    });
    let wrong_role = app
        .http
        .post(format!("{}/api/v1/admin/displays/pairings", app.url))
        .bearer_auth(display)
        .json(&json!({"code": code, "building": building}))
        .send()
        .await
        .unwrap();
    expect_problem(wrong_role, 403).await;
    let qr = app
        .get("/api/v1/displays/pairing/qr.svg?code=nope", None)
        .await;
    assert_eq!(expect_problem(qr, 422).await.errors[0].field, "code");
    let qr = app
        .get(
            &format!("/api/v1/displays/pairing/qr.svg?code={code}"),
            None,
        )
        .await;
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    // The screen was not paired by any of this.
    let after = admin_pair(&app, json!({"code": code, "building": building})).await;
    assert_eq!(after.status(), 201);
    app.stop().await;
}

#[tokio::test]
async fn starting_pairings_and_guessing_codes_are_rate_limited() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = app
            .http
            .post(format!("{}/api/v1/displays/pairing", app.url))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    let refused = app
        .http
        .post(format!("{}/api/v1/displays/pairing", app.url))
        .send()
        .await
        .unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    expect_problem(refused, 429).await;

    let (building, _) = first_building(&app);
    let mut last = 0;
    for guess in 0..11 {
        let code = format!(
            "ZZZZZZZ{}",
            ["2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C"][guess]
        );
        last = admin_pair(&app, json!({"code": code, "building": building}))
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429, "the 11th wrong code in a minute is refused");
    app.stop().await;
}
