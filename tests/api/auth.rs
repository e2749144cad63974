//! Every bad token is refused with 401 problem+json; roles and scopes are enforced (403).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rappu_shared::Grant;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, spawn_app, uid};

/// The gateway's signing key, read from its key directory, and its kid.
fn signing_key(app: &TestApp) -> (String, EncodingKey) {
    let dir = app.dir.path().join("keys");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(kid) = name.strip_suffix(".pem").filter(|k| !k.ends_with(".pub")) {
            let pem = std::fs::read(&path).unwrap();
            return (kid.to_owned(), EncodingKey::from_ed_pem(&pem).unwrap());
        }
    }
    panic!("no key in {}", dir.display());
}

fn public_pem(app: &TestApp, kid: &str) -> Vec<u8> {
    std::fs::read(app.dir.path().join("keys").join(format!("{kid}.pub.pem"))).unwrap()
}

/// Valid claims for an admin of the first account; tests then break one thing.
fn claims(app: &TestApp) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": "rappu", "aud": "rappu-api", "sub": "attacker",
        "iat": now, "nbf": now, "exp": now + 600,
        "jti": uuid::Uuid::new_v4().to_string(),
        "acct": app.account(), "role": "admin"
    })
}

fn sign(header: Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn ed_header(kid: &str) -> Header {
    let mut h = Header::new(Algorithm::EdDSA);
    h.typ = Some("at+jwt".into());
    h.kid = Some(kid.into());
    h
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let response = app.get("/api/v1/me", Some(token)).await;
    let www = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let problem = expect_problem(response, 401).await;
    assert_eq!(problem.slug(), "invalid-token", "{why}: {problem:?}");
    assert_eq!(
        www.as_deref(),
        Some("Bearer error=\"invalid_token\""),
        "{why}"
    );
}

#[tokio::test]
async fn a_protected_route_without_credentials_is_401_problem_json() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/me", None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let problem = expect_problem(response, 401).await;
    assert_eq!(problem.slug(), "unauthenticated");
    assert_eq!(problem.instance.as_deref(), Some("/api/v1/me"));
    assert!(problem.request_id.is_some());
    for header in [
        "Basic dXNlcjpwdw==",
        "Bearer",
        "Bearer    ",
        "Bearer not.a.jwt",
        "Bearer a.b",
    ] {
        let response = app
            .http
            .get(format!("{}/api/v1/me", app.url))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        expect_problem(response, 401).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_minted_token_works_and_reads_come_from_the_mirror() {
    let app = spawn_app().await;
    let token = app.token(Grant::Admin);
    let me: rappu_shared::Me = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.grant, Grant::Admin);
    app.sim.reset_calls();
    let response = app.get("/api/v1/admin/properties", Some(&token)).await;
    assert_eq!(response.status(), 200);
    let properties: Vec<rappu_shared::Property> = response.json().await.unwrap();
    assert_eq!(properties.len(), app.summary().properties.len());
    assert!(
        properties.iter().all(|p| p.name.contains("Oy")),
        "{properties:?}"
    );
    assert_eq!(
        app.sim.calls().total(),
        0,
        "the properties come from the account mirror, not a call per request"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_forged_or_stale_token_is_refused() {
    let app = spawn_app().await;
    let (kid, key) = signing_key(&app);
    let good = sign(ed_header(&kid), &claims(&app), &key);
    assert_eq!(
        app.get("/api/v1/me", Some(&good)).await.status(),
        200,
        "the baseline token works"
    );

    // alg "none" with an empty signature.
    let none_header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims(&app).to_string());
    assert_refused(&app, &format!("{none_header}.{payload}."), "alg none").await;

    // Properly signed, but naming a critical extension Rappu does not understand.
    let mut crit = ed_header(&kid);
    crit.crit = Some(vec!["exp-override".into()]);
    assert_refused(&app, &sign(crit, &claims(&app), &key), "crit").await;

    // And the personal answer is never stored by a cache.
    let me = app.get("/api/v1/me", Some(&good)).await;
    assert_eq!(me.headers()["cache-control"], "no-store");

    // Signed by another Ed25519 key under the right kid.
    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let other_pem = other.to_pkcs8_pem(Default::default()).unwrap();
    let other_key = EncodingKey::from_ed_pem(other_pem.as_bytes()).unwrap();
    assert_refused(
        &app,
        &sign(ed_header(&kid), &claims(&app), &other_key),
        "wrong key",
    )
    .await;

    // HS256 "signed" with the public key as the HMAC secret (algorithm confusion).
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some(kid.clone());
    let confused = sign(
        hs,
        &claims(&app),
        &EncodingKey::from_secret(&public_pem(&app, &kid)),
    );
    assert_refused(&app, &confused, "HS/EdDSA confusion").await;

    // Time: expired beyond the leeway; not valid for another hour.
    let now = chrono::Utc::now().timestamp();
    let mut c = claims(&app);
    c["exp"] = json!(now - 3600);
    c["iat"] = json!(now - 7200);
    c["nbf"] = json!(now - 7200);
    assert_refused(&app, &sign(ed_header(&kid), &c, &key), "expired").await;
    let mut c = claims(&app);
    c["nbf"] = json!(now + 3600);
    assert_refused(&app, &sign(ed_header(&kid), &c, &key), "not yet valid").await;

    // Audience, issuer, account, missing claims.
    for (field, value) in [
        ("aud", json!("another-api")),
        ("iss", json!("someone-else")),
        ("acct", json!("no-such-account")),
        ("role", json!("root")),
        ("jti", json!("")),
    ] {
        let mut c = claims(&app);
        c[field] = value;
        assert_refused(&app, &sign(ed_header(&kid), &c, &key), field).await;
    }
    for field in ["exp", "nbf", "aud", "iss", "sub", "jti", "acct"] {
        let mut c = claims(&app);
        c.as_object_mut().unwrap().remove(field);
        assert_refused(&app, &sign(ed_header(&kid), &c, &key), field).await;
    }

    // Header: wrong typ, no typ, unknown kid, no kid.
    let mut h = ed_header(&kid);
    h.typ = Some("JWT".into());
    assert_refused(&app, &sign(h, &claims(&app), &key), "typ JWT").await;
    let mut h = ed_header(&kid);
    h.typ = None;
    assert_refused(&app, &sign(h, &claims(&app), &key), "no typ").await;
    assert_refused(
        &app,
        &sign(ed_header("k0"), &claims(&app), &key),
        "unknown kid",
    )
    .await;
    let mut h = ed_header(&kid);
    h.kid = None;
    assert_refused(&app, &sign(h, &claims(&app), &key), "no kid").await;

    // A display token whose payload was edited to another role after signing, refused
    // even while the genuine token's verification is cached (the cache finds a token by
    // its signature, which the tampered token keeps).
    let display = app.token(Grant::Display {
        building: 1,
        staircase: None,
    });
    for _ in 0..2 {
        assert_eq!(
            app.get("/api/v1/me", Some(&display)).await.status(),
            200,
            "the genuine display token, verified and then cached"
        );
    }
    let parts: Vec<&str> = display.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["role"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_refused(&app, &tampered, "tampered payload").await;
    let mut header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    header["x5u"] = json!("https://attacker.example/keys");
    let tampered_header = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        parts[1],
        parts[2]
    );
    assert_refused(&app, &tampered_header, "tampered header").await;
    assert_eq!(
        app.get("/api/v1/me", Some(&display)).await.status(),
        200,
        "the genuine token still works after the tampered ones were refused"
    );
    app.stop().await;
}

#[tokio::test]
async fn revoked_tokens_are_refused_at_once_and_from_other_processes() {
    let app = spawn_app().await;
    let admin = app.token(Grant::Admin);
    let victim = app
        .tokens()
        .mint(rappu_gateway::auth::TokenRequest {
            subject: "lost-tablet".into(),
            account: app.account(),
            grant: Grant::Display {
                building: 1,
                staircase: None,
            },
            ttl: Duration::from_secs(3600),
        })
        .unwrap();
    assert_eq!(
        app.get("/api/v1/me", Some(&victim.token)).await.status(),
        200
    );

    // Through the admin API: effective immediately.
    let response = app
        .http
        .post(format!("{}/api/v1/admin/tokens/revoke", app.url))
        .bearer_auth(&admin)
        .json(&json!({"jti": victim.claims.jti, "reason": "tablet stolen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let problem = expect_problem(app.get("/api/v1/me", Some(&victim.token)).await, 401).await;
    assert!(problem.detail.unwrap().contains("revoked"));
    // Tokens remembered before the revocation are checked again, not dropped.
    assert_eq!(app.get("/api/v1/me", Some(&admin)).await.status(), 200);

    // Another process (the CLI) writes to the same database: picked up by the refresher.
    let other = app.token(Grant::Admin);
    assert_eq!(app.get("/api/v1/me", Some(&other)).await.status(), 200);
    let (_, claims) = jsonwebtoken::dangerous::insecure_decode::<Value>(&other)
        .map(|d| (d.header, d.claims))
        .unwrap();
    let store = rappu_gateway::store::Store::open(&app.dir.path().join("rappu.db")).unwrap();
    store
        .revoke_blocking(
            claims["jti"].as_str().unwrap(),
            chrono::Utc::now().timestamp(),
            None,
        )
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if app.get("/api/v1/me", Some(&other)).await.status() == 401 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "revocation not picked up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn roles_and_scopes_are_enforced() {
    let app = spawn_app().await;
    let summary = app.summary();
    let building = &summary.properties[0].buildings[0];
    let other_building = summary
        .properties
        .iter()
        .flat_map(|p| &p.buildings)
        .find(|b| b.id != building.id)
        .expect("two buildings");
    let resident = &summary.residents.plain[0];

    let display = app.token(Grant::Display {
        building: uid(building.id),
        staircase: None,
    });
    let resident_token = app.token(Grant::Resident {
        party: uid(resident.party_id),
        apartment: uid(resident.apartment_id),
    });
    let partner = app.token(Grant::Partner {
        assignee: uid(summary.maintenance_companies[0]),
    });

    // Wrong role: only admins list properties.
    for token in [&display, &resident_token, &partner] {
        let problem =
            expect_problem(app.get("/api/v1/admin/properties", Some(token)).await, 403).await;
        assert_eq!(problem.slug(), "forbidden");
    }
    // A display reads its own building...
    let response = app
        .get(
            &format!("/api/v1/buildings/{}", building.id),
            Some(&display),
        )
        .await;
    assert_eq!(response.status(), 200);
    let b: rappu_shared::Building = response.json().await.unwrap();
    assert_eq!(b.staircases.len(), building.staircases.len());
    // ...not another one (scope), and a resident no building at all (role).
    let problem = expect_problem(
        app.get(
            &format!("/api/v1/buildings/{}", other_building.id),
            Some(&display),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(problem.slug(), "out-of-scope");
    expect_problem(
        app.get(
            &format!("/api/v1/buildings/{}", building.id),
            Some(&resident_token),
        )
        .await,
        403,
    )
    .await;
    // An admin reads any building; an id that is not a building is 404.
    let admin = app.token(Grant::Admin);
    assert_eq!(
        app.get(
            &format!("/api/v1/buildings/{}", other_building.id),
            Some(&admin)
        )
        .await
        .status(),
        200
    );
    expect_problem(
        app.get(
            &format!("/api/v1/buildings/{}", summary.properties[0].id),
            Some(&admin),
        )
        .await,
        404,
    )
    .await;
    expect_problem(
        app.get("/api/v1/buildings/999999999", Some(&admin)).await,
        404,
    )
    .await;
    app.stop().await;
}
