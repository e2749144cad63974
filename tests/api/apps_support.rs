//! Helpers for the third-party app tests: registering an app through the admin API and
//! getting its tokens at `POST /oauth/token`.

use base64::Engine as _;
use rappu_shared::Grant;
use rappu_shared::apps::{AppCredentials, TokenResponse};
use serde_json::{Value, json};

use crate::helpers::{TestApp, uid};

/// The first property's id and its first two buildings (the second may be absent).
pub fn places(app: &TestApp) -> (u64, u64, Option<u64>) {
    let summary = app.summary();
    let property = &summary.properties[0];
    (
        uid(property.id),
        uid(property.buildings[0].id),
        property.buildings.get(1).map(|b| uid(b.id)),
    )
}

/// A building of another property.
pub fn foreign_building(app: &TestApp) -> Option<u64> {
    app.summary()
        .properties
        .get(1)
        .map(|p| uid(p.buildings[0].id))
}

/// POSTs `body` to `/api/v1/admin/apps` as an admin.
pub async fn register_raw(app: &TestApp, body: &Value) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/admin/apps", app.url))
        .bearer_auth(app.token(Grant::Admin))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Registers an app with `scopes` (JSON) and `origins`; its credentials.
pub async fn register(app: &TestApp, scopes: Value, origins: &[&str]) -> AppCredentials {
    let response = register_raw(
        app,
        &json!({
            "name": "Huolto-Virtanen työnohjaus",
            "contact": "it@huolto-virtanen.example.fi",
            "scopes": scopes,
            "origins": origins,
        }),
    )
    .await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

/// `Authorization: Basic` for `id` and `secret` (form-encoded first, RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// POSTs `form` to `/oauth/token` with an optional `Authorization` header.
pub async fn token_raw(
    app: &TestApp,
    authorization: Option<&str>,
    form: &str,
) -> reqwest::Response {
    let mut request = app
        .http
        .post(format!("{}/oauth/token", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(a) = authorization {
        request = request.header("authorization", a);
    }
    request.send().await.unwrap()
}

/// A token for `creds`, all its scopes.
pub async fn token(app: &TestApp, creds: &AppCredentials) -> TokenResponse {
    let response = token_raw(
        app,
        Some(&basic(&creds.client_id, &creds.client_secret)),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// An RFC 6749 §5.2 error with `status` and `code` (also a problem document); its body.
pub async fn expect_oauth_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "{}", response.url());
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:rappu:problem:")
    );
    assert_eq!(body["status"], status);
    assert!(body["request_id"].is_string());
    body
}
