//! Dialects: every preset's paging shape, enum codes (and filters by name or code),
//! deterministic sparse rows and timestamp styles.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use rappu_sim::Dialect;
use rappu_sim::dialect::{Enums, FieldFate, Paging, RowKind, Timestamps};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Api, TestSim, ids, sized_config, spawn};

/// Make `account` speak `dialect`, through the admin route.
pub async fn speak(t: &TestSim, account: &str, dialect: &Dialect) {
    let path = format!("accounts/{account}/dialect");
    let (status, body) = t
        .admin(
            Method::PUT,
            &path,
            Some(serde_json::to_value(dialect).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, now) = t.admin(Method::GET, &path, None).await;
    assert_eq!(serde_json::from_value::<Dialect>(now).unwrap(), *dialect);
}

/// Items, offset, limit and total of a page in either shape; panics on the wrong shape.
pub fn parts(page: &Value, paging: Paging) -> (Vec<Value>, u64, u64, u64) {
    let meta = match paging {
        Paging::Nested => {
            assert!(page.get("Offset").is_none(), "{page}");
            &page["Metadata"]
        }
        Paging::Flat => {
            assert!(page.get("Metadata").is_none(), "{page}");
            page
        }
    };
    let number = |k: &str| meta[k].as_u64().unwrap_or_else(|| panic!("{k}: {page}"));
    let items = page["Items"].as_array().unwrap().clone();
    (items, number("Offset"), number("Limit"), number("Total"))
}

/// Every row of a paged POST search in the dialect's shape.
pub async fn all(api: &Api<'_>, path: &str, body: Value, paging: Paging) -> Vec<Value> {
    let mut rows = Vec::new();
    loop {
        let page = api
            .ok(
                &format!("{path}?Limit=250&Offset={}", rows.len()),
                body.clone(),
            )
            .await;
        let (items, _, _, total) = parts(&page, paging);
        rows.extend(items.iter().cloned());
        if items.is_empty() || rows.len() as u64 >= total {
            return rows;
        }
    }
}

fn seed(t: &TestSim, account: &str) -> u64 {
    t.sim().config().account(account).unwrap().seed
}

#[tokio::test]
async fn every_paging_shape_with_both_query_spellings() {
    let t = crate::helpers::spawn_with(sized_config(&[275])).await;
    let api = t.api("p275");
    let expected = t.sim().summary("p275").unwrap().property_ids();
    for (name, dialect) in Dialect::presets() {
        speak(&t, "p275", &dialect).await;
        for (offset, limit) in [("Offset", "Limit"), ("offset", "limit")] {
            t.sim().reset_calls();
            let mut seen = Vec::new();
            loop {
                let path = format!("kustannuspaikat/selaa?{limit}=250&{offset}={}", seen.len());
                let (status, page) = api.get(&path).await;
                assert_eq!(status, StatusCode::OK, "{name}");
                let (items, at, lim, total) = parts(&page, dialect.paging);
                assert_eq!((at, lim, total), (seen.len() as u64, 250, 275), "{name}");
                seen.extend(ids(&items));
                if seen.len() >= 275 {
                    break;
                }
            }
            assert_eq!(seen, expected, "{name} {offset}");
            let calls = t.sim().calls().get("p275", "GET kustannuspaikat/selaa");
            assert_eq!(calls, 2, "{name}: 275 rows take two calls");
        }
    }
}

#[tokio::test]
async fn enums_go_out_as_names_or_codes_and_filters_take_both() {
    let t = spawn().await;
    let api = t.api("demo");
    let properties = t.sim().summary("demo").unwrap().property_ids();
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        let numbers = dialect.enums == Enums::Numbers;
        let mut unknown_kinds = 0;
        for property in &properties {
            let path = format!("kohteet/{property}/selaa");
            let every = all(&api, &path, json!({}), dialect.paging).await;
            let by_name = all(
                &api,
                &path,
                json!({"KohdeMetatyypit": ["Huoneisto"]}),
                dialect.paging,
            )
            .await;
            let by_code = all(&api, &path, json!({"KohdeMetatyypit": [4]}), dialect.paging).await;
            assert_eq!(ids(&by_name), ids(&by_code), "{name}");
            assert!(!by_name.is_empty());
            for row in &by_name {
                let kind = &row["KohdeMetatyyppi"];
                assert_eq!(
                    *kind,
                    if numbers {
                        json!(4)
                    } else {
                        json!("Huoneisto")
                    }
                );
            }
            let unknown: Vec<&Value> = every
                .iter()
                .filter(|r| r["KohdeMetatyyppi"] == json!(rappu_sim::codes::UNKNOWN_OBJECT_KIND))
                .collect();
            unknown_kinds += unknown.len();
            for row in unknown {
                // A vacant apartment: not selected as an apartment, but readable by id.
                assert!(!ids(&by_name).contains(&row["Id"].as_i64().unwrap()));
                let (_, one) = api.get(&format!("kohteet/{}", row["Id"])).await;
                assert_eq!(one["KohdeMetatyyppi"], row["KohdeMetatyyppi"]);
            }
        }
        assert_eq!(unknown_kinds > 0, numbers, "{name}: unknown object kinds");

        let connections = all(&api, "osapuolet/yhteydet/selaa", json!({}), dialect.paging).await;
        let unknown_roles = connections
            .iter()
            .filter(|c| c["Rooli"] == json!(99))
            .count();
        assert_eq!(unknown_roles > 0, numbers, "{name}: unknown roles");
        let residents = |filter| all(&api, "osapuolet/yhteydet/selaa", filter, dialect.paging);
        let by_name = residents(json!({"Roolit": ["Asukas"]})).await;
        let by_code = residents(json!({"Roolit": [1]})).await;
        assert_eq!(ids(&by_name), ids(&by_code), "{name}");
        let party_kinds: BTreeSet<String> = connections
            .iter()
            .filter_map(|c| c["Osapuoli"].get("Osapuolityyppi"))
            .filter(|k| !k.is_null())
            .map(Value::to_string)
            .collect();
        let expected: BTreeSet<String> = if numbers {
            ["0", "1"].map(String::from).into()
        } else {
            ["\"Henkilo\"", "\"Yritys\""].map(String::from).into()
        };
        assert_eq!(party_kinds, expected, "{name}");

        let open_by_name = all(
            &api,
            "ilmoitukset/selaa",
            json!({"Tilat": ["Avoin"]}),
            dialect.paging,
        )
        .await;
        let open_by_code = all(
            &api,
            "ilmoitukset/selaa",
            json!({"Tilat": [1]}),
            dialect.paging,
        )
        .await;
        assert_eq!(ids(&open_by_name), ids(&open_by_code), "{name}");
        assert!(!open_by_name.is_empty());
        let reports = all(&api, "ilmoitukset/selaa", json!({}), dialect.paging).await;
        for r in &reports {
            let states: Vec<&Value> = std::iter::once(&r["Tila"])
                .chain(
                    r["Tilahistoria"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|h| &h["Tila"]),
                )
                .collect();
            for state in states {
                assert_eq!(state.is_number(), numbers, "{name}: {state}");
            }
        }
    }
}

/// The fields of `row` a dialect left out, and the fields it nulled.
fn thinned(row: &Value, full: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let row = row.as_object().unwrap();
    let full = full.as_object().unwrap();
    let absent = full
        .keys()
        .filter(|k| !row.contains_key(*k))
        .cloned()
        .collect();
    let nulled = row
        .iter()
        .filter(|(k, v)| v.is_null() && !full[*k].is_null())
        .map(|(k, _)| k.clone())
        .collect();
    (absent, nulled)
}

#[tokio::test]
async fn sparse_rows_lack_the_same_fields_on_every_read() {
    let t = spawn().await;
    let api = t.api("demo");
    let seed = seed(&t, "demo");
    let property = t.sim().summary("demo").unwrap().properties[0].id;
    let path = format!("kohteet/{property}/selaa");
    speak(&t, "demo", &Dialect::classic()).await;
    let full_objects = all(&api, &path, json!({}), Paging::Nested).await;
    let full_connections = all(
        &api,
        "osapuolet/yhteydet/selaa",
        json!({"KohdeId": property, "SisallytaAlakohteet": true}),
        Paging::Nested,
    )
    .await;
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        let objects = all(&api, &path, json!({}), dialect.paging).await;
        assert_eq!(
            objects,
            all(&api, &path, json!({}), dialect.paging).await,
            "{name}"
        );
        let connections = all(
            &api,
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": property, "SisallytaAlakohteet": true}),
            dialect.paging,
        )
        .await;
        let mut dropped = 0;
        for (rows, full, kind) in [
            (&objects, &full_objects, RowKind::Object),
            (&connections, &full_connections, RowKind::Connection),
        ] {
            assert_eq!(ids(rows), ids(full), "{name}");
            for (row, whole) in rows.iter().zip(full) {
                let id = row["Id"].as_i64().unwrap();
                let (absent, nulled) = thinned(row, whole);
                for field in whole.as_object().unwrap().keys() {
                    let fate = dialect.field_fate(seed, kind, id, field);
                    assert_eq!(
                        absent.contains(field),
                        fate == FieldFate::Absent,
                        "{name} {id} {field}"
                    );
                    if nulled.contains(field) {
                        assert_eq!(fate, FieldFate::Null, "{name} {id} {field}");
                    }
                }
                for field in kind.protected() {
                    assert!(
                        row.get(*field).is_some_and(|v| !v.is_null()),
                        "{name} {id} {field}"
                    );
                }
                dropped += absent.len();
            }
        }
        assert_eq!(dropped > 0, dialect.drop_optional > 0.0, "{name}");
    }
}

#[tokio::test]
async fn timestamps_and_dates_follow_the_style() {
    let t = spawn().await;
    let api = t.api("demo");
    let plain = t.sim().summary("demo").unwrap().residents.plain[0].clone();
    let snapshot = t.sim().snapshot("demo").unwrap();
    let conn = snapshot
        .connections
        .iter()
        .find(|c| c.id == plain.connection_id)
        .unwrap()
        .clone();
    let seed = seed(&t, "demo");
    for (name, dialect) in Dialect::presets() {
        // A report whose history this dialect does not leave out or null.
        let report = snapshot
            .reports
            .iter()
            .find(|r| {
                r.tilahistoria.len() > 1
                    && dialect.field_fate(seed, RowKind::Report, r.id, "Tilahistoria")
                        == FieldFate::Present
            })
            .unwrap();
        speak(&t, "demo", &dialect).await;
        let connections = all(
            &api,
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": plain.apartment_id}),
            dialect.paging,
        )
        .await;
        let row = connections
            .iter()
            .find(|c| c["Id"] == json!(conn.id))
            .unwrap();
        let (_, r) = api.get(&format!("ilmoitukset/{}", report.id)).await;
        let style = dialect.timestamps;
        if let Some(alkaa) = row.get("Alkaa").filter(|v| !v.is_null()) {
            assert_eq!(
                *alkaa,
                json!(rappu_sim::format_date(conn.alkaa, style)),
                "{name}"
            );
            if style != Timestamps::Offset {
                assert!(
                    alkaa.as_str().unwrap().ends_with("T00:00:00"),
                    "{name}: {alkaa}"
                );
            }
        }
        let aika = &r["Tilahistoria"][1]["Aika"];
        assert_eq!(
            *aika,
            json!(rappu_sim::format_timestamp(
                &report.tilahistoria[1].aika,
                style
            )),
            "{name}"
        );
        let text = aika.as_str().unwrap();
        match style {
            Timestamps::Offset => {
                assert!(text.ends_with(":00+02:00") || text.ends_with(":00+03:00"))
            }
            Timestamps::SevenDigits => {
                let (_, fraction) = text.split_once('.').unwrap();
                assert_eq!(fraction.len(), "1824125+03:00".len(), "{name}: {text}");
            }
            Timestamps::Naive => assert!(!text.contains('+') && text.len() == 19, "{name}: {text}"),
        }
    }
}
