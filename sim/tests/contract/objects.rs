//! Objects, parties, connections and announcements; unknown fields; deterministic data.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ids, spawn, spawn_with, test_config};

fn assert_extras(v: &Value, what: &str) {
    for field in ["Muutettu", "SisainenKoodi", "Laajennus"] {
        assert!(v.get(field).is_some(), "{what} lacks {field}: {v}");
    }
}

#[tokio::test]
async fn object_tree_and_descendant_filter() {
    let t = spawn().await;
    let api = t.api("demo");
    let summary = t.sim().summary("demo").unwrap();
    let property = &summary.properties[0];
    let (status, root) = api.get(&format!("kohteet/{}", property.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(root["KohdeMetatyyppi"], "Kustannuspaikka");
    assert_eq!(root["YlaKohdeId"], Value::Null);
    assert_eq!(root["KustannuspaikkaId"], property.id);

    let all = api
        .all(&format!("kohteet/{}/selaa", property.id), json!({}))
        .await;
    let by_id: HashMap<i64, &Value> = all.iter().map(|o| (o["Id"].as_i64().unwrap(), o)).collect();
    let mut sorted = ids(&all);
    sorted.sort_unstable();
    assert_eq!(ids(&all), sorted, "ordered by Id");
    for o in &all {
        assert_eq!(o["KustannuspaikkaId"], property.id);
        // Walking up reaches the property: every row is a descendant.
        let mut parent = o["YlaKohdeId"].as_i64().unwrap();
        while parent != property.id {
            parent = by_id[&parent]["YlaKohdeId"].as_i64().unwrap();
        }
        if o["KohdeMetatyyppi"] == "Huoneisto" {
            assert!(
                o["Porras"].is_string() && o["Kerros"].is_i64() && o["Huoneistonumero"].is_i64()
            );
        } else if o["KohdeMetatyyppi"] == "Rakennus" {
            assert_eq!(o["Porras"], Value::Null);
        }
    }
    let apartments = api
        .all(
            &format!("kohteet/{}/selaa", property.id),
            json!({"KohdeMetatyypit": ["Huoneisto"]}),
        )
        .await;
    let expected: usize = property
        .buildings
        .iter()
        .flat_map(|b| &b.staircases)
        .map(|s| s.apartments)
        .sum();
    assert_eq!(apartments.len(), expected);
    assert!(
        apartments
            .iter()
            .all(|a| a["KohdeMetatyyppi"] == "Huoneisto")
    );

    let stair = &property.buildings[0].staircases[0];
    let in_stair = api
        .all(
            &format!("kohteet/{}/selaa", stair.id),
            json!({"KohdeMetatyypit": []}),
        )
        .await;
    assert_eq!(in_stair.len(), stair.apartments);
    assert!(
        in_stair
            .iter()
            .all(|a| a["Porras"] == stair.letter.as_str())
    );
    let (_, kinds) = api
        .post(
            &format!("kohteet/{}/selaa", property.id),
            json!({"KohdeMetatyypit": ["Porras", "Rakennus"]}),
        )
        .await;
    assert!(
        kinds["Items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["KohdeMetatyyppi"] == "Porras" || o["KohdeMetatyyppi"] == "Rakennus")
    );

    assert_eq!(api.get("kohteet/999999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.post("kohteet/999999/selaa", json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("kohteet/abc").await.0, StatusCode::BAD_REQUEST);
    let (status, body) = api
        .post_raw(&format!("kohteet/{}/selaa", property.id), "{nope")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["Message"].is_string());
}

#[tokio::test]
async fn connections_with_and_without_descendants() {
    let t = spawn().await;
    let api = t.api("demo");
    let summary = t.sim().summary("demo").unwrap();
    let property = &summary.properties[0];
    let stair = &property.buildings[0].staircases[0];

    let own = api
        .all("osapuolet/yhteydet/selaa", json!({"KohdeId": property.id}))
        .await;
    assert!(!own.is_empty());
    for c in &own {
        assert_eq!(c["KohdeId"], property.id);
        let role = c["Rooli"].as_str().unwrap();
        assert!(
            ["Isannoitsija", "Huoltoyhtio", "HallituksenPuheenjohtaja"].contains(&role),
            "{role}"
        );
        assert!(c["Osapuoli"]["Id"].as_i64().is_some());
        assert_extras(c, "connection");
        assert_extras(&c["Osapuoli"], "party");
    }
    let on_stair = api
        .all("osapuolet/yhteydet/selaa", json!({"KohdeId": stair.id}))
        .await;
    assert!(
        on_stair.is_empty(),
        "nothing attaches to a staircase itself"
    );
    let below = api
        .all(
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": stair.id, "SisallytaAlakohteet": true}),
        )
        .await;
    assert!(!below.is_empty());
    let apartments: Vec<i64> = ids(&api
        .all(&format!("kohteet/{}/selaa", stair.id), json!({}))
        .await);
    assert!(
        below
            .iter()
            .all(|c| apartments.contains(&c["KohdeId"].as_i64().unwrap()))
    );
    let mut sorted = ids(&below);
    sorted.sort_unstable();
    assert_eq!(ids(&below), sorted, "ordered by Id");

    let everything = api
        .all(
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": property.id, "SisallytaAlakohteet": true}),
        )
        .await;
    assert!(everything.len() > below.len() + own.len() - 1);
    let residents = api
        .all(
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": property.id, "SisallytaAlakohteet": true, "Roolit": ["Asukas"]}),
        )
        .await;
    assert!(residents.iter().all(|c| c["Rooli"] == "Asukas"));
    let maintenance = api
        .all(
            "osapuolet/yhteydet/selaa",
            json!({"KohdeId": property.id, "Roolit": ["Huoltoyhtio"]}),
        )
        .await;
    assert_eq!(maintenance.len(), 1);
    let company = &maintenance[0]["Osapuoli"];
    assert_eq!(company["Id"], property.maintenance_company_id.unwrap());
    assert_eq!(company["Osapuolityyppi"], "Yritys");
    assert!(company["Puhelin"].as_str().unwrap().starts_with("020 "));

    let turva = &summary.residents.turvakielto[0];
    let (status, party) = api.get(&format!("osapuolet/{}", turva.party_id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(party["Turvakielto"], true, "the API user sees everything");
    assert_eq!(api.get("osapuolet/1").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.post("osapuolet/yhteydet/selaa", json!({"KohdeId": 1}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.post("osapuolet/yhteydet/selaa", json!({"KohdeId": "x"}))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn news_newest_first_with_ancestors() {
    let t = spawn().await;
    let api = t.api("demo");
    let summary = t.sim().summary("demo").unwrap();
    let plain = &summary.residents.plain[0];
    let lineage = [
        plain.apartment_id,
        plain.staircase_id,
        plain.building_id,
        plain.property_id,
    ];
    let news = api
        .all("uutiset/selaa", json!({"KohdeId": plain.apartment_id}))
        .await;
    assert!(news.len() >= 3);
    for n in &news {
        assert!(lineage.contains(&n["KohdeId"].as_i64().unwrap()), "{n}");
        assert_extras(n, "announcement");
    }
    assert!(
        news.iter().any(|n| n["KohdeId"] == plain.property_id),
        "property news inherited"
    );
    assert!(
        news.iter().any(|n| n["VoimassaAsti"].is_null()),
        "one with no end"
    );
    let published: Vec<chrono::DateTime<chrono::FixedOffset>> = news
        .iter()
        .map(|n| chrono::DateTime::parse_from_rfc3339(n["Julkaistu"].as_str().unwrap()).unwrap())
        .collect();
    assert!(published.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(
        api.post("uutiset/selaa", json!({"KohdeId": 5})).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_object_carries_unknown_fields() {
    let t = spawn().await;
    let api = t.api("demo");
    let (_, page) = api.get("kustannuspaikat/selaa").await;
    assert!(
        page["Metadata"].get("Muutettu").is_none(),
        "paging metadata is exempt"
    );
    assert_extras(&page["Items"][0], "object");
    let (_, reports) = api.post("ilmoitukset/selaa", json!({})).await;
    let report = &reports["Items"][0];
    assert_extras(report, "report");
    assert_extras(&report["Tilahistoria"][0], "history row");
    let done = reports["Items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| !r["Toimenpiteet"].as_array().unwrap().is_empty())
        .unwrap();
    assert_extras(&done["Toimenpiteet"][0], "action");
}

#[tokio::test]
async fn same_seed_same_data() {
    let a = spawn_with(test_config()).await;
    let b = spawn_with(test_config()).await;
    let property = a.sim().summary("demo").unwrap().properties[0].id;
    for (path, body) in [
        ("kustannuspaikat/selaa?limit=250", None),
        ("osapuolet/yhteydet/selaa?limit=250", Some(json!({}))),
        ("uutiset/selaa?limit=250", Some(json!({}))),
        ("ilmoitukset/selaa?limit=250", Some(json!({}))),
        (
            &format!("kohteet/{property}/selaa?limit=250") as &str,
            Some(json!({})),
        ),
    ] {
        let (x, y) = match body {
            None => (
                a.api("demo").get(path).await.1,
                b.api("demo").get(path).await.1,
            ),
            Some(body) => (
                a.api("demo").post(path, body.clone()).await.1,
                b.api("demo").post(path, body).await.1,
            ),
        };
        assert_eq!(x, y, "{path}");
    }
    assert_eq!(a.sim().snapshot("toinen"), b.sim().snapshot("toinen"));
    assert_ne!(a.sim().snapshot("demo"), a.sim().snapshot("toinen"));
}

#[tokio::test]
async fn persons_found_by_search_word_and_a_second_home_connected() {
    let t = spawn().await;
    let api = t.api("demo");
    let summary = t.sim().summary("demo").unwrap();
    let apartment = summary.residents.plain[0].apartment_id;
    let other = summary.residents.plain[1].apartment_id;
    let (status, added) = t
        .admin(
            reqwest::Method::POST,
            "accounts/demo/connections",
            Some(
                json!({"KohdeId": apartment, "Etunimi": "Iida", "Sukunimi": "Haku",
                "Alkaa": "2020-01-01", "Sahkoposti": "Iida.Haku+koti@Example.fi"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let party = added["Osapuoli"]["Id"].as_i64().unwrap();

    // The search word is matched in the name and the email, without regard to case; the rows
    // are whole parties (email included) in the usual paging envelope.
    for word in ["iida.haku%2Bkoti%40example.fi", "HAKU", "Iida"] {
        let (status, page) = api
            .get(&format!("osapuolet/henkilot?Hakusana={word}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{word}");
        let rows = page["Items"].as_array().unwrap();
        let found = rows.iter().find(|p| p["Id"] == party).expect(word);
        assert_eq!(found["Sahkoposti"], "Iida.Haku+koti@Example.fi");
        assert!(page["Metadata"]["Total"].as_u64().unwrap() >= 1);
    }
    let (_, none) = api
        .get("osapuolet/henkilot?hakusana=ei.ole%40example.fi")
        .await;
    assert_eq!(none["Metadata"]["Total"], 0);
    assert_eq!(
        api.get("osapuolet/henkilot").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.get("osapuolet/henkilot?Hakusana=%20").await.0,
        StatusCode::BAD_REQUEST
    );

    // The same party connected to a second apartment: no new party, two connections.
    let (status, second) = t
        .admin(
            reqwest::Method::POST,
            "accounts/demo/connections",
            Some(
                json!({"KohdeId": other, "OsapuoliId": party, "Alkaa": "2024-05-01",
                "Paattyy": "2099-12-31"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["Osapuoli"]["Id"], party);
    let homes = api
        .all(
            "osapuolet/yhteydet/selaa",
            json!({"OsapuoliId": party, "Roolit": ["Asukas"]}),
        )
        .await;
    let mut objects: Vec<i64> = homes
        .iter()
        .map(|c| c["KohdeId"].as_i64().unwrap())
        .collect();
    objects.sort_unstable();
    let mut expected = vec![apartment, other];
    expected.sort_unstable();
    assert_eq!(objects, expected);
    let (status, _) = t
        .admin(
            reqwest::Method::POST,
            "accounts/demo/connections",
            Some(json!({"KohdeId": other, "OsapuoliId": 1, "Alkaa": "2024-05-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown party");
}
