//! Six-header authentication: 403 for anything missing or wrong; each account sees its own
//! data.

use axum::http::StatusCode;

use crate::helpers::spawn;

const ROUTE: &str = "kustannuspaikat/selaa";

#[tokio::test]
async fn each_missing_header_answers_403() {
    let t = spawn().await;
    let api = t.api("demo");
    let (status, _) = api.get(ROUTE).await;
    assert_eq!(status, StatusCode::OK);
    for name in rappu_sim::auth::HEADERS {
        let mut headers = api.headers.clone();
        headers.remove(name);
        let resp = t
            .http
            .get(api.url(ROUTE))
            .headers(headers)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "without {name}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body["Message"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn wrong_credentials_answer_403() {
    let t = spawn().await;
    let api = t.api("demo");
    for (name, value) in [
        ("X-TampuuriAvain", "00000000-0000-0000"),
        ("X-AsiakasNimi", "Joku Muu Oy"),
        ("X-TiliNimi", "eiole"),
        ("X-Kayttajatunnus", "rappu2"),
        ("X-Salasana", "väärä"),
        ("X-Salasana", "toinen-salasana"),
        ("X-Ohjelmistoversio", ""),
    ] {
        let mut headers = api.headers.clone();
        headers.insert(name, value.parse().unwrap());
        let resp = t
            .http
            .get(api.url(ROUTE))
            .headers(headers)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    // A second account's user with the first account's name.
    let mut headers = t.api("toinen").headers.clone();
    headers.insert("X-TiliNimi", "demo".parse().unwrap());
    let resp = t
        .http
        .get(api.url(ROUTE))
        .headers(headers)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn each_account_sees_its_own_data() {
    let t = spawn().await;
    let (_, demo) = t.api("demo").get(ROUTE).await;
    let (_, other) = t.api("toinen").get(ROUTE).await;
    assert_eq!(demo["Metadata"]["Total"], 3);
    assert_eq!(other["Metadata"]["Total"], 2);
    // Ids are per account: the same id names a different object in each.
    let first = demo["Items"][0]["Id"].as_i64().unwrap();
    let (_, a) = t.api("demo").get(&format!("kohteet/{first}")).await;
    let (_, b) = t.api("toinen").get(&format!("kohteet/{first}")).await;
    assert_eq!(a["Nimi"], demo["Items"][0]["Nimi"]);
    assert_eq!(b["Nimi"], other["Items"][0]["Nimi"]);
    assert_ne!(a["Nimi"], b["Nimi"]);
    let snapshot = t.sim().snapshot("toinen").unwrap();
    let names: Vec<&str> = snapshot
        .objects
        .iter()
        .filter(|o| o.yla_kohde_id.is_none())
        .map(|o| o.nimi.as_str())
        .collect();
    let seen: Vec<&str> = other["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Nimi"].as_str().unwrap())
        .collect();
    assert_eq!(names, seen);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let t = spawn().await;
    let api = t.api("demo");
    let (status, body) = api.get("eiole/selaa").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["Message"].is_string());
    let (status, body) = api.post("kohteet/100000", serde_json::json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["Message"].is_string());
    let (status, body) = t.admin(reqwest::Method::GET, "eiole", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["Message"].is_string());
}
