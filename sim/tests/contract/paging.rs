//! Paging: totals, the 250 cap, offset walking, past-the-end offsets and bad values.

use std::collections::BTreeSet;

use axum::http::StatusCode;

use crate::helpers::{TestSim, ids, sized_config, spawn_with};

const SIZES: [usize; 5] = [0, 1, 250, 251, 600];

async fn walk(t: &TestSim, account: &str, limit: usize) -> (Vec<i64>, usize) {
    let api = t.api(account);
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let (status, page) = api
            .get(&format!(
                "kustannuspaikat/selaa?limit={limit}&offset={}",
                seen.len()
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        calls += 1;
        let items = page["Items"].as_array().unwrap();
        assert!(items.len() <= 250);
        assert_eq!(
            page["Metadata"]["Offset"].as_u64().unwrap() as usize,
            seen.len()
        );
        assert_eq!(
            page["Metadata"]["Limit"].as_u64().unwrap() as usize,
            limit.min(250)
        );
        let total = page["Metadata"]["Total"].as_u64().unwrap() as usize;
        seen.extend(ids(items));
        if items.is_empty() || seen.len() >= total {
            return (seen, calls);
        }
    }
}

#[tokio::test]
async fn totals_cap_and_offset_walking() {
    let t = spawn_with(sized_config(&SIZES)).await;
    for n in SIZES {
        let account = format!("p{n}");
        let api = t.api(&account);
        let (status, page) = api.get("kustannuspaikat/selaa?limit=250").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["Metadata"]["Total"].as_u64().unwrap() as usize, n);
        assert_eq!(page["Items"].as_array().unwrap().len(), n.min(250));

        // Over the cap: clamped, and the clamped value reported.
        let (_, page) = api.get("kustannuspaikat/selaa?limit=1000").await;
        assert_eq!(page["Metadata"]["Limit"], 250);
        assert_eq!(page["Items"].as_array().unwrap().len(), n.min(250));

        // Default limit.
        let (_, page) = api.get("kustannuspaikat/selaa").await;
        assert_eq!(page["Metadata"]["Limit"], 50);
        assert_eq!(page["Items"].as_array().unwrap().len(), n.min(50));

        // Walking collects every row exactly once, in id order, in ceil(n / 250) calls.
        let (seen, calls) = walk(&t, &account, 250).await;
        assert_eq!(seen.len(), n);
        assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), n, "duplicates");
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(calls, n.div_ceil(250).max(1));
        let expected: Vec<i64> = t.sim().summary(&account).unwrap().property_ids();
        assert_eq!(seen, expected);

        // An odd page size walks the same rows.
        let (seen7, _) = walk(&t, &account, 7).await;
        assert_eq!(seen7, seen);

        // Past the end: empty, with the right total.
        let (status, page) = api
            .get(&format!("kustannuspaikat/selaa?offset={}", n + 10))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page["Items"].as_array().unwrap().is_empty());
        assert_eq!(page["Metadata"]["Total"].as_u64().unwrap() as usize, n);
    }
}

#[tokio::test]
async fn post_searches_page_too() {
    let t = spawn_with(sized_config(&[251])).await;
    let api = t.api("p251");
    let property = t.sim().summary("p251").unwrap().properties[0].id;
    let all = api
        .all(&format!("kohteet/{property}/selaa"), serde_json::json!({}))
        .await;
    let snapshot = t.sim().snapshot("p251").unwrap();
    let expected = snapshot
        .objects
        .iter()
        .filter(|o| o.kustannuspaikka_id == property && o.id != property)
        .count();
    assert_eq!(all.len(), expected);
    let connections = api
        .all("osapuolet/yhteydet/selaa", serde_json::json!({}))
        .await;
    assert_eq!(connections.len(), snapshot.connections.len());
    assert!(connections.len() > 250);
}

#[tokio::test]
async fn bad_paging_values_answer_400() {
    let t = spawn_with(sized_config(&[1])).await;
    let api = t.api("p1");
    for query in [
        "limit=-1",
        "limit=abc",
        "offset=-3",
        "offset=x",
        "limit=",
        "limit=1.5",
    ] {
        let (status, body) = api.get(&format!("kustannuspaikat/selaa?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(body["Message"].is_string());
        let (status, _) = api
            .post(&format!("ilmoitukset/selaa?{query}"), serde_json::json!({}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
}
