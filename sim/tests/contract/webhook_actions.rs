//! Which webhook actions each change emits, with which reference fields; event filters;
//! and the admin changes' own answers.

use std::time::Duration;

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Listener, eventually, spawn};
use crate::webhooks::{WAIT, actions, new_report, register};

#[tokio::test]
async fn changes_emit_their_actions_and_filters_hold() {
    let t = spawn().await;
    let all = Listener::start(&[], 200).await;
    let news_only = Listener::start(&[], 200).await;
    register(&t, &all, json!(["*"])).await;
    register(&t, &news_only, json!(["UutinenUusi"])).await;
    let summary = t.sim().summary("demo").unwrap();
    let plain = &summary.residents.plain[0];
    let api = t.api("demo");
    let mut expected: Vec<Vec<&str>> = Vec::new();

    let (status, news) = t
        .admin(
            Method::POST,
            "accounts/demo/announcements",
            Some(json!({"KohdeId": plain.building_id, "Otsikko": "Vesikatko", "Sisalto": "Klo 9–12."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    expected.push(vec!["UutinenUusi"]);
    let listed = api
        .all("uutiset/selaa", json!({"KohdeId": plain.apartment_id}))
        .await;
    assert_eq!(
        listed[0]["Id"], news["Id"],
        "the new announcement is the newest"
    );

    let (status, party) = t
        .admin(
            Method::PATCH,
            &format!("accounts/demo/parties/{}", plain.party_id),
            Some(json!({"Sukunimi": "Uusinimi", "Turvakielto": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{party}");
    expected.push(vec!["OsapuoliTietoMuokkaa"]);
    let (_, fetched) = api.get(&format!("osapuolet/{}", plain.party_id)).await;
    assert_eq!(fetched["Sukunimi"], "Uusinimi");
    assert_eq!(fetched["Turvakielto"], true);

    let (status, _) = t
        .admin(
            Method::PATCH,
            &format!("accounts/demo/connections/{}", plain.connection_id),
            Some(json!({"Paattyy": "2026-11-30", "PiilotaPorrasnaytolta": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    expected.push(vec!["KohdeOsapuoliMuokkaa"]);

    let (status, added) = t
        .admin(
            Method::POST,
            "accounts/demo/connections",
            Some(
                json!({"KohdeId": plain.apartment_id, "Etunimi": "Helmi", "Sukunimi": "Laine",
                        "Alkaa": "2026-12-01"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    expected.push(vec!["OsapuoliUusi", "KohdeOsapuoliUusi"]);
    let rows = api
        .all(
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": plain.apartment_id}),
        )
        .await;
    assert!(
        rows.iter()
            .any(|c| c["Id"] == added["Id"] && c["Osapuoli"]["Etunimi"] == "Helmi")
    );

    let report = new_report(&t).await;
    expected.push(vec!["IlmoitusUusi"]);
    let id = report["Id"].as_i64().unwrap();
    api.ok(&format!("ilmoitukset/{id}/vastaanota"), json!({}))
        .await;
    expected.push(vec!["IlmoitusTilamuutos"]);
    api.ok(
        &format!("ilmoitukset/{id}/jatkoilmoitus"),
        json!({"Otsikko": "Jatko"}),
    )
    .await;
    expected.push(vec!["IlmoitusUusi", "IlmoitusMuokkaa"]);
    let (status, _) = t
        .admin(
            Method::DELETE,
            &format!("accounts/demo/announcements/{}", news["Id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    expected.push(vec!["UutinenPoista"]);

    let n = expected.len();
    assert!(eventually(WAIT, || async { all.count() >= n }).await);
    let mut got: Vec<Vec<String>> = all.bodies().iter().map(actions).collect();
    // Bundles travel in parallel: compare as sets of bundles.
    got.sort();
    let mut want: Vec<Vec<String>> = expected
        .iter()
        .map(|v| v.iter().map(|s| s.to_string()).collect())
        .collect();
    want.sort();
    assert_eq!(got, want);

    let bodies = all.bodies();
    let find = |action: &str| {
        bodies
            .iter()
            .flat_map(|b| b["Notifications"].as_array().unwrap().clone())
            .find(|n| n["Action"] == action)
            .unwrap()
    };
    let changed = find("KohdeOsapuoliMuokkaa");
    assert_eq!(changed["ReferenceId"], plain.apartment_id.to_string());
    assert_eq!(changed["ReferenceSecondaryId"], plain.party_id.to_string());
    assert_eq!(changed["ReferenceData"], plain.connection_id.to_string());
    assert_eq!(
        find("OsapuoliTietoMuokkaa")["ReferenceId"],
        plain.party_id.to_string()
    );
    assert_eq!(
        find("UutinenUusi")["ReferenceData"],
        plain.building_id.to_string()
    );

    assert!(eventually(WAIT, || async { news_only.count() >= 1 }).await);
    assert!(
        !eventually(Duration::from_millis(200), || async {
            news_only.count() > 1
        })
        .await
    );
    assert_eq!(actions(&news_only.bodies()[0]), ["UutinenUusi"]);

    for (method, path, body) in [
        (
            Method::PATCH,
            "accounts/demo/parties/1",
            json!({"Sukunimi": "X"}),
        ),
        (
            Method::PATCH,
            "accounts/eiole/parties/1",
            json!({"Sukunimi": "X"}),
        ),
        (Method::PATCH, "accounts/demo/connections/1", json!({})),
    ] {
        assert_eq!(
            t.admin(method, path, Some(body)).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for body in [
        json!({"KohdeId": 1, "Etunimi": "A", "Sukunimi": "B", "Alkaa": "2026-01-01"}),
        json!({"KohdeId": plain.apartment_id, "Etunimi": "A", "Sukunimi": "B"}),
        json!({"KohdeId": plain.apartment_id, "Etunimi": "A", "Sukunimi": "B", "Alkaa": "eilen"}),
    ] {
        let (status, _) = t
            .admin(
                Method::POST,
                "accounts/demo/connections",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn reports_change_in_the_ui_uncounted_and_a_change_can_lose_its_webhook() {
    let t = spawn().await;
    let all = Listener::start(&[], 200).await;
    register(&t, &all, json!(["*"])).await;
    let summary = t.sim().summary("demo").unwrap();
    let plain = &summary.residents.plain[0];

    // A report made and moved on in Tampuuri's own UI: webhooks, no counted call.
    let (status, report) = t
        .admin(
            Method::POST,
            "accounts/demo/reports",
            Some(json!({"Otsikko": "Hana vuotaa", "KohdeId": plain.apartment_id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["Tila"], "Avoin");
    let id = report["Id"].as_i64().unwrap();
    for (step, state) in [
        ("vastaanota", "Vastaanotettu"),
        ("kuittaatehdyksi", "Tehty"),
        ("kuittaavalmiiksi", "Valmis"),
    ] {
        let (status, moved) = t
            .admin(
                Method::POST,
                &format!("accounts/demo/reports/{id}/{step}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{step}: {moved}");
        assert_eq!(moved["Tila"], state);
    }
    let (status, _) = t
        .admin(
            Method::POST,
            &format!("accounts/demo/reports/{id}/vastaanota"),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a finished report stays finished"
    );
    let (status, _) = t
        .admin(
            Method::POST,
            &format!("accounts/demo/reports/{id}/poista"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(eventually(WAIT, || async { all.count() >= 4 }).await);
    assert_eq!(
        t.sim().calls().total,
        0,
        "the UI's changes are no API calls"
    );

    // A lost notification: the change is made, nothing is delivered.
    let (status, _) = t
        .admin(
            Method::PATCH,
            &format!("accounts/demo/parties/{}?webhook=false", plain.party_id),
            Some(json!({"Turvakielto": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, party) = t
        .api("demo")
        .get(&format!("osapuolet/{}", plain.party_id))
        .await;
    assert_eq!(party["Turvakielto"], true);
    assert!(
        !eventually(Duration::from_millis(300), || async { all.count() > 4 }).await,
        "no delivery for a lost notification"
    );

    // The breakdown of searches by scope.
    let api = t.api("demo");
    api.all("osapuolet/yhteydet/selaa", json!({})).await;
    api.all(
        "osapuolet/yhteydet/selaa",
        json!({"OsapuoliId": plain.party_id}),
    )
    .await;
    api.all("ilmoitukset/selaa", json!({"KohdeId": plain.apartment_id}))
        .await;
    let calls = t.sim().calls();
    assert!(calls.scope("demo", "POST osapuolet/yhteydet/selaa: account-wide") >= 1);
    assert_eq!(
        calls.scope("demo", "POST osapuolet/yhteydet/selaa: one party"),
        1
    );
    assert_eq!(calls.scope("demo", "POST ilmoitukset/selaa: scoped"), 1);
    assert_eq!(
        calls.get("demo", "POST osapuolet/yhteydet/selaa"),
        calls.scope("demo", "POST osapuolet/yhteydet/selaa: account-wide") + 1
    );
}
