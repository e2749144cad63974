//! The system under test: `rappu sim` as "real Tampuuri" and `rappu serve` configured by
//! `RAPPU_*` variables to use it, each a separate process; display tokens minted here with
//! the gateway's own library and the key the gateway loads.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rappu_gateway::auth::{KeyRing, RevocationList, TokenRequest, Tokens};
use rappu_gateway::config::Settings;
use rappu_shared::Grant;
use rappu_sim::{AccountSummary, CallCounts, SimConfig};
use serde_json::{Value, json};

use crate::pin::{self, Role};
use crate::procs::Proc;

/// The account every part uses (`SimConfig::demo()`'s first).
pub const ACCOUNT: &str = "demo";

/// Where the binaries and scratch files are.
#[derive(Debug)]
pub struct Env {
    /// The `rappu` binary.
    pub rappu: PathBuf,
    /// `--baseline`: an older `rappu` build part 1 compares with instead of nginx.
    pub baseline: Option<PathBuf>,
    /// `--postgres`: the database the gateway under test uses (the baseline stays on
    /// SQLite).
    pub database: Option<secrecy::SecretString>,
    /// The temporary directory (removed at the end).
    pub work: PathBuf,
    next: AtomicUsize,
    /// A client for setup and checks (not the load).
    pub http: reqwest::Client,
}

impl Env {
    /// The environment for one bench run.
    pub fn new(
        rappu: PathBuf,
        baseline: Option<PathBuf>,
        database: Option<secrecy::SecretString>,
        work: PathBuf,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            rappu,
            baseline,
            database,
            work,
            next: AtomicUsize::new(0),
            http: client(Duration::from_secs(30), 64)?,
        })
    }

    /// A fresh scratch directory `<work>/<n>-<name>`.
    pub fn scratch(&self, name: &str) -> anyhow::Result<PathBuf> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let dir = self.work.join(format!("{n:02}-{name}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// A `rappu` command with a clean environment: no inherited `RAPPU_*` or `RUST_LOG`, and
    /// `dir` as the working directory so no stray `rappu.toml` is read.
    fn rappu_command(&self, dir: &Path) -> Command {
        Self::command_for(&self.rappu, dir, Role::Load)
    }

    /// The same for another `rappu` binary (the baseline).
    fn command_for(binary: &Path, dir: &Path, role: Role) -> Command {
        let mut command = pin::command(binary, role);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("RAPPU_") || key == "RUST_LOG" {
                command.env_remove(key.as_ref());
            }
        }
        command.current_dir(dir);
        command
    }
}

/// An HTTP client for loopback: no proxy, bounded time, a pool as large as the load needs.
pub fn client(timeout: Duration, pool: usize) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(pool)
        .build()
        .context("building an HTTP client")
}

/// The simulator configuration `rappu sim --properties n [--buildings-per-property b]`
/// runs (deterministic data).
pub fn sim_config(properties: usize, buildings_per_property: Option<u16>) -> SimConfig {
    SimConfig::demo_sized(Some(properties), None)
        .with_buildings_per_property(buildings_per_property.map(usize::from))
}

/// A free loopback port (bound, read, released: another process could take it in between,
/// which on a bench machine does not happen in practice).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// `rappu sim` in its own process.
#[derive(Debug)]
pub struct Sim {
    /// The process.
    pub proc: Proc,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Sim {
    /// Starts the simulator with `properties` per account on a free loopback port (chosen
    /// here, so nothing depends on the wording of its banner) and waits until it answers.
    pub async fn start(env: &Env, properties: usize) -> anyhow::Result<Self> {
        Self::start_shaped(env, properties, None).await
    }

    /// [`Sim::start`] with `buildings_per_property` in every property (`None`: the
    /// simulator's own mix of 1 to 3).
    pub async fn start_shaped(
        env: &Env,
        properties: usize,
        buildings_per_property: Option<u16>,
    ) -> anyhow::Result<Self> {
        let dir = env.scratch(&format!("sim-{properties}"))?;
        let port = free_port()?;
        let mut command = env.rappu_command(&dir);
        command.args([
            "sim",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--properties",
            &properties.to_string(),
        ]);
        if let Some(b) = buildings_per_property {
            command.args(["--buildings-per-property", &b.to_string()]);
        }
        let mut proc = Proc::spawn("the simulator (rappu sim)", command, &dir.join("sim.log"))?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            proc.ensure_running()?;
            if let Ok(r) = env.http.get(format!("{url}/_sim/calls")).send().await
                && r.status().is_success()
            {
                return Ok(Self { proc, url });
            }
            if Instant::now() > deadline {
                bail!(
                    "the simulator did not answer on {url} within 180 s; its output:\n{}",
                    proc.log_tail(25)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The base URL the gateway is given as Tampuuri's.
    pub fn api_url(&self) -> String {
        format!("{}/v10/api/", self.url)
    }

    /// `GET /_sim/accounts/demo/summary`.
    pub async fn summary(&self, env: &Env) -> anyhow::Result<AccountSummary> {
        let value = self
            .admin(
                env,
                reqwest::Method::GET,
                &format!("accounts/{ACCOUNT}/summary"),
                None,
            )
            .await?;
        serde_json::from_value(value).context("reading the simulator's summary")
    }

    /// `GET /_sim/calls`.
    pub async fn calls(&self, env: &Env) -> anyhow::Result<CallCounts> {
        let value = self.admin(env, reqwest::Method::GET, "calls", None).await?;
        serde_json::from_value(value).context("reading the simulator's call counts")
    }

    /// `DELETE /_sim/calls`.
    pub async fn reset_calls(&self, env: &Env) -> anyhow::Result<()> {
        self.admin(env, reqwest::Method::DELETE, "calls", None)
            .await
            .map(drop)
    }

    /// An admin call; an error unless it answers 2xx. Returns the JSON body (`null` if none).
    pub async fn admin(
        &self,
        env: &Env,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}/_sim/{path}", self.url);
        let mut request = env.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("{method} {url}"))?;
        if !status.is_success() {
            bail!(
                "{method} {url}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{method} {url}: not JSON"))
    }
}

/// `rappu serve` against a [`Sim`].
#[derive(Debug)]
pub struct Gateway {
    /// The process.
    pub proc: Proc,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Mints display tokens with the key the gateway verifies with.
    pub tokens: Tokens,
    /// The `RAPPU_*` settings it was started with (secrets shown as `<random>`).
    pub settings: Vec<(String, String)>,
    /// Its directory (data directory, log, ready file): kept across a restart.
    dir: PathBuf,
    /// Its port: kept across a restart, so a webhook listener's URL stays valid.
    port: u16,
    /// The `rappu` binary it runs: kept across a restart.
    binary: PathBuf,
}

impl Gateway {
    /// Starts the gateway with `extra` `RAPPU_*` settings on top of the Tampuuri ones, after
    /// generating its signing key in a fresh data directory.
    /// With `--postgres` it runs on that database.
    pub async fn start(env: &Env, sim: &Sim, extra: &[(&str, String)]) -> anyhow::Result<Self> {
        let mut extra = extra.to_vec();
        if let Some(url) = &env.database {
            extra.push((
                "RAPPU_DATABASE_URL",
                secrecy::ExposeSecret::expose_secret(url).to_owned(),
            ));
        }
        Self::start_binary(env, &env.rappu, sim, &extra).await
    }

    /// [`Gateway::start`] with another `rappu` binary (part 1's baseline, an older build).
    pub async fn start_binary(
        env: &Env,
        binary: &Path,
        sim: &Sim,
        extra: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let dir = env.scratch("gateway")?;
        Self::launch(binary, sim, extra, dir, free_port()?).await
    }

    /// Stops this gateway (SIGTERM: it shuts down as in production) and starts it again on
    /// the same port with the same data directory (its mirror, usage counts and keys) and
    /// `extra` settings.
    pub async fn restart(mut self, sim: &Sim, extra: &[(&str, String)]) -> anyhow::Result<Self> {
        self.proc.stop();
        let (dir, port, binary) = (self.dir.clone(), self.port, self.binary.clone());
        drop(self);
        let _ = std::fs::remove_file(dir.join("ready.json"));
        Self::launch(&binary, sim, extra, dir, port).await
    }

    async fn launch(
        binary: &Path,
        sim: &Sim,
        extra: &[(&str, String)],
        dir: PathBuf,
        port: u16,
    ) -> anyhow::Result<Self> {
        let data = dir.join("data");
        let defaults = Settings::default();
        // The key first, so the tokens minted here and the gateway use the same one.
        let keys = KeyRing::load_or_generate(&data.join("keys"), None)
            .context("generating the token signing key")?;
        let tokens = Tokens::new(
            &defaults.auth,
            keys,
            vec![ACCOUNT.to_owned()],
            RevocationList::default(),
        );
        let demo = SimConfig::demo();
        let account = demo.account(ACCOUNT).context("the demo account")?;
        let mut env_vars: Vec<(String, String)> = vec![
            ("RAPPU_TAMPUURI__BASE_URL".into(), sim.api_url()),
            ("RAPPU_TAMPUURI__API_KEY".into(), demo.api_key.clone()),
            (
                "RAPPU_TAMPUURI__CUSTOMER_NAME".into(),
                demo.customer_name.clone(),
            ),
            (
                "RAPPU_TAMPUURI__ACCOUNTS".into(),
                format!(
                    "[{{name=\"{}\", user=\"{}\", password=\"{}\"}}]",
                    account.name, account.user, account.password
                ),
            ),
        ];
        // The metrics listener on a free port (the default 9464 may be taken); a build from
        // before `[metrics]` existed refuses the setting, and has no listener to move.
        let metrics = ("RAPPU_METRICS__ADDR", "127.0.0.1:0");
        if knows_setting(binary, &dir, metrics) {
            env_vars.push((metrics.0.into(), metrics.1.into()));
        }
        env_vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let ready_file = dir.join("ready.json");
        let mut command = Env::command_for(binary, &dir, Role::Server);
        command
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .arg("--ready-file")
            .arg(&ready_file)
            .envs(env_vars.iter().map(|(k, v)| (k, v)));
        let log = (0..)
            .map(|n| {
                dir.join(if n == 0 {
                    "gateway.log".to_owned()
                } else {
                    format!("gateway-{n}.log")
                })
            })
            .find(|p| !p.exists())
            .context("naming the gateway's log")?;
        let mut proc = Proc::spawn("the gateway (rappu serve)", command, &log)?;
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            proc.ensure_running()?;
            if let Ok(text) = std::fs::read_to_string(&ready_file) {
                let info: Value = serde_json::from_str(&text).context("reading the ready file")?;
                break info
                    .get("url")
                    .and_then(Value::as_str)
                    .context("the ready file has no url")?
                    .trim_end_matches('/')
                    .to_owned();
            }
            if Instant::now() > deadline {
                bail!(
                    "the gateway was not ready within 60 s:\n{}",
                    proc.log_tail(25)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let settings = env_vars
            .into_iter()
            .map(|(k, v)| {
                let shown = if k.contains("SECRET")
                    || k.contains("API_KEY")
                    || k.contains("ACCOUNTS")
                    || k.contains("DATABASE_URL")
                {
                    "<set>".to_owned()
                } else {
                    v
                };
                (k, shown)
            })
            .collect();
        Ok(Self {
            proc,
            url,
            tokens,
            settings,
            dir,
            port,
            binary: binary.to_owned(),
        })
    }

    /// `GET /api/v1/admin/upstream` with an admin token: the mirror's health (`mirror`),
    /// the circuit breaker, the budget.
    pub async fn upstream(&self, env: &Env) -> anyhow::Result<Value> {
        let token = self.token(Grant::Admin, "bench-admin")?;
        let response = env
            .http
            .get(format!("{}/api/v1/admin/upstream", self.url))
            .bearer_auth(token)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .context("reading the admin upstream view")?;
        if !status.is_success() {
            bail!("GET /api/v1/admin/upstream answered {status}: {body}");
        }
        Ok(body)
    }

    /// A display token for `building` (EdDSA, the default algorithm), valid for a day.
    pub fn display_token(&self, building: i64, subject: &str) -> anyhow::Result<String> {
        let building = u64::try_from(building).context("negative building id")?;
        self.token(
            Grant::Display {
                building,
                staircase: None,
            },
            subject,
        )
    }

    /// A token for `grant` (EdDSA), valid for a day.
    pub fn token(&self, grant: Grant, subject: &str) -> anyhow::Result<String> {
        let minted = self
            .tokens
            .mint(TokenRequest {
                subject: subject.to_owned(),
                account: ACCOUNT.to_owned(),
                grant,
                ttl: Duration::from_secs(86_400),
            })
            .context("minting a token")?;
        Ok(minted.token)
    }

    /// The feed URL.
    pub fn feed_url(&self) -> String {
        format!("{}/api/v1/display/feed", self.url)
    }

    /// Prints the settings it runs with.
    pub fn print_settings(&self, indent: &str) {
        for (k, v) in &self.settings {
            println!("{indent}{k}={v}");
        }
    }
}

/// Whether `binary` accepts the setting `(key, value)`: `rappu check-config` with it set
/// succeeds (settings refuse unknown keys).
fn knows_setting(binary: &Path, dir: &Path, (key, value): (&str, &str)) -> bool {
    Env::command_for(binary, dir, Role::Load)
        .arg("check-config")
        .env(key, value)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Registers `gateway` as the simulator's webhook listener for the demo account.
pub async fn subscribe_webhooks(
    env: &Env,
    sim: &Sim,
    gateway: &Gateway,
    secret: &str,
) -> anyhow::Result<()> {
    let body = json!({
        "url": format!("{}/api/v1/webhooks/tampuuri/{ACCOUNT}", gateway.url),
        "events": ["*"],
        "header": {"name": "X-Rappu-Webhook-Secret", "value": secret},
        "account": ACCOUNT,
    });
    sim.admin(env, reqwest::Method::POST, "webhooks", Some(body))
        .await
        .map(drop)
}

/// A random secret for `RAPPU_WEBHOOKS__SECRET` (at least 16 characters).
pub fn random_secret() -> String {
    format!(
        "{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// Every building id of a summary, in order.
pub fn building_ids(summary: &AccountSummary) -> Vec<i64> {
    summary
        .properties
        .iter()
        .flat_map(|p| p.buildings.iter().map(|b| b.id))
        .collect()
}

/// Calls per route of one account, largest first, and the total.
pub fn route_calls(calls: &CallCounts) -> (Vec<(String, u64)>, u64) {
    let mut routes: Vec<(String, u64)> = calls
        .accounts
        .iter()
        .flat_map(|(account, r)| {
            r.iter().map(move |(route, n)| {
                let name = if account == ACCOUNT {
                    route.clone()
                } else {
                    format!("{account}: {route}")
                };
                (name, *n)
            })
        })
        .collect();
    routes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    (routes, calls.total)
}
