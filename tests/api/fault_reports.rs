//! Filing fault reports: every field validated, idempotency, residents kept apart.

use rappu_shared::Grant;
use rappu_shared::report::{FaultReport, ReportPage, ReportStatus};
use serde_json::{Value, json};

use crate::helpers::expect_problem;
use crate::report_support::*;

fn fields(problem: &rappu_shared::Problem) -> Vec<String> {
    problem.errors.iter().map(|e| e.field.clone()).collect()
}

#[tokio::test]
async fn every_field_is_validated_and_named() {
    let app = report_app().await;
    let token = app.token(resident(&app, 0).grant());
    let cases: Vec<(&str, Value, &str)> = vec![
        ("topic", json!("kellari"), "topic"),
        ("topic", Value::Null, "topic"),
        ("title", json!("ab"), "title"),
        ("title", json!("x".repeat(101)), "title"),
        ("description", json!("   "), "description"),
        ("description", json!("x".repeat(2001)), "description"),
        ("location", json!("x".repeat(101)), "location"),
        ("master_key_allowed", json!("yes"), "master_key_allowed"),
        ("pets", json!("koira\u{7}"), "pets"),
        ("contact_phone", json!("soita minulle"), "contact_phone"),
        ("contact_phone", json!("12345"), "contact_phone"),
        (
            "photos",
            json!([{"name": "", "data": "AAAA"}]),
            "photos[0].name",
        ),
        (
            "photos",
            json!([{"name": "a.jpg", "data": ""}]),
            "photos[0].data",
        ),
        (
            "photos",
            json!([{"name": "a.jpg", "data": "not base64!"}]),
            "photos[0].data",
        ),
        (
            "photos",
            json!(vec![photo("a.jpg", &phone_jpeg()); 6]),
            "photos",
        ),
    ];
    for (i, (field, value, named)) in cases.into_iter().enumerate() {
        let mut body = report_body("Keittiön hana vuotaa");
        body[field] = value;
        let key = format!("validation-{i}");
        let problem = expect_problem(post_report(&app, &token, &key, &body).await, 422).await;
        assert_eq!(fields(&problem), [named], "{field}: {problem:?}");
    }

    // All at once: every bad field is listed, not only the first.
    let mut body = report_body("ab");
    body["description"] = json!("");
    body["contact_phone"] = json!("soita");
    body["pets"] = json!("x".repeat(201));
    let problem = expect_problem(post_report(&app, &token, "all", &body).await, 422).await;
    assert_eq!(
        fields(&problem),
        ["title", "description", "pets", "contact_phone"]
    );
    assert_eq!(problem.slug(), "validation");

    // The apartment comes from the token: the body cannot name one.
    let mut body = report_body("Keittiön hana vuotaa");
    body["apartment_id"] = json!(100003);
    let problem = expect_problem(post_report(&app, &token, "apt", &body).await, 422).await;
    assert!(
        problem.errors[0].message.contains("apartment_id"),
        "{problem:?}"
    );
    let page: ReportPage<FaultReport> = app
        .get("/api/v1/fault-reports", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.total, 0, "nothing invalid was stored");
    app.stop().await;
}

#[tokio::test]
async fn the_idempotency_key_is_required_and_bounded() {
    let app = report_app().await;
    let token = app.token(resident(&app, 0).grant());
    let body = report_body("Ovi ei sulkeudu");
    let response = app
        .http
        .post(format!("{}/api/v1/fault-reports", app.url))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, 400).await;
    assert!(problem.detail.unwrap().contains("Idempotency-Key"));
    for bad in ["with space".to_owned(), "k".repeat(256)] {
        let problem = expect_problem(post_report(&app, &token, &bad, &body).await, 400).await;
        assert!(problem.detail.unwrap().contains("Idempotency-Key"));
    }
    app.stop().await;
}

#[tokio::test]
async fn the_same_key_answers_the_first_answer_and_never_files_twice() {
    let app = report_app().await;
    let aino = resident(&app, 0);
    let token = app.token(aino.grant());
    let body = report_body("Ovi ei sulkeudu");

    let first = post_report(&app, &token, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first_body = first.text().await.unwrap();
    let filed: FaultReport = serde_json::from_str(&first_body).unwrap();
    assert_eq!(location, format!("/api/v1/fault-reports/{}", filed.id));
    assert_eq!(filed.status, ReportStatus::Pending);

    // The same key and body (sent differently formatted): the first answer, byte for byte.
    let again = app
        .http
        .post(format!("{}/api/v1/fault-reports", app.url))
        .bearer_auth(&token)
        .header("idempotency-key", "key-1")
        .header("content-type", "application/json")
        .body(serde_json::to_string_pretty(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    assert_eq!(again.text().await.unwrap(), first_body);

    // The same key, another body: refused, naming the key.
    let other = report_body("Ikkuna ei aukea");
    let problem = expect_problem(post_report(&app, &token, "key-1", &other).await, 422).await;
    assert_eq!(fields(&problem), ["Idempotency-Key"]);

    // Concurrent requests with one new key: one report, every caller gets its answer.
    let answers =
        futures::future::join_all((0..8).map(|_| post_report(&app, &token, "key-2", &other))).await;
    let mut ids = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), 201);
        ids.push(answer.json::<FaultReport>().await.unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");

    // Keys are the caller's own: another resident may use the same key.
    let toinen = app.token(resident(&app, 1).grant());
    let theirs: FaultReport = post_report(&app, &toinen, "key-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(theirs.id, filed.id);

    // Keys are scoped like the report: the same resident in another apartment (a second
    // home in the same account) files a new report with the same key, and each report is
    // found where it belongs.
    let other_home = resident(&app, 1).apartment;
    app.sim_admin(
        reqwest::Method::POST,
        &format!("/accounts/{}/connections", app.account()),
        json!({"KohdeId": other_home, "OsapuoliId": aino.party, "Alkaa": "2020-01-01"}),
    )
    .await;
    lives_there(&app, aino.party, other_home).await;
    let second = app.token(rappu_shared::Grant::Resident {
        party: aino.party,
        apartment: other_home,
    });
    let response = post_report(&app, &second, "key-1", &body).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("idempotent-replayed").is_none());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let there: FaultReport = response.json().await.unwrap();
    assert_ne!(there.id, filed.id);
    assert_eq!(app.get(&location, Some(&second)).await.status(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/fault-reports/{}", there.id), Some(&token))
            .await
            .status(),
        404,
        "not the first apartment's"
    );

    let page: ReportPage<FaultReport> = app
        .get("/api/v1/fault-reports", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    for id in [&filed.id, &ids[0]] {
        until_status(&app, &token, id, ReportStatus::Open).await;
        let delivered = delivered_as(&app, id);
        assert_eq!(
            delivered.ilmoittaja_id,
            Some(i64::try_from(aino.party).unwrap())
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn residents_see_only_their_own_reports_and_file_only_for_their_apartment() {
    let app = report_app().await;
    let aino = resident(&app, 0);
    let other = resident(&app, 1);
    let aino_token = app.token(aino.grant());
    let other_token = app.token(other.grant());
    let filed = file(&app, &aino_token, "Lattialämmitys ei toimi").await;
    until_status(&app, &aino_token, &filed.id, ReportStatus::Open).await;
    let delivered = delivered_as(&app, &filed.id);
    assert_eq!(delivered.kohde_id, i64::try_from(aino.apartment).unwrap());

    let path = format!("/api/v1/fault-reports/{}", filed.id);
    expect_problem(app.get(&path, Some(&other_token)).await, 404).await;
    // Same party, another apartment (a second home): not the same report owner either.
    app.sim_admin(
        reqwest::Method::POST,
        &format!("/accounts/{}/connections", app.account()),
        json!({"KohdeId": other.apartment, "OsapuoliId": aino.party, "Alkaa": "2020-01-01"}),
    )
    .await;
    lives_there(&app, aino.party, other.apartment).await;
    let moved = app.token(Grant::Resident {
        party: aino.party,
        apartment: other.apartment,
    });
    expect_problem(app.get(&path, Some(&moved)).await, 404).await;
    expect_problem(
        app.get("/api/v1/fault-reports/no-such-id", Some(&aino_token))
            .await,
        404,
    )
    .await;
    let theirs: ReportPage<FaultReport> = app
        .get("/api/v1/fault-reports", Some(&other_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs.total, 0);

    let partner = app.token(Grant::Partner {
        assignee: maintenance(&app),
    });
    let problem = expect_problem(app.get(&path, Some(&partner)).await, 403).await;
    assert_eq!(problem.slug(), "forbidden");
    expect_problem(app.get("/api/v1/fault-reports", None).await, 401).await;

    // Paging: newest first, limits checked.
    let newer = file(&app, &aino_token, "Ovikello ei soi").await;
    let page: ReportPage<FaultReport> = app
        .get("/api/v1/fault-reports?limit=1", Some(&aino_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((page.total, page.items.len()), (2, 1));
    assert_eq!(page.items[0].id, newer.id);
    let problem = expect_problem(
        app.get("/api/v1/fault-reports?limit=1000", Some(&aino_token))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&problem), ["limit"]);
    app.stop().await;
}

/// Waits until the account mirror knows `party` lives in `apartment` (a connection just
/// added in the simulator reaches it by webhook): a resident session is checked there.
async fn lives_there(app: &crate::helpers::TestApp, party: u64, apartment: u64) {
    crate::helpers::eventually(15, "the new home in the account mirror", || async {
        app.state
            .mirror
            .lives_in(&app.account(), party, apartment)
            .await
            .ok()
            .filter(|lives| *lives)
    })
    .await;
}
