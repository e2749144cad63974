//! Residents sign in with their email address: a one-time link by mail (written to the
//! gateway's mail folder here; `tests/e2e/signin.test.mjs` sends it through a real SMTP
//! server), the same answer for every address, limits, move-outs, turvakielto, a choice of
//! apartments.

use std::time::{Duration, Instant};

use chrono::Days;
use rappu_shared::finnish_time;
use rappu_shared::session::{ApartmentChoice, EmailLinkSent};
use rappu_shared::{Grant, Me};
use rappu_sim::Faults;
use serde_json::json;

use crate::helpers::{TestApp, expect_problem, spawn_app_with, uid};
use crate::signin_support::{add_resident, ask, count_after, mails_to, open, set_cookie};

async fn app() -> TestApp {
    spawn_app_with(|s| s.signin.residency_check_secs = 1).await
}

/// The `i`th plain resident's apartment and its property's name.
fn apartment(app: &TestApp, i: usize) -> (u64, String) {
    let summary = app.summary();
    let r = &summary.residents.plain[i];
    let property = summary
        .properties
        .iter()
        .find(|p| p.id == r.property_id)
        .map(|p| p.name.clone())
        .unwrap();
    (uid(r.apartment_id), property)
}

async fn me(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/api/v1/me", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

fn today() -> chrono::NaiveDate {
    finnish_time::local_date(chrono::Utc::now())
}

#[tokio::test]
async fn a_resident_gets_a_link_by_mail_that_works_once_for_15_minutes_from_any_device() {
    let app = app().await;
    let (flat, property) = apartment(&app, 0);
    let added = add_resident(&app, flat, "Iida.Kotilainen@Example.fi", json!({})).await;
    let party = added["Osapuoli"]["Id"].as_u64().unwrap();

    // The address is matched without regard to case.
    let response = ask(&app, "iida.kotilainen@example.FI").await;
    assert_eq!(response.status(), 202);
    let sent: EmailLinkSent = response.json().await.unwrap();
    assert_eq!(sent.link_valid_secs, 900);

    let mail = mails_to(&app, "iida.kotilainen@example.fi", 1, 15)
        .await
        .remove(0);
    assert!(mail.subject.contains(&property), "{}", mail.subject);
    assert!(
        mail.subject.starts_with("Kirjautumislinkki"),
        "Finnish first"
    );
    assert!(mail.text.contains("15 minuuttia") && mail.text.contains("15 minutes"));
    assert!(mail.html.contains(&mail.link().replace('&', "&amp;")));
    assert!(
        mail.link()
            .starts_with(&format!("{}/portal/login?code=", app.url))
    );
    assert!(mail.raw.contains("multipart/alternative"));

    // Opened in another client (another device): a resident session for that apartment.
    let response = open(&app, &mail.code()).await;
    assert_eq!(response.status(), 204);
    let set = set_cookie(&response, "rappu_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookie = set.split(';').next().unwrap().to_owned();
    let who: Me = me(&app, &cookie).await.json().await.unwrap();
    assert_eq!(
        who.grant,
        Grant::Resident {
            party,
            apartment: flat
        }
    );
    // Once only.
    expect_problem(open(&app, &mail.code()).await, 400).await;
    app.stop().await;
}

#[tokio::test]
async fn a_link_expires() {
    let app = spawn_app_with(|s| s.signin.link_ttl_secs = 1).await;
    let (flat, _) = apartment(&app, 0);
    add_resident(&app, flat, "vanha.linkki@example.fi", json!({})).await;
    assert_eq!(ask(&app, "vanha.linkki@example.fi").await.status(), 202);
    let mail = mails_to(&app, "vanha.linkki@example.fi", 1, 15)
        .await
        .remove(0);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect_problem(open(&app, &mail.code()).await, 400).await;
    app.stop().await;
}

#[tokio::test]
async fn every_address_gets_the_same_answer_at_once_whether_known_or_not() {
    let app = app().await;
    let (flat, _) = apartment(&app, 0);
    let known: Vec<String> = (0..4).map(|i| format!("tunnettu{i}@example.fi")).collect();
    for email in &known {
        add_resident(&app, flat, email, json!({})).await;
    }
    // Tampuuri takes a second to answer each call: an answer that waited for the lookup
    // would take seconds.
    app.sim.set_faults(Faults {
        latency_ms: 1000,
        ..Faults::default()
    });
    let mut answers = Vec::new();
    for (i, known_email) in known.iter().enumerate() {
        for email in [known_email.clone(), format!("tuntematon{i}@example.fi")] {
            let started = Instant::now();
            let response = ask(&app, &email).await;
            let elapsed = started.elapsed();
            let status = response.status();
            let mut headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .filter(|(n, _)| !["x-request-id", "date"].contains(&n.as_str()))
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            headers.sort();
            let body = response.text().await.unwrap();
            answers.push((email, status, headers, body, elapsed));
        }
    }
    let first = &answers[0];
    for (email, status, headers, body, elapsed) in &answers {
        assert_eq!(*status, 202, "{email}");
        assert_eq!((headers, body), (&first.2, &first.3), "{email}");
        assert!(
            *elapsed < Duration::from_millis(500),
            "{email}: {elapsed:?}"
        );
    }
    // The lookups happened afterwards: the known addresses got their mails.
    for email in &known {
        mails_to(&app, email, 1, 30).await;
    }
    app.sim.set_faults(Faults::default());
    assert_eq!(
        count_after(&app, "tuntematon0@example.fi", Duration::ZERO).await,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn requests_are_limited_per_address_and_per_client_and_mails_per_address() {
    let app = spawn_app_with(|s| {
        s.signin.per_client_burst = 100;
        s.signin.per_client_per_hour = 100;
    })
    .await;
    let (flat, _) = apartment(&app, 0);
    add_resident(&app, flat, "kiireinen@example.fi", json!({})).await;
    // Per address: 5 an hour, for known and unknown addresses alike.
    for email in ["kiireinen@example.fi", "ei.ketaan@example.fi"] {
        for _ in 0..5 {
            assert_eq!(ask(&app, email).await.status(), 202);
        }
        let refused = ask(&app, email).await;
        assert_eq!(refused.status(), 429);
        assert!(refused.headers().contains_key("retry-after"));
        assert_eq!(
            refused.headers()["ratelimit-policy"],
            "\"signin-address\";q=5;w=3600"
        );
        expect_problem(refused, 429).await;
    }
    // However many requests, at most 3 mails an hour to one address.
    assert_eq!(
        count_after(&app, "kiireinen@example.fi", Duration::from_secs(3)).await,
        3
    );
    app.stop().await;

    // Per client: 30 an hour, 10 at once, whatever the addresses.
    let app = app_with_client_limit().await;
    for i in 0..10 {
        assert_eq!(
            ask(&app, &format!("osoite{i}@example.fi")).await.status(),
            202
        );
    }
    let refused = ask(&app, "osoite10@example.fi").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.headers()["ratelimit-policy"],
        "\"signin-client\";q=30;w=3600"
    );
    app.stop().await;
}

async fn app_with_client_limit() -> TestApp {
    spawn_app_with(|_| {}).await
}

#[tokio::test]
async fn moved_out_residents_get_no_link_and_lose_their_session_at_the_move_out_date() {
    let app = app().await;
    let (flat, _) = apartment(&app, 0);
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap();
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap();
    add_resident(
        &app,
        flat,
        "muutti.pois@example.fi",
        json!({"Paattyy": yesterday}),
    )
    .await;
    add_resident(
        &app,
        flat,
        "muuttaa.huomenna@example.fi",
        json!({"Alkaa": tomorrow}),
    )
    .await;
    let leaving = add_resident(
        &app,
        flat,
        "muuttaa.tanaan@example.fi",
        json!({"Paattyy": today()}),
    )
    .await;
    for email in [
        "muutti.pois@example.fi",
        "muuttaa.huomenna@example.fi",
        "muuttaa.tanaan@example.fi",
    ] {
        assert_eq!(ask(&app, email).await.status(), 202);
    }
    let mail = mails_to(&app, "muuttaa.tanaan@example.fi", 1, 15)
        .await
        .remove(0);
    assert_eq!(
        count_after(&app, "muutti.pois@example.fi", Duration::from_secs(2)).await,
        0
    );
    assert_eq!(
        count_after(&app, "muuttaa.huomenna@example.fi", Duration::ZERO).await,
        0
    );

    // Moving out today: the session ends when the day ends (Finnish time).
    let response = open(&app, &mail.code()).await;
    assert_eq!(response.status(), 204);
    let set = set_cookie(&response, "rappu_session").unwrap();
    let max_age: i64 = set
        .split("Max-Age=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .unwrap()
        .parse()
        .unwrap();
    let midnight = finnish_time::next_local_midnight(chrono::Utc::now());
    let left = (midnight - chrono::Utc::now()).num_seconds();
    assert!((left - max_age).abs() <= 5, "{max_age} vs {left}");
    let cookie = set.split(';').next().unwrap().to_owned();
    assert_eq!(me(&app, &cookie).await.status(), 200);

    // The move-out date moved to yesterday in Tampuuri: the session ends at the next check.
    let connection = leaving["Id"].as_i64().unwrap();
    let url = format!(
        "{}/_sim/accounts/{}/connections/{connection}",
        app.sim_url,
        app.account()
    );
    let patched = app
        .http
        .patch(url)
        .json(&json!({"Paattyy": yesterday}))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let problem = expect_problem(me(&app, &cookie).await, 401).await;
    assert!(problem.detail.unwrap().contains("no longer lives"));
    let reports = app
        .http
        .get(format!("{}/api/v1/fault-reports", app.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    expect_problem(reports, 401).await;
    app.stop().await;
}

#[tokio::test]
async fn a_resident_under_turvakielto_signs_in_as_usual() {
    let app = app().await;
    let (flat, _) = apartment(&app, 1);
    add_resident(
        &app,
        flat,
        "suojattu@example.fi",
        json!({"Turvakielto": true}),
    )
    .await;
    assert_eq!(ask(&app, "suojattu@example.fi").await.status(), 202);
    let mail = mails_to(&app, "suojattu@example.fi", 1, 15).await.remove(0);
    let response = open(&app, &mail.code()).await;
    assert_eq!(response.status(), 204);
    app.stop().await;
}

#[tokio::test]
async fn a_resident_with_several_apartments_picks_one_after_signing_in() {
    let app = app().await;
    let (first, first_property) = apartment(&app, 0);
    let (second, _) = apartment(&app, 3);
    let added = add_resident(&app, first, "kaksi.kotia@example.fi", json!({})).await;
    let party = added["Osapuoli"]["Id"].as_u64().unwrap();
    add_resident(&app, second, "", json!({"OsapuoliId": party})).await;
    assert_eq!(ask(&app, "kaksi.kotia@example.fi").await.status(), 202);
    let mail = mails_to(&app, "kaksi.kotia@example.fi", 1, 15)
        .await
        .remove(0);

    let response = open(&app, &mail.code()).await;
    assert_eq!(response.status(), 200);
    let choice_cookie = set_cookie(&response, "rappu_signin").unwrap();
    let jar = choice_cookie.split(';').next().unwrap().to_owned();
    let post = |path: &str, body: serde_json::Value| {
        reqwest::Client::new()
            .post(format!("{}{path}", app.url))
            .header("cookie", jar.clone())
            .json(&body)
            .send()
    };
    assert!(choice_cookie.contains("HttpOnly") && choice_cookie.contains("Max-Age=600"));
    assert!(
        set_cookie(&response, "rappu_session").is_none(),
        "no session yet"
    );
    let choice: ApartmentChoice = response.json().await.unwrap();
    let offered: Vec<u64> = choice.apartments.iter().map(|a| a.apartment).collect();
    assert_eq!(offered.len(), 2);
    assert!(offered.contains(&first) && offered.contains(&second));
    let label = &choice
        .apartments
        .iter()
        .find(|a| a.apartment == first)
        .unwrap()
        .label;
    assert!(label.contains(&first_property), "{label}");

    // Not offered: 422, and the choice stays usable.
    let wrong = post("/api/v1/auth/apartment", json!({"apartment": 1}))
        .await
        .unwrap();
    expect_problem(wrong, 422).await;
    let picked = post("/api/v1/auth/apartment", json!({"apartment": second}))
        .await
        .unwrap();
    assert_eq!(picked.status(), 204);
    let session = set_cookie(&picked, "rappu_session").unwrap();
    let cookie = session.split(';').next().unwrap().to_owned();
    let who: Me = me(&app, &cookie).await.json().await.unwrap();
    assert_eq!(
        who.grant,
        Grant::Resident {
            party,
            apartment: second
        }
    );
    // The choice is used up (and its cookie cleared).
    let again = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/apartment", app.url))
        .header("cookie", choice_cookie.split(';').next().unwrap())
        .json(&json!({"apartment": first}))
        .send()
        .await
        .unwrap();
    expect_problem(again, 400).await;
    let none = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/apartment", app.url))
        .json(&json!({"apartment": first}))
        .send()
        .await
        .unwrap();
    expect_problem(none, 400).await;
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_are_refused_with_the_field_named() {
    let app = app().await;
    let post = |body: String, content_type: &'static str| {
        app.http
            .post(format!("{}/api/v1/auth/email-link", app.url))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    for email in [
        "",
        "aino",
        "aino@example",
        "aino @example.fi",
        "äiti@example.fi",
        &format!("{}@example.fi", "a".repeat(250)),
    ] {
        let body = json!({"email": email}).to_string();
        let problem = expect_problem(post(body, "application/json").await.unwrap(), 422).await;
        assert_eq!(problem.errors[0].field, "email", "{email}");
    }
    for (body, status) in [
        (
            json!({"email": "a@b.fi", "language": "sv"}).to_string(),
            422,
        ),
        (json!({"email": "a@b.fi", "extra": 1}).to_string(), 422),
        (json!({}).to_string(), 422),
        ("{\"email\": ".to_owned(), 400),
    ] {
        expect_problem(post(body, "application/json").await.unwrap(), status).await;
    }
    expect_problem(
        post("email=a@b.fi".into(), "text/plain").await.unwrap(),
        415,
    )
    .await;
    app.stop().await;
}
