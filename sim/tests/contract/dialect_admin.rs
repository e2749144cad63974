//! The dialect admin route, configured dialects, and the `Accept` check of accounts that
//! require JSON to be asked for.

use axum::http::StatusCode;
use rappu_sim::Dialect;
use rappu_sim::dialect::Enums;
use reqwest::Method;
use serde_json::json;

use crate::dialects::speak;
use crate::helpers::spawn;

#[tokio::test]
async fn accounts_that_require_json_refuse_other_accept_values() {
    let t = spawn().await;
    let api = t.api("demo");
    for (name, dialect) in Dialect::presets() {
        speak(&t, "demo", &dialect).await;
        t.sim().reset_calls();
        for (accept, json_ok) in [
            ("application/xml", false),
            ("text/html", false),
            ("application/json", true),
            ("text/html, application/json;q=0.8", true),
        ] {
            let mut headers = api.headers.clone();
            headers.insert("accept", accept.parse().unwrap());
            let resp = t
                .http
                .get(api.url("kustannuspaikat/selaa"))
                .headers(headers)
                .send()
                .await
                .unwrap();
            let refused = dialect.require_accept_json && !json_ok;
            let expected = if refused {
                StatusCode::NOT_ACCEPTABLE
            } else {
                StatusCode::OK
            };
            assert_eq!(resp.status(), expected, "{name} {accept}");
            let body = resp.text().await.unwrap();
            assert_eq!(body.starts_with('<'), refused, "{name}: {body}");
        }
        assert_eq!(
            t.sim().calls().get("demo", "GET kustannuspaikat/selaa"),
            4,
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_dialect_admin_route_validates() {
    let t = spawn().await;
    let (status, body) = t.admin(Method::GET, "accounts/demo/dialect", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_value::<Dialect>(body).unwrap(),
        Dialect::classic()
    );
    let (status, body) = t
        .admin(
            Method::PUT,
            "accounts/demo/dialect",
            Some(json!({"paging": "flat", "enums": "numbers"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["paging"], "flat");
    assert_eq!(body["external_id"], true);
    assert_eq!(t.sim().dialect("demo").unwrap().enums, Enums::Numbers);
    assert_eq!(t.sim().dialect("toinen").unwrap(), Dialect::classic());
    for bad in [
        json!({"drop_optional": 2.0}),
        json!({"paging": "sideways"}),
        json!("flat"),
    ] {
        let (status, _) = t
            .admin(Method::PUT, "accounts/demo/dialect", Some(bad.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, _) = t.admin(Method::GET, "accounts/nobody/dialect", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t
        .admin(Method::PUT, "accounts/nobody/dialect", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A configured dialect is in force from the first call.
    let config = crate::helpers::test_config().with_dialect("toinen", Dialect::vendor_help());
    let t = crate::helpers::spawn_with(config).await;
    let (status, page) = t.api("toinen").get("kustannuspaikat/selaa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["Total"].is_number() && page.get("Metadata").is_none());
}
