//! Spawning the gateway and the simulator on random loopback ports, and typed helpers.

use std::net::SocketAddr;
use std::time::Duration;

use rappu_gateway::auth::{TokenRequest, Tokens};
use rappu_gateway::config::TampuuriSettings;
use rappu_gateway::state::{AppState, UpstreamMode};
use rappu_gateway::{Application, Settings};
use rappu_shared::{Grant, Problem};
use rappu_sim::{AccountSpec, RunningSim, SimConfig, Simulator};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// A running gateway (with its simulator) for one test.
pub struct TestApp {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The gateway's state (tokens, store, usage).
    pub state: AppState,
    /// The simulator the gateway talks to.
    pub sim: Simulator,
    /// The simulator's base URL, `http://127.0.0.1:PORT` (admin routes under `/_sim/`).
    pub sim_url: String,
    /// The data directory (SQLite, keys).
    pub dir: TempDir,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT/metrics` on the metrics listener, when metrics are on.
    pub metrics_url: Option<String>,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _external_sim: Option<RunningSim>,
}

/// Settings for a test: random ports, a fresh data directory, no web app.
pub fn test_settings(dir: &TempDir) -> Settings {
    let mut settings = Settings::default();
    settings.server.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.data_dir = dir.path().to_owned();
    settings.web_dir = dir.path().join("web");
    settings.auth.revocation_refresh_secs = 1;
    settings.metrics.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    // Requests on the test's own runtime, so tests that pause its clock pause the gateway's.
    // (`tests/api/server.rs` runs two event loops.)
    settings.server.event_loops = rappu_gateway::config::EventLoops::Shared;
    settings
}

/// The gateway in demo mode: its embedded simulator, over real HTTP on loopback.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The gateway in demo mode with adjusted settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = test_settings(&dir);
    adjust(&mut settings);
    start(settings, dir, None).await
}

/// The gateway configured for "real Tampuuri" pointing at a separately started simulator.
pub async fn spawn_app_against(config: SimConfig, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = Simulator::spawn(config.clone()).await.expect("start sim");
    let mut settings = test_settings(&dir);
    settings.tampuuri = Some(tampuuri_settings(&running, &config));
    adjust(&mut settings);
    start(settings, dir, Some(running)).await
}

/// As [`spawn_app_against`], with Tampuuri answering with `faults` from the start and
/// without waiting for the account mirror to load (a gateway just started).
pub async fn spawn_app_cold(
    config: SimConfig,
    faults: rappu_sim::Faults,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = Simulator::spawn(config.clone()).await.expect("start sim");
    running.sim().set_faults(faults);
    let mut settings = test_settings(&dir);
    settings.tampuuri = Some(tampuuri_settings(&running, &config));
    adjust(&mut settings);
    start_with(settings, dir, Some(running), None, false).await
}

/// Client settings for `running`, as an operator would write them for real Tampuuri.
pub fn tampuuri_settings(running: &RunningSim, config: &SimConfig) -> TampuuriSettings {
    let mut settings =
        rappu_gateway::embedded::client_settings(running.base_url().parse().expect("url"), config);
    settings.timeout_secs = 5;
    settings.connect_timeout_secs = 2;
    settings.max_concurrent = 16;
    settings
}

/// A simulator config with one account `acct` of `properties` properties.
pub fn one_account(properties: usize) -> SimConfig {
    let mut config = SimConfig::demo();
    config.accounts = vec![AccountSpec {
        name: "acct".into(),
        user: "user".into(),
        password: "password".into(),
        seed: 42,
        properties,
        buildings_per_property: None,
    }];
    config.webhook.backoff = Duration::from_millis(10);
    config
}

async fn start(settings: Settings, dir: TempDir, external: Option<RunningSim>) -> TestApp {
    start_with(settings, dir, external, None, true).await
}

/// Another replica of `first`: the same Tampuuri (its simulator), webhook secret, database
/// and signing keys, its own data directory and port. Meaningful with `database_url` set.
pub async fn spawn_replica_of(first: &TestApp, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = test_settings(&dir);
    settings.tampuuri = Some(first.state.tampuuri_settings.clone());
    settings.webhooks.secret = first.state.settings.webhooks.secret.clone();
    settings.database_url = first.state.settings.database_url.clone();
    settings.auth.keys_dir = Some(first.state.settings.keys_dir());
    adjust(&mut settings);
    let shared = (first.sim.clone(), first.sim_url.clone());
    start_with(settings, dir, None, Some(shared), true).await
}

async fn start_with(
    settings: Settings,
    dir: TempDir,
    external: Option<RunningSim>,
    shared: Option<(Simulator, String)>,
    wait_for_mirror: bool,
) -> TestApp {
    let app = Application::build(settings).await.expect("build app");
    let url = format!("http://{}", app.addr());
    let state = app.state();
    let (sim, sim_url) = match (&state.mode, &external) {
        (UpstreamMode::Embedded(sim), _) => (
            sim.clone(),
            format!(
                "http://{}",
                app.simulator_addr().expect("embedded sim address")
            ),
        ),
        (UpstreamMode::Tampuuri, Some(running)) => {
            (running.sim().clone(), format!("http://{}", running.addr))
        }
        (UpstreamMode::Tampuuri, None) => shared.expect("no simulator"),
    };
    let shutdown = app.shutdown_token();
    let metrics_url = app.metrics_addr().map(|a| format!("http://{a}/metrics"));
    let server = tokio::spawn(app.run(std::future::pending()));
    // As a running deployment: the account mirror loaded (so call counts start from there).
    let names: Vec<String> = if wait_for_mirror {
        state.tampuuri.account_names().map(str::to_owned).collect()
    } else {
        Vec::new()
    };
    for account in names {
        assert!(
            state
                .mirror
                .wait_loaded(&account, Duration::from_secs(60))
                .await,
            "the mirror of {account} did not load"
        );
    }
    // As a balancer would: traffic once it says it is ready (on PostgreSQL, once it has
    // caught up with the other replicas).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !state.store.hears_replicas() {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never caught up with the others"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    TestApp {
        url,
        state,
        sim,
        sim_url,
        dir,
        metrics_url,
        // A new connection per request: tests that move tokio's clock forward also move the
        // server's, which closes kept-alive connections that were idle "that long".
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client"),
        shutdown,
        server: Some(server),
        _external_sim: external,
    }
}

impl TestApp {
    /// The first account's name.
    pub fn account(&self) -> String {
        self.state
            .tampuuri
            .account_names()
            .next()
            .expect("an account")
            .to_owned()
    }

    /// The token service.
    pub fn tokens(&self) -> &Tokens {
        &self.state.tokens
    }

    /// A valid token for `grant` on the first account.
    pub fn token(&self, grant: Grant) -> String {
        self.tokens()
            .mint(TokenRequest {
                subject: "test".into(),
                account: self.account(),
                grant,
                ttl: Duration::from_secs(3600),
            })
            .expect("mint")
            .token
    }

    /// The simulator's summary of the first account.
    pub fn summary(&self) -> rappu_sim::AccountSummary {
        self.sim.summary(&self.account()).expect("summary")
    }

    /// GET `path` with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Starts the gateway's shutdown and returns the server task, which ends once
    /// `Application::run` has returned. The simulator keeps running.
    pub fn begin_shutdown(&mut self) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        self.shutdown.cancel();
        self.server.take().expect("shut down once")
    }

    /// Stops the gateway and waits for it.
    pub async fn stop(self) {
        self.shutdown.cancel();
        if let Some(server) = self.server {
            let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
        }
    }
}

/// Asserts `response` is a problem document with `status` and returns it.
pub async fn expect_problem(response: reqwest::Response, status: u16) -> Problem {
    assert_eq!(
        response.status().as_u16(),
        status,
        "status of {}",
        response.url()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let problem: Problem = response.json().await.expect("problem body");
    assert_eq!(problem.status, status);
    problem
}

/// Id conversion for the simulator's signed ids.
pub fn uid(id: i64) -> u64 {
    u64::try_from(id).expect("positive id")
}

impl TestApp {
    /// Changes data in the simulator through its admin API (as Tampuuri's UI would), which
    /// sends webhooks to registered listeners.
    pub async fn sim_admin(&self, method: reqwest::Method, path: &str, body: serde_json::Value) {
        let url = format!("{}/_sim/{}", self.sim_url, path.trim_start_matches('/'));
        let response = self
            .http
            .request(method, &url)
            .json(&body)
            .send()
            .await
            .expect("sim admin");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
    }

    /// Subscribes this gateway to the simulator's webhooks with `secret`.
    pub fn subscribe_webhooks(&self, secret: &str) {
        for account in self.sim.account_names() {
            let url = format!("{}/api/v1/webhooks/tampuuri/{account}", self.url);
            let mut listener =
                rappu_sim::WebhookListener::new(url).with_header("X-Rappu-Webhook-Secret", secret);
            listener.account = Some(account);
            self.sim.add_listener(listener);
        }
    }

    /// Delivers a one-notification webhook bundle about `reference_id`, as Tampuuri would.
    pub async fn post_webhook(&self, secret: &str, action: &str, reference_id: u64) {
        let bundle = serde_json::json!({"Id": uuid::Uuid::new_v4().simple().to_string(), "Attempt": 1,
            "Notifications": [{"Action": action, "Id": uuid::Uuid::new_v4().to_string(),
                               "ReferenceId": reference_id.to_string(), "ReferenceData": ""}]});
        let response = self
            .http
            .post(format!(
                "{}/api/v1/webhooks/tampuuri/{}",
                self.url,
                self.account()
            ))
            .header("x-rappu-webhook-secret", secret)
            .json(&bundle)
            .send()
            .await
            .expect("webhook");
        assert_eq!(response.status(), 200, "webhook accepted");
    }

    /// GET the display feed with `token`.
    pub async fn feed(&self, token: &str) -> rappu_shared::display::DisplayFeed {
        let response = self.get("/api/v1/display/feed", Some(token)).await;
        assert_eq!(response.status(), 200, "feed");
        response.json().await.expect("feed json")
    }
}

/// Polls `check` every 20 ms until it returns `Some`, failing after `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
