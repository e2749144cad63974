//! The help page routes in every dialect: `ilmoitukset/lisaa` (create, read back, find
//! again without an external id, webhook), `osapuolitiedot/osapuolet/hae`, and accounts
//! without external ids.

use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use rappu_sim::Dialect;
use rappu_sim::dialect::{CreatedId, Enums, FieldFate, ReportFields, RowKind};
use serde_json::{Value, json};

use crate::dialects::{all, parts, speak};
use crate::helpers::{Listener, TestSim, eventually, ids, spawn};
use crate::webhooks::{WAIT, register};

/// What a field of report `id` should read in `dialect`: the value, `null`, or absent.
fn expect_field(t: &TestSim, dialect: &Dialect, row: &Value, field: &str, value: &Value) {
    let seed = t.sim().config().account("demo").unwrap().seed;
    let id = row["Id"].as_i64().unwrap();
    match dialect.field_fate(seed, RowKind::Report, id, field) {
        FieldFate::Present => assert_eq!(row[field], *value, "{field}: {row}"),
        FieldFate::Null => assert!(row[field].is_null(), "{field}: {row}"),
        FieldFate::Absent => assert!(row.get(field).is_none(), "{field}: {row}"),
    }
}

fn created_id(dialect: &Dialect, answer: &Value) -> i64 {
    match dialect.created_id {
        CreatedId::Object => answer["Id"].as_i64().unwrap(),
        CreatedId::Bare => answer.as_i64().unwrap(),
    }
}

fn lisaa_body(title: &str, property: i64, apartment: i64, reporter: i64) -> Value {
    json!({
        "Otsikko": title, "TyotehtavanKuvaus": "Keittiön hana tippuu.",
        "KustannuspaikkaId": property, "TilaId": apartment, "HuoneId": 7,
        "Sisaanpaasy": "Yleisavaimella", "Kotielaimet": "Kissa",
        "Kiireellisyys": "Normaali", "Vikaluokka": "LVI",
        "Ilmoittaja": {"OsapuoliId": reporter},
        "Tilaaja": {"Nimi": "Isännöinti Oy", "Puhelin": "09 123 456"},
        "Liitteet": [{"FileName": "hana.jpg", "ContentType": "image/jpeg",
                      "Description": "Hana", "Base64Content": "aGVsbG8="}],
    })
}

#[tokio::test]
async fn lisaa_answers_the_id_and_the_report_can_be_found_again() {
    let t = spawn().await;
    let api = t.api("demo");
    let plain = t.sim().summary("demo").unwrap().residents.plain[0].clone();
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        let before = (Utc::now() - TimeDelta::seconds(2)).to_rfc3339();
        let title = format!("Vuotava hana ({name})");
        let body = lisaa_body(
            &title,
            plain.property_id,
            plain.apartment_id,
            plain.party_id,
        );
        let (status, answer) = api.post("ilmoitukset/lisaa", body).await;
        assert_eq!(status, StatusCode::OK, "{name}: {answer}");
        let id = created_id(&dialect, &answer);
        let after = (Utc::now() + TimeDelta::seconds(2)).to_rfc3339();

        let (status, row) = api.get(&format!("ilmoitukset/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let classic = dialect.report_fields == ReportFields::Classic;
        let numbers = dialect.enums == Enums::Numbers;
        expect_field(&t, &dialect, &row, "Otsikko", &json!(title));
        expect_field(
            &t,
            &dialect,
            &row,
            "TyotehtavanKuvaus",
            &json!("Keittiön hana tippuu."),
        );
        if classic {
            expect_field(
                &t,
                &dialect,
                &row,
                "Kuvaus",
                &json!("Keittiön hana tippuu."),
            );
        } else {
            assert!(row.get("Kuvaus").is_none(), "{name}");
        }
        let entry = if classic {
            json!(true)
        } else {
            json!("Yleisavaimella")
        };
        expect_field(&t, &dialect, &row, "Sisaanpaasy", &entry);
        expect_field(&t, &dialect, &row, "IlmoittajaId", &json!(plain.party_id));
        expect_field(&t, &dialect, &row, "TilaId", &json!(plain.apartment_id));
        expect_field(&t, &dialect, &row, "KohdeId", &json!(plain.apartment_id));
        expect_field(&t, &dialect, &row, "Kiireellisyys", &json!("Normaali"));
        assert_eq!(row["Tila"], if numbers { json!(1) } else { json!("Avoin") });

        let stored = t.sim().snapshot("demo").unwrap();
        let stored = stored.reports.iter().find(|r| r.id == id).unwrap();
        assert_eq!(stored.kuvaus.as_deref(), Some("Keittiön hana tippuu."));
        assert!(stored.ilmoittajan_nimi.is_some());
        assert_eq!(stored.details.huone_id, Some(7));
        let tilaaja = stored.details.tilaaja.as_ref().unwrap();
        assert_eq!(tilaaja.nimi.as_deref(), Some("Isännöinti Oy"));
        assert_eq!(stored.liitteet[0].content, b"hello");
        assert_eq!(stored.liitteet[0].kuvaus.as_deref(), Some("Hana"));
        assert_eq!(stored.liitteet[0].tyyppi, "image/jpeg");

        // Found again by reporter, place and creation window: no external id needed.
        let search = |filter: Value| all(&api, "ilmoitukset/selaa", filter, dialect.paging);
        let window = json!({"IlmoittajaId": plain.party_id, "TilaId": plain.apartment_id,
                            "LuotuAlkaen": before, "LuotuPaattyen": after});
        let found = search(window).await;
        assert!(ids(&found).contains(&id), "{name}");
        assert!(found.len() <= 3, "{name}: only this test's reports");
        let by_place = search(json!({"KohdeId": plain.property_id, "LuotuAlkaen": before})).await;
        assert!(ids(&by_place).contains(&id), "{name}");
        let later = (Utc::now() + TimeDelta::hours(1)).to_rfc3339();
        let none = search(json!({"IlmoittajaId": plain.party_id, "LuotuAlkaen": later})).await;
        assert!(none.is_empty(), "{name}");
        let (status, _) = api
            .post("ilmoitukset/selaa", json!({"LuotuAlkaen": "eilen"}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
    }
}

#[tokio::test]
async fn lisaa_validates_the_help_model() {
    let t = spawn().await;
    let api = t.api("demo");
    let s = t.sim().summary("demo").unwrap();
    let plain = s.residents.plain[0].clone();
    let other_property = s.properties[1].id;
    let good = lisaa_body("Ovi", plain.property_id, plain.apartment_id, plain.party_id);
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let before = t.sim().snapshot("demo").unwrap().reports.len();
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        for bad in [
            without("Otsikko"),
            with("Otsikko", json!(" ")),
            with("Otsikko", json!("x".repeat(256))),
            without("TyotehtavanKuvaus"),
            with("TyotehtavanKuvaus", json!("x".repeat(8001))),
            without("KustannuspaikkaId"),
            with("KustannuspaikkaId", json!(plain.apartment_id)),
            with("TilaId", json!(other_property)),
            with("Sisaanpaasy", json!(true)),
            with("Vikaluokka", json!("x".repeat(256))),
            with("Ilmoittaja", json!({"OsapuoliId": 999_999})),
            with("ParentId", json!(1)),
            with(
                "Liitteet",
                json!([{"FileName": "a.jpg", "Base64Content": "!!"}]),
            ),
            with("Liitteet", json!([{"Base64Content": "aGVsbG8="}])),
        ] {
            let (status, body) = api.post("ilmoitukset/lisaa", bad.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {bad}");
            assert!(body["Message"].is_string(), "{name}");
        }
    }
    assert_eq!(t.sim().snapshot("demo").unwrap().reports.len(), before);
    let (status, _) = api
        .post("ilmoitukset/lisaa", with("Otsikko", json!("x".repeat(255))))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn lisaa_sends_ilmoitus_uusi() {
    let t = spawn().await;
    let listener = Listener::start(&[], 200).await;
    register(&t, &listener, json!(["IlmoitusUusi"])).await;
    let plain = t.sim().summary("demo").unwrap().residents.plain[0].clone();
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        let body = lisaa_body(name, plain.property_id, plain.apartment_id, plain.party_id);
        let (_, answer) = t.api("demo").post("ilmoitukset/lisaa", body).await;
        let id = created_id(&dialect, &answer).to_string();
        let arrived = eventually(WAIT, || async {
            listener
                .bodies()
                .iter()
                .any(|b| b["Notifications"][0]["ReferenceId"] == json!(id))
        })
        .await;
        assert!(arrived, "{name}");
        let bodies = listener.bodies();
        let bundle = bodies
            .iter()
            .find(|b| b["Notifications"][0]["ReferenceId"] == json!(id));
        let n = &bundle.unwrap()["Notifications"][0];
        assert_eq!(n["Action"], "IlmoitusUusi");
        assert_eq!(n["ReferenceData"], plain.apartment_id.to_string());
    }
}

#[tokio::test]
async fn osapuolet_hae_fetches_many_parties_in_one_call() {
    let t = spawn().await;
    let api = t.api("demo");
    let s = t.sim().summary("demo").unwrap();
    let plain = s.residents.plain[0].party_id;
    let archived = s.residents.archived[0].party_id;
    let company = s.maintenance_companies[0];
    let snapshot = t.sim().snapshot("demo").unwrap();
    let seed = t.sim().config().account("demo").unwrap().seed;
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        t.sim().reset_calls();
        let body = json!({"OsapuoliIdt": [plain, archived, 999_999, company, plain],
                          "Metanimet": ["EI_OLE"], "ParametriIdt": [1]});
        let (status, rows) = api.post("osapuolitiedot/osapuolet/hae", body).await;
        assert_eq!(status, StatusCode::OK, "{name}: {rows}");
        let rows = rows.as_array().unwrap().clone();
        assert_eq!(
            ids(&rows),
            vec![plain, company],
            "{name}: archived and unknown absent"
        );
        let calls = t.sim().calls();
        assert_eq!(calls.get("demo", "POST osapuolitiedot/osapuolet/hae"), 1);
        assert_eq!(calls.account_total("demo"), 1);
        for row in &rows {
            let id = row["Id"].as_i64().unwrap();
            let party = snapshot.party(id).unwrap();
            for absent in ["Etunimi", "Sukunimi", "Matkapuhelin", "Arkistoitu"] {
                assert!(row.get(absent).is_none(), "{name}: {absent}");
            }
            let kind = match (dialect.enums, id == company) {
                (Enums::Names, false) => json!("Henkilo"),
                (Enums::Names, true) => json!("Yritys"),
                (Enums::Numbers, false) => json!(0),
                (Enums::Numbers, true) => json!(1),
            };
            let company_id = if id == company {
                json!(id)
            } else {
                Value::Null
            };
            for (field, value) in [
                ("Nimi", json!(party.nimi)),
                ("Turvakielto", json!(party.turvakielto)),
                ("Osapuolityyppi", kind),
                ("YritysId", company_id),
                ("Parametrit", json!([])),
            ] {
                match dialect.field_fate(seed, RowKind::Party, id, field) {
                    FieldFate::Present => assert_eq!(row[field], value, "{name} {field}"),
                    FieldFate::Null => assert!(row[field].is_null(), "{name} {field}"),
                    FieldFate::Absent => assert!(row.get(field).is_none(), "{name} {field}"),
                }
            }
        }
        let (status, _) = api.post("osapuolitiedot/osapuolet/hae", json!({})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        let (status, empty) = api
            .post("osapuolitiedot/osapuolet/hae", json!({"OsapuoliIdt": []}))
            .await;
        assert_eq!((status, empty), (StatusCode::OK, json!([])), "{name}");
    }
}

#[tokio::test]
async fn accounts_without_external_ids_ignore_them() {
    let t = spawn().await;
    let api = t.api("demo");
    let plain = t.sim().summary("demo").unwrap().residents.plain[0].clone();
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        let tag = format!("0193f6d2-{name}");
        let body =
            json!({"Otsikko": "Ovi", "KohdeId": plain.apartment_id, "UlkoinenTunniste": tag});
        let (status, created) = api.post("ilmoitukset/base64", body).await;
        assert_eq!(status, StatusCode::CREATED, "{name}");
        let id = created["Id"].as_i64().unwrap();
        let (_, row) = api.get(&format!("ilmoitukset/{id}")).await;
        let stored = t.sim().snapshot("demo").unwrap();
        let stored = stored.reports.iter().find(|r| r.id == id).unwrap().clone();
        let page = api
            .ok(
                "ilmoitukset/selaa?limit=1",
                json!({"UlkoinenTunniste": tag}),
            )
            .await;
        let (_, _, _, total) = parts(&page, dialect.paging);
        let everything = api.ok("ilmoitukset/selaa?limit=1", json!({})).await;
        let (_, _, _, all_total) = parts(&everything, dialect.paging);
        if dialect.external_id {
            assert_eq!(stored.ulkoinen_tunniste.as_deref(), Some(tag.as_str()));
            expect_field(&t, &dialect, &row, "UlkoinenTunniste", &json!(tag));
            assert_eq!(total, 1, "{name}");
        } else {
            assert_eq!(stored.ulkoinen_tunniste, None, "{name}: not stored");
            assert!(
                row.get("UlkoinenTunniste").is_none(),
                "{name}: never returned"
            );
            assert_eq!(total, all_total, "{name}: the filter is ignored");
            let generated = all(&api, "ilmoitukset/selaa", json!({}), dialect.paging).await;
            assert!(
                generated
                    .iter()
                    .all(|r| r.get("UlkoinenTunniste").is_none())
            );
        }
    }
}
