//! The resident's own photos of a report (kept after delivery, served only to them) and
//! the phone Tampuuri has for them.

use rappu_shared::Grant;
use rappu_shared::report::{FaultReport, ReportStatus};
use rappu_shared::session::MyContact;
use serde_json::json;

use crate::helpers::expect_problem;
use crate::report_support::*;

#[tokio::test]
async fn a_resident_sees_their_own_photos_after_delivery_and_nobody_else_does() {
    let app = report_app().await;
    let owner = resident(&app, 0);
    let token = app.token(owner.grant());
    let mut body = report_body("Ikkuna rikki");
    body["photos"] = json!([photo("a.jpg", &phone_jpeg()), photo("b.jpg", &phone_jpeg())]);
    let response = post_report(&app, &token, "photos-kept", &body).await;
    assert_eq!(response.status(), 201);
    let filed: FaultReport = response.json().await.unwrap();
    assert_eq!(filed.photo_count, 2);
    // Delivered: the outbox has dropped its copy; the resident's stays.
    until_status(&app, &token, &filed.id, ReportStatus::Open).await;

    let path = |n: u32| format!("/api/v1/fault-reports/{}/photos/{n}", filed.id);
    let response = app.get(&path(1), Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(!contains(&bytes, GPS), "served without its metadata");
    assert_eq!(app.get(&path(2), Some(&token)).await.status(), 200);
    for n in [0, 3] {
        expect_problem(app.get(&path(n), Some(&token)).await, 404).await;
    }
    // Another resident, even of the same apartment, gets what a missing photo gets.
    let other = app.token(resident(&app, 1).grant());
    expect_problem(app.get(&path(1), Some(&other)).await, 404).await;
    let flatmate = app
        .http
        .post(format!(
            "{}/_sim/accounts/{}/connections",
            app.sim_url,
            app.account()
        ))
        .json(
            &json!({"KohdeId": owner.apartment, "Etunimi": "Kalle", "Sukunimi": "Kämppis",
            "Alkaa": "2020-01-01"}),
        )
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    // A session is checked against the account mirror, which the new flatmate reaches by
    // webhook.
    crate::signin_support::mirrored(&app, &flatmate).await;
    let neighbour = app.token(Grant::Resident {
        party: flatmate["Osapuoli"]["Id"].as_u64().unwrap(),
        apartment: owner.apartment,
    });
    expect_problem(app.get(&path(1), Some(&neighbour)).await, 404).await;
    expect_problem(app.get(&path(1), None).await, 401).await;
    app.stop().await;
}

#[tokio::test]
async fn the_portal_learns_the_residents_phone_from_the_mirror() {
    let app = report_app().await;
    let owner = resident(&app, 0);
    let token = app.token(owner.grant());
    app.sim_admin(
        reqwest::Method::PATCH,
        &format!("/accounts/{}/parties/{}", app.account(), owner.party),
        json!({"Matkapuhelin": "040 765 4321"}),
    )
    .await;
    // The session's residency check (once an hour) is not what is counted here.
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    // The change reaches the mirror through its webhook (one search of the party) ...
    crate::report_support::eventually(5, "the new phone in the mirror", || async {
        let phones = app
            .state
            .mirror
            .phones(&app.account(), owner.party)
            .await
            .ok()?;
        (phones[0].as_deref() == Some("040 765 4321")).then_some(())
    })
    .await;
    // ... and the portal reads it from there: no call per read.
    let calls = || app.sim.calls().total;
    let before = calls();
    for _ in 0..3 {
        let response = app.get("/api/v1/me/contact", Some(&token)).await;
        assert_eq!(response.status(), 200);
        let contact: MyContact = response.json().await.unwrap();
        assert_eq!(contact.phone.as_deref(), Some("040 765 4321"));
    }
    assert_eq!(calls() - before, 0, "no Tampuuri call for three reads");
    let display = app.token(Grant::Display {
        building: 1,
        staircase: None,
    });
    expect_problem(app.get("/api/v1/me/contact", Some(&display)).await, 403).await;
    app.stop().await;
}
