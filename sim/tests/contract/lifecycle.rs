//! The fault-report lifecycle: create, legal and illegal transitions, validation,
//! follow-ups and the external id.

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::helpers::{Api, TestSim, spawn};

const STEPS: [&str; 4] = [
    "vastaanota",
    "odotukseen",
    "kuittaatehdyksi",
    "kuittaavalmiiksi",
];

fn step_body(step: &str) -> Value {
    match step {
        "odotukseen" => json!({"Syy": "Odotetaan varaosaa", "IlmoitaOsallisille": true}),
        "kuittaatehdyksi" => {
            json!({"Yhteenveto": "Tiiviste vaihdettu.", "IlmoitaOsallisille": true})
        }
        _ => json!({}),
    }
}

fn apartment(t: &TestSim) -> (i64, i64) {
    let s = t.sim().summary("demo").unwrap();
    (
        s.residents.plain[0].apartment_id,
        s.residents.plain[0].party_id,
    )
}

async fn create(api: &Api<'_>, kohde: i64, extra: Value) -> Value {
    let mut body =
        json!({"Otsikko": "Keittiön hana vuotaa", "Kuvaus": "Tippuu.", "KohdeId": kohde});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, report) = api.post("ilmoitukset/base64", body).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    report
}

/// A new report moved to `state` through the legal path.
async fn report_in(api: &Api<'_>, kohde: i64, state: &str) -> i64 {
    let id = create(api, kohde, json!({})).await["Id"].as_i64().unwrap();
    let path: &[&str] = match state {
        "Avoin" => &[],
        "Vastaanotettu" => &["vastaanota"],
        "Odottaa" => &["vastaanota", "odotukseen"],
        "Tehty" => &["vastaanota", "kuittaatehdyksi"],
        _ => &["vastaanota", "kuittaatehdyksi", "kuittaavalmiiksi"],
    };
    for step in path {
        api.ok(&format!("ilmoitukset/{id}/{step}"), step_body(step))
            .await;
    }
    id
}

#[tokio::test]
async fn create_stores_fields_attachments_and_external_id() {
    let t = spawn().await;
    let api = t.api("demo");
    let (kohde, reporter) = apartment(&t);
    let photo = vec![7u8; 1234];
    let external = uuid::Uuid::new_v4().to_string();
    let report = create(
        &api,
        kohde,
        json!({
            "IlmoittajaId": reporter, "Sisaanpaasy": true, "Kotielaimet": "Kissa",
            "UlkoinenTunniste": external, "Sijainti": "Keittiö",
            "Liitteet": [{"Tiedostonimi": "hana.jpg", "Tyyppi": "image/jpeg",
                          "Sisalto": base64::engine::general_purpose::STANDARD.encode(&photo)}],
            "TuntematonKentta": 1
        }),
    )
    .await;
    let summary = t.sim().summary("demo").unwrap();
    assert_eq!(report["Tila"], "Avoin");
    assert_eq!(report["Aihe"], "Huoneisto");
    assert_eq!(
        report["TyonsuorittajaId"],
        summary.properties[0].maintenance_company_id.unwrap()
    );
    assert_eq!(report["KustannuspaikkaId"], summary.properties[0].id);
    assert_eq!(report["Liitteet"][0]["Koko"], 1234);
    assert_eq!(report["Tilahistoria"].as_array().unwrap().len(), 1);
    assert_eq!(report["UlkoinenTunniste"], external.as_str());
    let id = report["Id"].as_i64().unwrap();
    let (status, fetched) = api.get(&format!("ilmoitukset/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, report);

    let found = api
        .all("ilmoitukset/selaa", json!({"UlkoinenTunniste": external}))
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["Id"], id);
    let newest = api.ok("ilmoitukset/selaa?limit=1", json!({})).await;
    assert_eq!(newest["Items"][0]["Id"], id, "newest Luotu first");
    let mine = api
        .all(
            "ilmoitukset/selaa",
            json!({"IlmoittajaId": reporter, "Tilat": ["Avoin"]}),
        )
        .await;
    assert!(mine.iter().any(|r| r["Id"] == id));
}

#[tokio::test]
async fn every_legal_path_and_the_history() {
    let t = spawn().await;
    let api = t.api("demo");
    let (kohde, _) = apartment(&t);
    let id = create(&api, kohde, json!({})).await["Id"].as_i64().unwrap();
    for (step, state) in [
        ("vastaanota", "Vastaanotettu"),
        ("odotukseen", "Odottaa"),
        ("vastaanota", "Vastaanotettu"),
        ("odotukseen", "Odottaa"),
        ("kuittaatehdyksi", "Tehty"),
        ("kuittaavalmiiksi", "Valmis"),
    ] {
        let r = api
            .ok(&format!("ilmoitukset/{id}/{step}"), step_body(step))
            .await;
        assert_eq!(r["Tila"], state, "{step}");
    }
    let (_, r) = api.get(&format!("ilmoitukset/{id}")).await;
    let history: Vec<&str> = r["Tilahistoria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["Tila"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        [
            "Avoin",
            "Vastaanotettu",
            "Odottaa",
            "Vastaanotettu",
            "Odottaa",
            "Tehty",
            "Valmis"
        ]
    );
    assert_eq!(r["Tilahistoria"][2]["Selite"], "Odotetaan varaosaa");
    assert_eq!(r["Toimenpiteet"][0]["Yhteenveto"], "Tiiviste vaihdettu.");
}

#[tokio::test]
async fn illegal_transitions_answer_409() {
    let t = spawn().await;
    let api = t.api("demo");
    let (kohde, _) = apartment(&t);
    let allowed = |state: &str, step: &str| {
        matches!(
            (state, step),
            ("Avoin" | "Odottaa", "vastaanota")
                | ("Vastaanotettu", "odotukseen")
                | ("Vastaanotettu" | "Odottaa", "kuittaatehdyksi")
                | ("Tehty", "kuittaavalmiiksi")
        )
    };
    for state in ["Avoin", "Vastaanotettu", "Odottaa", "Tehty", "Valmis"] {
        for step in STEPS {
            let id = report_in(&api, kohde, state).await;
            let (status, body) = api
                .post(&format!("ilmoitukset/{id}/{step}"), step_body(step))
                .await;
            if allowed(state, step) {
                assert_eq!(status, StatusCode::OK, "{state} {step}: {body}");
            } else {
                assert_eq!(status, StatusCode::CONFLICT, "{state} {step}: {body}");
                assert!(body["Message"].is_string());
                let (_, after) = api.get(&format!("ilmoitukset/{id}")).await;
                assert_eq!(after["Tila"], state, "unchanged after 409");
            }
        }
    }
    for step in STEPS {
        let (status, _) = api
            .post(&format!("ilmoitukset/987654/{step}"), step_body(step))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(api.get("ilmoitukset/987654").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn validation_answers_400() {
    let t = spawn().await;
    let api = t.api("demo");
    let (kohde, _) = apartment(&t);
    let id = report_in(&api, kohde, "Vastaanotettu").await;
    for body in [json!({}), json!({"Syy": "  "}), json!({"Syy": null})] {
        let (status, _) = api
            .post(&format!("ilmoitukset/{id}/odotukseen"), body)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (_, r) = api.get(&format!("ilmoitukset/{id}")).await;
    assert_eq!(r["Tila"], "Vastaanotettu");

    let bad = [
        json!({"KohdeId": kohde}),
        json!({"Otsikko": "", "KohdeId": kohde}),
        json!({"Otsikko": "Vika"}),
        json!({"Otsikko": "Vika", "KohdeId": 42}),
        json!({"Otsikko": "Vika", "KohdeId": "abc"}),
        json!({"Otsikko": "Vika", "KohdeId": kohde, "Aihe": "Kuu"}),
        json!({"Otsikko": "Vika", "KohdeId": kohde, "IlmoittajaId": 1}),
        json!({"Otsikko": "Vika", "KohdeId": kohde,
               "Liitteet": [{"Tiedostonimi": "a.jpg", "Sisalto": "ei base64 !!"}]}),
        json!({"Otsikko": "Vika", "KohdeId": kohde, "Liitteet": [{"Tiedostonimi": "a.jpg"}]}),
        json!([1, 2]),
    ];
    for body in bad {
        let (status, answer) = api.post("ilmoitukset/base64", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["Message"].is_string());
    }
    for raw in ["", "{", "\"x\"", "{\"Otsikko\": 5}"] {
        let (status, _) = api.post_raw("ilmoitukset/base64", raw).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{raw}");
    }
}

#[tokio::test]
async fn follow_up_blocks_completion_until_done() {
    let t = spawn().await;
    let api = t.api("demo");
    let (kohde, _) = apartment(&t);
    let parent = report_in(&api, kohde, "Vastaanotettu").await;
    let (status, child) = api
        .post(
            &format!("ilmoitukset/{parent}/jatkoilmoitus"),
            json!({"Otsikko": "Putkimies tarvitaan"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    let child = child["Id"].as_i64().unwrap();
    let (_, c) = api.get(&format!("ilmoitukset/{child}")).await;
    assert_eq!(c["YlaIlmoitusId"], parent);
    assert_eq!(c["KohdeId"], kohde);
    assert_eq!(c["Tila"], "Avoin");
    let (_, p) = api.get(&format!("ilmoitukset/{parent}")).await;
    assert_eq!(p["Kasitelty"], true);

    api.ok(
        &format!("ilmoitukset/{parent}/kuittaatehdyksi"),
        step_body("kuittaatehdyksi"),
    )
    .await;
    let (status, _) = api
        .post(&format!("ilmoitukset/{parent}/kuittaavalmiiksi"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "open follow-up blocks completion"
    );
    api.ok(&format!("ilmoitukset/{child}/vastaanota"), json!({}))
        .await;
    api.ok(&format!("ilmoitukset/{child}/kuittaatehdyksi"), json!({}))
        .await;
    let done = api
        .ok(&format!("ilmoitukset/{parent}/kuittaavalmiiksi"), json!({}))
        .await;
    assert_eq!(done["Tila"], "Valmis");

    let top = api
        .all(
            "ilmoitukset/selaa",
            json!({"VainPäätasonIlmoitukset": true, "KohdeId": kohde}),
        )
        .await;
    assert!(top.iter().any(|r| r["Id"] == parent));
    assert!(top.iter().all(|r| r["YlaIlmoitusId"].is_null()));
    let all = api
        .all("ilmoitukset/selaa", json!({"KohdeId": kohde}))
        .await;
    assert!(all.iter().any(|r| r["Id"] == child));

    let open = report_in(&api, kohde, "Avoin").await;
    let (status, _) = api
        .post(
            &format!("ilmoitukset/{open}/jatkoilmoitus"),
            json!({"Otsikko": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = api
        .post("ilmoitukset/987654/jatkoilmoitus", json!({"Otsikko": "x"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
