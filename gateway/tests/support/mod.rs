//! What the tests of the real `rappu` binary share: a simulator config, the gateway's
//! config file, starting `rappu serve`, tokens signed with its key, waiting on a condition.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rappu_gateway::Settings;
use rappu_gateway::auth::{KeyRing, RevocationList, TokenRequest, Tokens};
use rappu_shared::Grant;
use rappu_sim::SimConfig;
use serde_json::Value;

/// One simulated account, one property: quick to generate.
pub fn sim_config() -> SimConfig {
    let mut config = SimConfig::demo();
    config.accounts.truncate(1);
    config.accounts[0].properties = 1;
    config
}

/// Writes `rappu.toml` for the simulator at `base_url`, with `extra` TOML appended.
pub fn write_config(dir: &Path, base_url: &str, config: &SimConfig, extra: &str) -> PathBuf {
    write_config_with_server(dir, base_url, config, "", extra)
}

/// [`write_config`] with `server` TOML lines added to its `[server]` table.
pub fn write_config_with_server(
    dir: &Path,
    base_url: &str,
    config: &SimConfig,
    server: &str,
    extra: &str,
) -> PathBuf {
    let account = &config.accounts[0];
    let toml = format!(
        r#"data_dir = "{data}"
web_dir = "{data}/web"

[server]
addr = "127.0.0.1:0"
{server}

[tampuuri]
base_url = "{base_url}"
api_key = "{key}"
customer_name = "{customer}"
# Longer than a test ever waits: a call may be in flight when the gateway dies.
timeout_secs = 120

[[tampuuri.accounts]]
name = "{name}"
user = "{user}"
password = "{password}"
{extra}
"#,
        data = dir.display(),
        server = server,
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
pub struct Gateway {
    pub child: Child,
    pub url: String,
    /// `GET /metrics` on the metrics listener.
    pub metrics_url: Option<String>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `rappu serve` with `config` (run `run` of the test: its own log and ready file).
pub async fn start(dir: &Path, config: &Path, run: u32) -> Gateway {
    start_with_env(dir, config, run, &[]).await
}

/// [`start`] with environment variables set for the process (`RAPPU_DATABASE_URL`, ...).
pub async fn start_with_env(dir: &Path, config: &Path, run: u32, env: &[(&str, &str)]) -> Gateway {
    start_command(
        Command::new(env!("CARGO_BIN_EXE_rappu")),
        dir,
        config,
        run,
        env,
    )
    .await
}

/// [`start`] with the process confined to one CPU (`taskset -c`, the first CPU this test
/// may use), as on a one-CPU host.
pub async fn start_on_one_cpu(dir: &Path, config: &Path, run: u32) -> Gateway {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let allowed = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list in /proc/self/status");
    let first: String = allowed
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let mut taskset = Command::new("taskset");
    taskset
        .arg("-c")
        .arg(first)
        .arg(env!("CARGO_BIN_EXE_rappu"));
    start_command(taskset, dir, config, run, &[]).await
}

/// Starts `program` (`rappu`, or a wrapper whose last argument is `rappu`) as `rappu serve`.
async fn start_command(
    mut program: Command,
    dir: &Path,
    config: &Path,
    run: u32,
    env: &[(&str, &str)],
) -> Gateway {
    let ready = dir.join(format!("ready-{run}.json"));
    let log = std::fs::File::create(dir.join(format!("rappu-{run}.log"))).unwrap();
    let child = program
        .arg("--config")
        .arg(config)
        .arg("serve")
        .arg("--ready-file")
        .arg(&ready)
        .env_remove("RAPPU_CONFIG")
        // Tests run side by side: the metrics listener on a free port too.
        .env("RAPPU_METRICS__ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
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
    let metrics_url = info["metrics_url"].as_str().map(str::to_owned);
    // As a balancer would: traffic once it says it is ready (on PostgreSQL, once it has
    // caught up with the other replicas).
    eventually(60, "the gateway to be ready", || async {
        let response = reqwest::get(format!("{url}/readyz")).await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
    Gateway {
        child,
        url,
        metrics_url,
    }
}

/// A token for `grant`, signed with the key the gateway loads from `dir`.
pub fn token(dir: &Path, account: &str, grant: Grant) -> String {
    let settings = Settings::default();
    let keys = KeyRing::load_or_generate(&dir.join("keys"), None).unwrap();
    let tokens = Tokens::new(
        &settings.auth,
        keys,
        vec![account.to_owned()],
        RevocationList::default(),
    );
    tokens
        .mint(TokenRequest {
            subject: "binary-test".into(),
            account: account.to_owned(),
            grant,
            ttl: Duration::from_secs(600),
        })
        .unwrap()
        .token
}

/// Checks `check` every 25 ms until it answers, failing after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
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

/// How many times Tampuuri holds each of `filed` (by Rappu's reference line).
pub fn held(sim: &rappu_sim::Simulator, account: &str, filed: &[String]) -> Vec<usize> {
    let snapshot = sim.snapshot(account).unwrap();
    filed
        .iter()
        .map(|id| {
            snapshot
                .reports
                .iter()
                .filter(|r| {
                    let line = format!("Rappu-viite: {id}");
                    r.kuvaus
                        .as_deref()
                        .is_some_and(|k| k.lines().any(|l| l.trim() == line))
                })
                .count()
        })
        .collect()
}
