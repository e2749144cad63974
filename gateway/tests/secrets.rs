//! No secret ever leaves: the real `rappu` binary runs every flow, errors and Tampuuri
//! failures included (refused credentials, an outage, 5xx, rows it cannot read), configured
//! with recognisable credentials and keys, logging at debug level as JSON. None of the
//! secrets (nor their base64) appears in any response status line, header or body, any log
//! line, the CLI's output, the OpenAPI document or the web assets it serves.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use rappu_shared::Grant;
use rappu_sim::{Dialect, Faults, SimConfig, Simulator};
use serde_json::{Value, json};
use support::{start, token};

const API_KEY: &str = "LEAKCANARY-apikey-3f9c1e77";
const PASSWORD: &str = "LEAKCANARY-password-8d2b7a19";
const WRONG_PASSWORD: &str = "LEAKCANARY-wrongpassword-55e1c4";
const WEBHOOK_SECRET: &str = "LEAKCANARY-webhook-c0ffee42";

/// Everything that left the gateway, labelled by where it came from.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn add(&mut self, what: impl Into<String>, text: impl Into<String>) {
        self.0.push((what.into(), text.into()));
    }

    async fn response(&mut self, what: &str, response: reqwest::Response) -> (u16, String) {
        let status = response.status().as_u16();
        let mut text = format!("{status}\n");
        for (name, value) in response.headers() {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let body = response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&body).into_owned();
        text.push_str(&body);
        self.add(what, text);
        (status, body)
    }
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn get(&self, seen: &mut Seen, path: &str, token: Option<&str>) -> (u16, String) {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        seen.response(&format!("GET {path}"), response).await
    }

    async fn post(
        &self,
        seen: &mut Seen,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, String) {
        let mut request = self.http.post(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        seen.response(&format!("POST {path}"), response).await
    }
}

fn sim_config() -> SimConfig {
    let mut config = SimConfig::demo();
    config.accounts.truncate(2);
    for account in &mut config.accounts {
        account.properties = 1;
    }
    config.api_key = API_KEY.to_owned();
    config.accounts[0].password = PASSWORD.to_owned();
    // The first account's data has rows Rappu cannot read.
    let first = config.accounts[0].name.clone();
    config.with_dialect(&first, Dialect::damaged())
}

fn write_config(dir: &Path, base_url: &str, config: &SimConfig, web_dir: &Path) -> PathBuf {
    let (a, b) = (&config.accounts[0], &config.accounts[1]);
    let toml = format!(
        r#"data_dir = "{data}"
web_dir = "{web}"

[server]
addr = "127.0.0.1:0"

[log]
format = "json"
filter = "debug"
access = true

[rate_limit]
enabled = false

[webhooks]
secret = "{WEBHOOK_SECRET}"

[tampuuri]
base_url = "{base_url}"
api_key = "{API_KEY}"
customer_name = "{customer}"
timeout_secs = 5
max_retries = 1

[[tampuuri.accounts]]
name = "{a_name}"
user = "{a_user}"
password = "{PASSWORD}"

# Tampuuri refuses this account's password.
[[tampuuri.accounts]]
name = "{b_name}"
user = "{b_user}"
password = "{WRONG_PASSWORD}"
"#,
        data = dir.display(),
        web = web_dir.display(),
        customer = config.customer_name,
        a_name = a.name,
        a_user = a.user,
        b_name = b.name,
        b_user = b.user,
    );
    let path = dir.join("rappu.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// The built web app when there is one (`scripts/test` builds it first and requires it
/// with `RAPPU_REQUIRE_WEB_DIST=1`), else a stand-in page.
fn web_dir(dir: &Path) -> PathBuf {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
    if dist.join("index.html").is_file() {
        return dist;
    }
    assert!(
        std::env::var_os("RAPPU_REQUIRE_WEB_DIST").is_none(),
        "web/dist is required here: run scripts/build-web first"
    );
    eprintln!("web/dist not built: serving a stand-in page instead of the web app");
    let stand_in = dir.join("web");
    std::fs::create_dir_all(stand_in.join("assets")).unwrap();
    std::fs::write(
        stand_in.join("index.html"),
        "<!doctype html><title>Rappu</title>",
    )
    .unwrap();
    stand_in
}

/// Every file under `root`, relative to it.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The base64 body of every private key the gateway keeps.
fn private_keys(dir: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for file in files(&dir.join("keys")) {
        let text = std::fs::read_to_string(dir.join("keys").join(&file)).unwrap_or_default();
        if text.contains("PRIVATE KEY") {
            let body: String = text
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>();
            keys.push(body);
        }
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)]
async fn no_secret_leaves_by_any_route_log_document_or_asset() {
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let sim = running.sim().clone();
    let account = config.accounts[0].name.clone();
    let refused_account = config.accounts[1].name.clone();
    let dir = tempfile::tempdir().unwrap();
    let web = web_dir(dir.path());
    let config_file = write_config(dir.path(), &running.base_url(), &config, &web);
    let gateway = start(dir.path(), &config_file, 1).await;
    let client = Client {
        http: reqwest::Client::new(),
        url: gateway.url.clone(),
    };
    let mut seen = Seen::default();

    let summary = sim.summary(&account).unwrap();
    let building = u64::try_from(summary.properties[0].buildings[0].id).unwrap();
    let resident = &summary.residents.plain[0];
    let (party, apartment) = (
        u64::try_from(resident.party_id).unwrap(),
        u64::try_from(resident.apartment_id).unwrap(),
    );
    let assignee = u64::try_from(summary.properties[0].maintenance_company_id.unwrap()).unwrap();
    let admin = token(dir.path(), &account, Grant::Admin);
    let display = token(
        dir.path(),
        &account,
        Grant::Display {
            building,
            staircase: None,
        },
    );
    let resident_token = token(dir.path(), &account, Grant::Resident { party, apartment });
    let partner = token(dir.path(), &account, Grant::Partner { assignee });

    // Anonymous: health, the documents, the web app (every file), refusals.
    for path in [
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/docs/",
        "/api/v1/me",
    ] {
        client.get(&mut seen, path, None).await;
    }
    for file in files(&web) {
        client.get(&mut seen, &format!("/{file}"), None).await;
    }
    for path in [
        "/",
        "/display",
        "/portal",
        "/portal/report",
        "/display/pair",
    ] {
        client.get(&mut seen, path, None).await;
    }
    client
        .get(&mut seen, "/api/v1/me", Some("not.a.token"))
        .await;
    client
        .get(&mut seen, "/api/v1/display/feed", Some(&admin))
        .await;

    // An operator's day.
    for path in [
        "/api/v1/admin/properties".to_owned(),
        "/api/v1/admin/usage".to_owned(),
        "/api/v1/admin/upstream/verify".to_owned(),
        "/api/v1/admin/upstream".to_owned(),
        format!("/api/v1/buildings/{building}"),
        "/api/v1/buildings/999999999".to_owned(),
        "/api/v1/admin/fault-reports/undelivered".to_owned(),
        "/api/v1/admin/displays".to_owned(),
    ] {
        client.get(&mut seen, &path, Some(&admin)).await;
    }
    for (path, body) in [
        (
            "/api/v1/admin/displays/enrolments",
            json!({"building": building, "label": "A"}),
        ),
        (
            "/api/v1/admin/residents/login-links",
            json!({"party": party, "apartment": apartment}),
        ),
        (
            "/api/v1/admin/displays/caretaker-links",
            json!({"buildings": [building], "label": "Huolto"}),
        ),
        (
            "/api/v1/admin/tokens/revoke",
            json!({"jti": "no-such-token"}),
        ),
        ("/api/v1/admin/tokens/revoke", json!({"jti": 5})),
    ] {
        client
            .post(&mut seen, path, Some(&admin), &[], Some(body))
            .await;
    }

    // A display, a resident and a maintenance partner.
    let (status, _) = client
        .get(&mut seen, "/api/v1/display/feed", Some(&display))
        .await;
    assert_eq!(status, 200);
    client
        .get(&mut seen, "/api/v1/display/portal-qr.svg", None)
        .await;
    let events = client
        .http
        .get(format!("{}/api/v1/display/events", client.url))
        .bearer_auth(&display)
        .send()
        .await
        .unwrap();
    let mut head = format!("{}\n", events.status());
    for (name, value) in events.headers() {
        head.push_str(&format!("{name}: {value:?}\n"));
    }
    let mut stream = events;
    if let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await
    {
        head.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen.add("GET /api/v1/display/events", head);
    drop(stream);

    let photo = json!({"name": "hana.jpg", "data": base64::engine::general_purpose::STANDARD
        .encode(tiny_jpeg())});
    let report = json!({"topic": "apartment", "title": "Keittiön hana vuotaa",
        "description": "Tippuu koko ajan.", "master_key_allowed": true,
        "contact_phone": "040 123 4567", "photos": [photo]});
    let (status, filed) = client
        .post(
            &mut seen,
            "/api/v1/fault-reports",
            Some(&resident_token),
            &[("idempotency-key", "leak-test-1")],
            Some(report.clone()),
        )
        .await;
    assert_eq!(status, 201, "{filed}");
    let id = serde_json::from_str::<Value>(&filed).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    client
        .post(
            &mut seen,
            "/api/v1/fault-reports",
            Some(&resident_token),
            &[("idempotency-key", "leak-test-1")],
            Some(report),
        )
        .await;
    for path in [
        "/api/v1/me".to_owned(),
        "/api/v1/me/contact".to_owned(),
        "/api/v1/fault-reports".to_owned(),
        format!("/api/v1/fault-reports/{id}"),
        format!("/api/v1/fault-reports/{id}/photos/0"),
    ] {
        client.get(&mut seen, &path, Some(&resident_token)).await;
    }
    // Wait for delivery, then the partner works on it.
    support::eventually(30, "the report's delivery", || async {
        let response = client
            .http
            .get(format!("{}/api/v1/fault-reports/{id}", client.url))
            .bearer_auth(&resident_token)
            .send()
            .await
            .ok()?;
        let body: Value = response.json().await.ok()?;
        (body["status"] != "pending").then_some(())
    })
    .await;
    let (_, orders) = client
        .get(&mut seen, "/api/v1/work-orders?state=open", Some(&partner))
        .await;
    let orders: Value = serde_json::from_str(&orders).unwrap();
    if let Some(order) = orders["items"].as_array().and_then(|a| a.first()) {
        let order = order["id"].as_u64().unwrap();
        for (action, body) in [
            ("receive", None),
            ("hold", Some(json!({"reason": "Varaosa tilattu"}))),
            ("done", Some(json!({"summary": "Tiiviste vaihdettu"}))),
        ] {
            client
                .post(
                    &mut seen,
                    &format!("/api/v1/work-orders/{order}/{action}"),
                    Some(&partner),
                    &[],
                    body,
                )
                .await;
        }
    }

    // Webhooks with the right and a wrong secret.
    let bundle = json!({"Id": "leak-bundle-1", "Attempt": 1, "Notifications": [
        {"Action": "Osapuoli.Muokattu", "Id": "n-1", "ReferenceId": party.to_string(),
         "ReferenceData": ""}]});
    let hook = format!("/api/v1/webhooks/tampuuri/{account}");
    client
        .post(
            &mut seen,
            &hook,
            None,
            &[("x-rappu-webhook-secret", WEBHOOK_SECRET)],
            Some(bundle.clone()),
        )
        .await;
    client
        .post(
            &mut seen,
            &hook,
            None,
            &[("x-rappu-webhook-secret", "wrong")],
            Some(bundle),
        )
        .await;

    // Bad input.
    for (path, token) in [
        ("/api/v1/fault-reports", Some(resident_token.as_str())),
        ("/api/v1/admin/tokens/revoke", Some(admin.as_str())),
    ] {
        let response = client
            .http
            .post(format!("{}{path}", client.url))
            .bearer_auth(token.unwrap_or_default())
            .header("content-type", "application/json")
            .header("idempotency-key", "leak-test-2")
            .body("{\"title\": ")
            .send()
            .await
            .unwrap();
        seen.response(&format!("POST {path} (malformed)"), response)
            .await;
    }

    // Tampuuri refuses an account's credentials.
    let refused_admin = token(dir.path(), &refused_account, Grant::Admin);
    let (status, _) = client
        .get(&mut seen, "/api/v1/admin/properties", Some(&refused_admin))
        .await;
    assert_eq!(status, 502);

    // Tampuuri fails: 500s, then an outage (the circuit opens). Reads come from the account
    // mirror; what calls Tampuuri now is fetching what webhooks name.
    let parties: Vec<String> = sim
        .snapshot(&account)
        .unwrap()
        .parties
        .iter()
        .take(8)
        .map(|p| p.id.to_string())
        .collect();
    let changes = |bundle: &str| {
        json!({"Id": bundle, "Attempt": 1, "Notifications": parties.iter().enumerate().map(|(i, p)| json!(
            {"Action": "Osapuoli.Muokattu", "Id": format!("{bundle}-{i}"), "ReferenceId": p,
             "ReferenceData": ""})).collect::<Vec<_>>()})
    };
    sim.set_faults(Faults {
        fail_next: 3,
        fail_status: 500,
        ..Faults::default()
    });
    client
        .post(
            &mut seen,
            &hook,
            None,
            &[("x-rappu-webhook-secret", WEBHOOK_SECRET)],
            Some(changes("leak-bundle-500")),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    client
        .post(
            &mut seen,
            &hook,
            None,
            &[("x-rappu-webhook-secret", WEBHOOK_SECRET)],
            Some(changes("leak-bundle-outage")),
        )
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = client
            .get(&mut seen, "/api/v1/admin/upstream", Some(&admin))
            .await;
        if body.contains("\"open\"") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the circuit did not open: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for _ in 0..3 {
        client
            .get(&mut seen, "/api/v1/admin/properties", Some(&admin))
            .await;
    }
    client
        .get(&mut seen, "/api/v1/display/feed", Some(&display))
        .await;
    sim.set_faults(Faults::default());

    // The operator's console and the metrics, after all of the above.
    for path in [
        "/api/v1/admin/console/displays",
        "/api/v1/admin/usage/month",
        "/api/v1/admin/upstream/health",
        "/api/v1/admin/tokens",
    ] {
        let (status, _) = client.get(&mut seen, path, Some(&admin)).await;
        assert_eq!(status, 200, "{path}");
    }
    let (status, _) = client
        .post(
            &mut seen,
            "/api/v1/admin/tokens",
            Some(&admin),
            &[],
            Some(json!({"subject": "secrets", "grant": {"role": "admin"}, "ttl_days": 1})),
        )
        .await;
    assert_eq!(status, 201);
    client
        .post(
            &mut seen,
            "/api/v1/admin/console/qr.svg",
            Some(&admin),
            &[],
            Some(json!({"url": format!("{}/display/enroll?code=x", client.url)})),
        )
        .await;
    client
        .post(
            &mut seen,
            "/api/v1/auth/admin-login",
            None,
            &[],
            Some(json!({"code": "x".repeat(43)})),
        )
        .await;
    let metrics = gateway.metrics_url.clone().expect("metrics are on");
    let scraped = client.http.get(&metrics).send().await.unwrap();
    let (status, text) = seen.response("GET /metrics", scraped).await;
    assert_eq!(status, 200);
    assert!(text.contains("rappu_upstream_calls_total"), "{text}");

    // The command line: the settings as checked, the go-live check, a console link.
    for args in [
        vec!["admin-link", "--subject", "secrets"],
        vec!["check-config"],
        vec!["verify-upstream", "--account", account.as_str(), "--json"],
        vec!["verify-upstream", "--account", refused_account.as_str()],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rappu"))
            .arg("--config")
            .arg(&config_file)
            .args(&args)
            .env_remove("RAPPU_CONFIG")
            .output()
            .unwrap();
        seen.add(
            format!("rappu {}", args.join(" ")),
            format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        );
    }

    drop(gateway);
    let log = std::fs::read_to_string(dir.path().join("rappu-1.log")).unwrap();
    // The run did reach the failures it is about, and logged them.
    for expected in [
        "Tampuuri refused the credentials",
        "Tampuuri circuit open",
        "skipped a row Rappu cannot read",
    ] {
        assert!(log.contains(expected), "the log lacks {expected:?}");
    }
    // One access line per request: request id, route template, status, latency and the kind
    // of caller, never a token or the path with its ids.
    let access: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["target"] == "rappu::access")
        .collect();
    assert!(access.len() > 60, "{} access lines", access.len());
    for line in &access {
        for field in [
            "request_id",
            "method",
            "route",
            "status",
            "latency_ms",
            "principal",
        ] {
            assert!(!line[field].is_null(), "{field} missing in {line}");
        }
    }
    let feed = access
        .iter()
        .find(|l| l["route"] == "/api/v1/display/feed" && l["principal"] == "display")
        .expect("a display's feed request");
    assert_eq!(feed["status"], 200);
    assert!(
        access
            .iter()
            .any(|l| l["route"] == "/api/v1/buildings/{building_id}")
    );
    for line in &access {
        let text = line.to_string();
        let route = line["route"].as_str().unwrap_or_default();
        assert!(
            !text.contains("eyJ") && !route.contains(&building.to_string()),
            "{text}"
        );
    }
    seen.add("the gateway's log", log);

    let mut secrets: Vec<String> = [API_KEY, PASSWORD, WRONG_PASSWORD, WEBHOOK_SECRET]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let keys = private_keys(dir.path());
    assert!(!keys.is_empty(), "the signing key was found");
    // A recognisable piece of each private key.
    secrets.extend(keys.iter().map(|k| k.chars().skip(16).take(32).collect()));
    let mut needles = Vec::new();
    for secret in &secrets {
        needles.push(secret.clone());
        needles.push(base64::engine::general_purpose::STANDARD.encode(secret));
        needles.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    }
    let total: usize = seen.0.iter().map(|(_, t)| t.len()).sum();
    assert!(
        seen.0.len() > 60 && total > 100_000,
        "the run covered little"
    );
    for (what, text) in &seen.0 {
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "a secret leaked through {what}"
            );
        }
    }
    eprintln!(
        "checked {} responses, outputs and logs ({} KiB) for {} secrets",
        seen.0.len(),
        total / 1024,
        secrets.len()
    );
}

/// A valid little JPEG (16×16, no metadata).
fn tiny_jpeg() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, contents: &[u8]| {
        j.extend_from_slice(&[0xFF, marker]);
        j.extend_from_slice(&u16::try_from(contents.len() + 2).unwrap().to_be_bytes());
        j.extend_from_slice(contents);
    };
    segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    segment(0xDB, &[0u8; 65]);
    segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
    segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]);
    j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]);
    j
}
