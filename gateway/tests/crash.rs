//! Exactly once across a crash: the real `rappu` binary is killed with SIGKILL while
//! Tampuuri (the simulator, in this process) has made a report but not yet answered, then
//! restarted on the same data directory. Every filed report ends up in Tampuuri exactly
//! once, by the simulator's own count; none is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rappu_gateway::Settings;
use rappu_gateway::auth::{KeyRing, RevocationList, TokenRequest, Tokens};
use rappu_shared::Grant;
use rappu_sim::{Faults, SimConfig, Simulator};
use serde_json::{Value, json};

const FILED: usize = 5;

/// One simulated account, one property: quick to generate.
fn sim_config() -> SimConfig {
    let mut config = SimConfig::demo();
    config.accounts.truncate(1);
    config.accounts[0].properties = 1;
    config
}

fn write_config(dir: &Path, base_url: &str, config: &SimConfig) -> PathBuf {
    let account = &config.accounts[0];
    let toml = format!(
        r#"data_dir = "{data}"
web_dir = "{data}/web"

[server]
addr = "127.0.0.1:0"

[tampuuri]
base_url = "{base_url}"
api_key = "{key}"
customer_name = "{customer}"
# Longer than the test ever waits: the create call is in flight when the gateway dies.
timeout_secs = 120

[[tampuuri.accounts]]
name = "{name}"
user = "{user}"
password = "{password}"

[reports]
outbox_backoff_min_ms = 20
outbox_backoff_max_ms = 200
cache_ttl_secs = 0
"#,
        data = dir.display(),
        key = config.api_key,
        customer = config.customer_name,
        name = account.name,
        user = account.user,
        password = account.password,
    );
    let path = dir.join("rappu.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// A running `rappu serve` and its base URL.
struct Gateway {
    child: Child,
    url: String,
}

async fn start(dir: &Path, config: &Path, run: u32) -> Gateway {
    let ready = dir.join(format!("ready-{run}.json"));
    let log = std::fs::File::create(dir.join(format!("rappu-{run}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_rappu"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .arg("--ready-file")
        .arg(&ready)
        .env_remove("RAPPU_CONFIG")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let info: Value = eventually(60, "the gateway to start", || async {
        let text = std::fs::read_to_string(&ready).ok()?;
        serde_json::from_str(&text).ok()
    })
    .await;
    let url = info["url"].as_str().unwrap().to_owned();
    Gateway { child, url }
}

async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Ids of `filed` reports Tampuuri holds, with how many times each.
fn held(sim: &Simulator, account: &str, filed: &[String]) -> Vec<usize> {
    let snapshot = sim.snapshot(account).unwrap();
    filed
        .iter()
        .map(|id| {
            snapshot
                .reports
                .iter()
                .filter(|r| r.ulkoinen_tunniste.as_deref() == Some(id.as_str()))
                .count()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_mid_delivery_delivers_every_report_exactly_once() {
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let sim = running.sim().clone();
    let account = config.accounts[0].name.clone();
    let summary = sim.summary(&account).unwrap();
    let resident = &summary.residents.plain[0];
    let dir = tempfile::tempdir().unwrap();
    let config_file = write_config(dir.path(), &running.base_url(), &config);

    // Tokens signed with the key the gateway will load from the same data directory.
    let settings = Settings::default();
    let keys = KeyRing::load_or_generate(&dir.path().join("keys"), None).unwrap();
    let tokens = Tokens::new(
        &settings.auth,
        keys,
        vec![account.clone()],
        RevocationList::default(),
    );
    let token = tokens
        .mint(TokenRequest {
            subject: "crash-test".into(),
            account: account.clone(),
            grant: Grant::Resident {
                party: u64::try_from(resident.party_id).unwrap(),
                apartment: u64::try_from(resident.apartment_id).unwrap(),
            },
            ttl: Duration::from_secs(600),
        })
        .unwrap()
        .token;

    // Tampuuri will make each report but hold its answer back.
    sim.set_faults(Faults {
        response_delay_ms: 600_000,
        ..Faults::default()
    });
    let mut gateway = start(dir.path(), &config_file, 1).await;
    let http = reqwest::Client::new();
    let mut filed = Vec::new();
    for i in 0..FILED {
        let response = http
            .post(format!("{}/api/v1/fault-reports", gateway.url))
            .bearer_auth(&token)
            .header("idempotency-key", format!("crash-{i}"))
            .json(&json!({
                "topic": "apartment", "title": format!("Vika numero {i}"),
                "description": "Ei toimi.", "master_key_allowed": false,
                "contact_phone": "040 765 4321"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["status"], "pending");
        filed.push(report["id"].as_str().unwrap().to_owned());
    }

    // The first delivery has reached Tampuuri; its answer has not reached Rappu.
    eventually(30, "the first report in Tampuuri", || async {
        (held(&sim, &account, &filed).iter().sum::<usize>() == 1).then_some(())
    })
    .await;
    gateway.child.kill().unwrap(); // SIGKILL
    gateway.child.wait().unwrap();
    assert_eq!(held(&sim, &account, &filed).iter().sum::<usize>(), 1);

    sim.set_faults(Faults::default());
    let mut gateway = start(dir.path(), &config_file, 2).await;
    eventually(60, "every report in Tampuuri", || async {
        held(&sim, &account, &filed)
            .iter()
            .all(|n| *n >= 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        held(&sim, &account, &filed),
        vec![1; FILED],
        "exactly once each"
    );
    assert_eq!(
        sim.calls().get(&account, "POST ilmoitukset/base64"),
        FILED as u64,
        "the report made before the crash was adopted, not created again"
    );
    // And the resident sees every one as delivered.
    for id in &filed {
        let report: Value = eventually(30, "the report delivered", || async {
            let report: Value = http
                .get(format!("{}/api/v1/fault-reports/{id}", gateway.url))
                .bearer_auth(&token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (report["status"] == "open").then_some(report)
        })
        .await;
        assert!(report["number"].is_string());
    }
    gateway.child.kill().unwrap();
    gateway.child.wait().unwrap();
}
