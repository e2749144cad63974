//! Spawning simulators and talking to them.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::NaiveDate;
use rappu_sim::{AccountSpec, RunningSim, SimConfig, Simulator, WebhookConfig};
use serde_json::Value;

pub const KEY: &str = "5A1B2C3D-4E5F-6789";
pub const CUSTOMER: &str = "Rappu Demo Oy";

/// The demo set-up with a pinned date and fast webhook retries.
pub fn test_config() -> SimConfig {
    SimConfig {
        today: NaiveDate::from_ymd_opt(2026, 11, 20),
        webhook: WebhookConfig {
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(2),
            max_attempts: 5,
        },
        ..SimConfig::demo()
    }
}

/// A config with one account per size, named `p{size}`, user `u{size}`, password `s{size}`.
pub fn sized_config(sizes: &[usize]) -> SimConfig {
    let accounts = sizes
        .iter()
        .map(|n| AccountSpec::new(&format!("p{n}"), &format!("u{n}"), &format!("s{n}"), 42, *n))
        .collect();
    SimConfig {
        accounts,
        ..test_config()
    }
}

pub struct TestSim {
    pub running: RunningSim,
    pub http: reqwest::Client,
}

pub async fn spawn() -> TestSim {
    spawn_with(test_config()).await
}

pub async fn spawn_with(config: SimConfig) -> TestSim {
    let running = Simulator::spawn(config).await.expect("simulator starts");
    // After the simulator: it installs the TLS crypto provider reqwest needs.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    TestSim { running, http }
}

impl TestSim {
    pub fn sim(&self) -> &Simulator {
        self.running.sim()
    }

    /// A client for one configured account.
    pub fn api(&self, account: &str) -> Api<'_> {
        let spec = self
            .sim()
            .config()
            .account(account)
            .expect("configured account")
            .clone();
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("X-TampuuriAvain", KEY),
            ("X-AsiakasNimi", CUSTOMER),
            ("X-Ohjelmistoversio", "rappu-sim-tests/1"),
            ("X-TiliNimi", spec.name.as_str()),
            ("X-Kayttajatunnus", spec.user.as_str()),
            ("X-Salasana", spec.password.as_str()),
            // Accounts in the vendor_help dialect refuse callers that do not ask for JSON.
            ("Accept", "application/json"),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        Api { sim: self, headers }
    }

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.running.admin_url());
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        send(req).await
    }
}

pub async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("request sent");
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, value)
}

/// An authenticated API client.
pub struct Api<'a> {
    pub sim: &'a TestSim,
    pub headers: HeaderMap,
}

impl Api<'_> {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.running.base_url())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(
            self.sim
                .http
                .get(self.url(path))
                .headers(self.headers.clone()),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.post_raw(path, &body.to_string()).await
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let req = self
            .sim
            .http
            .post(self.url(path))
            .headers(self.headers.clone())
            .header("content-type", "application/json")
            .body(body.to_owned());
        send(req).await
    }

    /// POST expecting 2xx; the body.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post(path, body).await;
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Every row of a paged POST search, walking offsets.
    pub async fn all(&self, path: &str, body: Value) -> Vec<Value> {
        let mut rows = Vec::new();
        loop {
            let page = self
                .ok(
                    &format!("{path}?limit=250&offset={}", rows.len()),
                    body.clone(),
                )
                .await;
            let items = page["Items"].as_array().unwrap().clone();
            let total = page["Metadata"]["Total"].as_u64().unwrap() as usize;
            rows.extend(items.iter().cloned());
            if items.is_empty() || rows.len() >= total {
                return rows;
            }
        }
    }
}

pub fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["Id"].as_i64().unwrap()).collect()
}

/// Poll `check` every 10 ms until it holds or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A webhook listener that records what it receives and answers scripted statuses
/// (`fallback` once the script runs out).
#[derive(Clone)]
pub struct Listener {
    pub url: String,
    pub received: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

impl Listener {
    pub async fn start(script: &[u16], fallback: u16) -> Self {
        Self::start_slow(script, fallback, &[]).await
    }

    /// Like `start`, but the n-th answer is delayed by `delays[n]`.
    pub async fn start_slow(script: &[u16], fallback: u16, delays: &[Duration]) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let delays = Arc::new(Mutex::new(delays.iter().copied().collect::<VecDeque<_>>()));
        let state = ListenerState {
            received: received.clone(),
            script,
            delays,
            fallback,
        };
        let app = axum::Router::new()
            .route("/hook", post(record))
            .with_state(state);
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(socket, app).await;
        });
        Self {
            url: format!("http://{addr}/hook"),
            received,
        }
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

#[derive(Clone)]
struct ListenerState {
    received: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    delays: Arc<Mutex<VecDeque<Duration>>>,
    fallback: u16,
}

async fn record(State(s): State<ListenerState>, headers: HeaderMap, body: String) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::Null);
    s.received.lock().unwrap().push((headers, value));
    let status = s.script.lock().unwrap().pop_front().unwrap_or(s.fallback);
    let delay = s.delays.lock().unwrap().pop_front();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    StatusCode::from_u16(status).unwrap()
}
