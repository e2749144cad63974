//! The typed Tampuuri client: one per customer account, all sharing one HTTP connection
//! pool and one cap on calls in flight.
//!
//! A call goes through the same phases every time: leave from the account's circuit
//! breaker ([`super::breaker`]: none while Tampuuri keeps failing), wait for the account's
//! pace (`calls_per_second`) and a permit (the global cap on calls in flight), send with
//! the six headers, count it, map the status to [`UpstreamError`], read a bounded body and
//! decode it tolerantly. Safe calls (GET and `selaa` searches) are retried
//! on transient failures with jittered backoff; calls that change data never are.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{Stream, TryStreamExt, stream};
use governor::{DefaultDirectRateLimiter, Quota};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use super::breaker::{Breaker, CircuitView};
use super::error::UpstreamError;
use super::headers::{self, Credentials};
use super::paging::{MAX_LIMIT, RawPage, next_offset};
use super::retry::RetryPolicy;
use super::routes::Route;
use super::stats::WireStats;

/// No request body (GET routes).
const NO_BODY: Option<&()> = None;
use crate::config::TampuuriSettings;
use crate::metrics::UpstreamMetrics;
use crate::metrics::families::{RecentFailure, RouteLabel, UpstreamCallLabels};
use crate::usage::UsageRecorder;

/// Largest response body read from Tampuuri; a larger one is a bad response.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Why the clients could not be built (a configuration problem).
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    /// A header value is not sendable.
    #[error("tampuuri: {0}")]
    Header(#[from] headers::InvalidHeader),
    /// reqwest refused the settings.
    #[error("tampuuri: cannot build the HTTP client: {0}")]
    Http(String),
}

/// The clients of every configured account.
#[derive(Clone, Debug)]
pub struct Tampuuri {
    accounts: Arc<BTreeMap<String, TampuuriClient>>,
    stats: Arc<WireStats>,
}

impl Tampuuri {
    /// Builds one client per account of `settings`, recording calls in `usage`.
    pub fn new(
        settings: &TampuuriSettings,
        usage: UsageRecorder,
    ) -> Result<Self, ClientBuildError> {
        Self::observed(settings, usage, UpstreamMetrics::detached())
    }

    /// [`Tampuuri::new`], also counting every call, its duration and retries in `metrics`.
    pub fn observed(
        settings: &TampuuriSettings,
        usage: UsageRecorder,
        metrics: UpstreamMetrics,
    ) -> Result<Self, ClientBuildError> {
        // Every retry series exists from the start, so "no retries" is a 0, not a gap.
        for route in super::routes::SAFE_ROUTES {
            drop(
                metrics
                    .retries
                    .get_or_create(&RouteLabel { route: route.label }),
            );
        }
        // reqwest is built without a default TLS provider (see Cargo.toml); install ring's
        // once per process. A second install fails harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(settings.software_version.clone())
            .timeout(Duration::from_secs(settings.timeout_secs))
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            // Never follow redirects: a redirect to another host would carry the six
            // credential headers with it.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(settings.base_url.scheme() == "https")
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .no_proxy()
            .build()
            .map_err(|e| ClientBuildError::Http(e.without_url().to_string()))?;
        let permits = Arc::new(Semaphore::new(settings.max_concurrent));
        let retry = RetryPolicy::new(settings.max_retries);
        let stats = Arc::new(WireStats::default());
        let mut accounts = BTreeMap::new();
        for account in &settings.accounts {
            let headers = headers::build(&Credentials {
                api_key: &settings.api_key,
                customer: &settings.customer_name,
                software: &settings.software_version,
                account: &account.name,
                user: &account.user,
                password: &account.password,
            })?;
            let client = TampuuriClient {
                inner: Arc::new(Inner {
                    http: http.clone(),
                    base: settings.base_url.clone(),
                    headers,
                    account: account.name.clone(),
                    retry: retry.clone(),
                    usage: usage.clone(),
                    permits: Arc::clone(&permits),
                    permit_wait: Duration::from_secs(settings.timeout_secs),
                    stats: Arc::clone(&stats),
                    settings: account.clone(),
                    breaker: Breaker::new(
                        &account.name,
                        settings.circuit_failures,
                        Duration::from_secs(settings.circuit_open_secs),
                    ),
                    pace: pace(settings.calls_per_second, settings.calls_burst),
                    metrics: metrics.clone(),
                }),
            };
            accounts.insert(account.name.clone(), client);
        }
        Ok(Self {
            accounts: Arc::new(accounts),
            stats,
        })
    }

    /// What the clients learned about the accounts' wire (skipped rows, paging shapes).
    pub fn wire_stats(&self) -> &WireStats {
        &self.stats
    }

    /// The client of `account`, if it is configured.
    pub fn account(&self, account: &str) -> Option<&TampuuriClient> {
        self.accounts.get(account)
    }

    /// Names of the configured accounts.
    pub fn account_names(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    /// Each account's circuit breaker, as an admin sees it.
    pub fn circuit(&self, account: &str) -> Option<CircuitView> {
        self.accounts.get(account).map(|c| c.inner.breaker.view())
    }
}

/// A client for one Tampuuri account; cheap to clone.
#[derive(Clone)]
pub struct TampuuriClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    headers: HeaderMap,
    account: String,
    retry: RetryPolicy,
    usage: UsageRecorder,
    permits: Arc<Semaphore>,
    permit_wait: Duration,
    stats: Arc<WireStats>,
    settings: crate::config::AccountSettings,
    breaker: Breaker,
    pace: DefaultDirectRateLimiter,
    metrics: UpstreamMetrics,
}

/// The account's pace: `per_second` calls a second, `burst` at once.
fn pace(per_second: u32, burst: u32) -> DefaultDirectRateLimiter {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    governor::RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
}

impl std::fmt::Debug for TampuuriClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the URL nor the headers: they identify and authenticate the account.
        f.debug_struct("TampuuriClient")
            .field("account", &self.inner.account)
            .finish_non_exhaustive()
    }
}

/// A JSON body, serialized once so retries resend the same bytes.
fn json_body<B: Serialize>(route: &Route, body: &B) -> Result<Bytes, UpstreamError> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| UpstreamError::BadResponse {
            route: route.label,
            detail: format!("cannot encode the request: {e}"),
        })
}

impl TampuuriClient {
    /// The account this client calls as.
    pub fn account(&self) -> &str {
        &self.inner.account
    }

    /// The account's settings (pick-list values, the exactly-once scheme).
    pub fn settings(&self) -> &crate::config::AccountSettings {
        &self.inner.settings
    }

    /// Calls `route` once (plus retries when safe) and decodes the answer as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        route: &Route,
        id: Option<u64>,
        body: Option<&impl Serialize>,
    ) -> Result<T, UpstreamError> {
        let body = body.map(|b| json_body(route, b)).transpose()?;
        let bytes = self.send(route, id, None, body).await?;
        decode(route, &bytes)
    }

    /// Every row of a paged route, page by page (250 rows each) until its total. A row that
    /// cannot be read is skipped with a warning (route, row id, field) and counted in
    /// [`WireStats`]; it never fails the page.
    pub fn browse<'a, T: DeserializeOwned + 'a>(
        &'a self,
        route: &'a Route,
        id: Option<u64>,
        body: Option<&impl Serialize>,
    ) -> impl Stream<Item = Result<Vec<T>, UpstreamError>> + 'a {
        self.browse_with(route, id, None, body)
    }

    /// [`Self::browse`] with one more query parameter (a search word).
    fn browse_with<'a, T: DeserializeOwned + 'a>(
        &'a self,
        route: &'a Route,
        id: Option<u64>,
        search: Option<(&'static str, String)>,
        body: Option<&impl Serialize>,
    ) -> impl Stream<Item = Result<Vec<T>, UpstreamError>> + 'a {
        let body = body.map(|b| json_body(route, b));
        stream::try_unfold(Some(0u64), move |offset| {
            let body = body.clone();
            let search = search.clone();
            async move {
                let Some(offset) = offset else {
                    return Ok(None);
                };
                let body = body.transpose()?;
                let search = search.as_ref().map(|(k, v)| (*k, v.as_str()));
                let bytes = self
                    .send_with(route, id, Some((offset, MAX_LIMIT)), search, body)
                    .await?;
                let page: RawPage = decode(route, &bytes)?;
                self.inner
                    .stats
                    .shape(&self.inner.account, route.label, page.shape);
                let next = next_offset(offset, page.items.len(), page.total, MAX_LIMIT);
                Ok(Some((self.rows(route, &page.items), next)))
            }
        })
    }

    /// Decodes each raw row on its own, skipping (and reporting) the ones that fail.
    pub(crate) fn rows<T: DeserializeOwned>(
        &self,
        route: &Route,
        raw: &[Box<serde_json::value::RawValue>],
    ) -> Vec<T> {
        raw.iter()
            .filter_map(|row| {
                let mut de = serde_json::Deserializer::from_str(row.get());
                match serde_path_to_error::deserialize(&mut de) {
                    Ok(value) => Some(value),
                    Err(e) => {
                        let field = e.path().to_string();
                        let row_id = row_id(row.get());
                        tracing::warn!(
                            route = route.label,
                            account = %self.inner.account,
                            row = row_id.as_deref().unwrap_or("?"),
                            field,
                            "skipped a row Rappu cannot read"
                        );
                        self.inner
                            .stats
                            .skipped(&self.inner.account, route.label, &field, row_id);
                        None
                    }
                }
            })
            .collect()
    }

    /// Every row of a paged route, collected.
    pub async fn browse_all<T: DeserializeOwned>(
        &self,
        route: &Route,
        id: Option<u64>,
        body: Option<&impl Serialize>,
    ) -> Result<Vec<T>, UpstreamError> {
        let pages: Vec<Vec<T>> = self.browse(route, id, body).try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// Every row of a paged GET route searched with `parameter=word` (e.g. `Hakusana`).
    pub async fn search_all<T: DeserializeOwned>(
        &self,
        route: &Route,
        parameter: &'static str,
        word: &str,
    ) -> Result<Vec<T>, UpstreamError> {
        let pages: Vec<Vec<T>> = self
            .browse_with(route, None, Some((parameter, word.to_owned())), NO_BODY)
            .try_collect()
            .await?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// Calls `route` once (plus retries when safe) and returns the raw body, for the
    /// go-live check that inspects what the account sends.
    pub async fn raw(
        &self,
        route: &Route,
        id: Option<u64>,
        body: Option<&impl Serialize>,
        page: bool,
    ) -> Result<Bytes, UpstreamError> {
        let body = body.map(|b| json_body(route, b)).transpose()?;
        self.send(route, id, page.then_some((0, MAX_LIMIT)), body)
            .await
    }

    /// One GET of `route` asking for XML instead of JSON (`Accept: application/xml`), for the
    /// go-live check: the status and content type the account answers such a call with
    /// (counted as a call). An account that answers JSON anyway ignores `Accept`.
    pub async fn probe_accept_xml(
        &self,
        route: &Route,
        id: Option<u64>,
    ) -> Result<(u16, Option<String>), UpstreamError> {
        let inner = &self.inner;
        let url = inner
            .base
            .join(&route.path(id))
            .map_err(|_| UpstreamError::BadResponse {
                route: route.label,
                detail: "cannot build the URL".into(),
            })?;
        let mut headers = inner.headers.clone();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/xml"),
        );
        let response = inner
            .http
            .request(route.method.clone(), url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| UpstreamError::Unavailable {
                route: route.label,
                reason: if e.is_timeout() {
                    "timeout"
                } else {
                    "request failed"
                }
                .into(),
                retry_after: None,
            })?;
        inner.usage.record(&inner.account, route.label);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((response.status().as_u16(), content_type))
    }

    async fn send(
        &self,
        route: &Route,
        id: Option<u64>,
        page: Option<(u64, u64)>,
        body: Option<Bytes>,
    ) -> Result<Bytes, UpstreamError> {
        self.send_with(route, id, page, None, body).await
    }

    async fn send_with(
        &self,
        route: &Route,
        id: Option<u64>,
        page: Option<(u64, u64)>,
        search: Option<(&str, &str)>,
        body: Option<Bytes>,
    ) -> Result<Bytes, UpstreamError> {
        if id.is_some_and(|id| !super::is_possible_id(id)) {
            return Err(UpstreamError::NotFound { route: route.label });
        }
        let mut url =
            self.inner
                .base
                .join(&route.path(id))
                .map_err(|_| UpstreamError::BadResponse {
                    route: route.label,
                    detail: "cannot build the URL".into(),
                })?;
        if let Some((name, word)) = search {
            url.query_pairs_mut().append_pair(name, word);
        }
        if let Some((offset, limit)) = page {
            // Spelled as the help pages write them (vendor (help page)).
            url.query_pairs_mut()
                .append_pair("Limit", &limit.to_string())
                .append_pair("Offset", &offset.to_string());
        }
        let mut attempt = 0;
        loop {
            let result = self.attempt(route, &url, body.clone()).await;
            match result {
                // An open circuit will not be closed by retrying at once.
                Err(UpstreamError::CircuitOpen { .. }) => return result,
                Err(e)
                    if route.safe && e.is_transient() && attempt < self.inner.retry.max_retries =>
                {
                    let delay = self.inner.retry.delay(attempt, retry_after(&e));
                    self.inner
                        .metrics
                        .retries
                        .get_or_create(&RouteLabel { route: route.label })
                        .inc();
                    tracing::warn!(route = route.label, account = %self.inner.account, attempt, error = %e, ?delay, "retrying Tampuuri call");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn attempt(
        &self,
        route: &Route,
        url: &Url,
        body: Option<Bytes>,
    ) -> Result<Bytes, UpstreamError> {
        let inner = &self.inner;
        let admission = inner.breaker.admit(route.label, inner.permit_wait).await?;
        let result = self.attempt_admitted(route, url, body).await;
        inner.breaker.record(admission, result.as_ref().map(|_| ()));
        result
    }

    async fn attempt_admitted(
        &self,
        route: &Route,
        url: &Url,
        body: Option<Bytes>,
    ) -> Result<Bytes, UpstreamError> {
        let inner = &self.inner;
        // The account's pace, then the global cap on calls in flight; neither waits longer
        // than a call may take.
        tokio::time::timeout(inner.permit_wait, inner.pace.until_ready())
            .await
            .map_err(|_| UpstreamError::Saturated)?;
        let _permit = tokio::time::timeout(inner.permit_wait, inner.permits.acquire())
            .await
            .map_err(|_| UpstreamError::Saturated)?
            .map_err(|_| UpstreamError::Saturated)?;
        let mut request = inner
            .http
            .request(route.method.clone(), url.clone())
            .headers(inner.headers.clone());
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let started = Instant::now();
        let unavailable = |reason: String| UpstreamError::Unavailable {
            route: route.label,
            reason,
            retry_after: None,
        };
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                // A call that never connected never reached Tampuuri: not billed, not counted.
                if !e.is_connect() {
                    inner.usage.record(&inner.account, route.label);
                }
                let reason = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                };
                self.observe(route, &reason.replace(' ', "_"), started.elapsed());
                tracing::warn!(route = route.label, account = %inner.account, error = %e.without_url(), "Tampuuri call failed");
                return Err(unavailable(reason.into()));
            }
        };
        inner.usage.record(&inner.account, route.label);
        let status = response.status();
        self.observe(route, status.as_str(), started.elapsed());
        tracing::debug!(route = route.label, account = %inner.account, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "Tampuuri call");
        if !status.is_success() {
            return Err(map_status(
                route,
                &inner.account,
                status,
                response.headers(),
            ));
        }
        read_body(route, response).await
    }
}

impl TampuuriClient {
    /// Counts a call of `route` that ended with `status` after `elapsed`.
    fn observe(&self, route: &Route, status: &str, elapsed: Duration) {
        let metrics = &self.inner.metrics;
        metrics
            .calls
            .get_or_create(&UpstreamCallLabels {
                account: self.inner.account.clone(),
                route: route.label,
                status: status.to_owned(),
            })
            .inc();
        metrics
            .duration
            .get_or_create(&RouteLabel { route: route.label })
            .observe(elapsed);
        // A 2xx is an answer; so is a 404 (the thing is not there) or a 409 (a state
        // conflict the caller handles). Anything else is worth an operator's eye.
        if !(status.starts_with('2') || status == "404" || status == "409") {
            metrics.recent_failures.push(RecentFailure {
                at: chrono::Utc::now(),
                account: self.inner.account.clone(),
                route: route.label,
                status: status.to_owned(),
            });
        }
    }
}

fn map_status(
    route: &Route,
    account: &str,
    status: StatusCode,
    headers: &HeaderMap,
) -> UpstreamError {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            tracing::error!(
                account,
                route = route.label,
                "Tampuuri refused the credentials; check the account's settings"
            );
            UpstreamError::Unauthorized {
                account: account.to_owned(),
            }
        }
        StatusCode::NOT_FOUND => UpstreamError::NotFound { route: route.label },
        StatusCode::CONFLICT => UpstreamError::Conflict { route: route.label },
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => UpstreamError::Unavailable {
            route: route.label,
            reason: format!("status {}", status.as_u16()),
            retry_after: parse_retry_after(headers),
        },
        s if s.is_client_error() => UpstreamError::Rejected {
            route: route.label,
            status: s.as_u16(),
        },
        s => UpstreamError::Unavailable {
            route: route.label,
            reason: format!("status {}", s.as_u16()),
            retry_after: parse_retry_after(headers),
        },
    }
}

fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn retry_after(e: &UpstreamError) -> Option<Duration> {
    match e {
        UpstreamError::Unavailable { retry_after, .. } => *retry_after,
        _ => None,
    }
}

async fn read_body(route: &Route, mut response: reqwest::Response) -> Result<Bytes, UpstreamError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(UpstreamError::BadResponse {
            route: route.label,
            detail: "response too large".into(),
        });
    }
    let mut buf = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(UpstreamError::BadResponse {
                        route: route.label,
                        detail: "response too large".into(),
                    });
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(buf)),
            Err(e) => {
                let reason = if e.is_timeout() {
                    "timeout"
                } else {
                    "body interrupted"
                };
                return Err(UpstreamError::Unavailable {
                    route: route.label,
                    reason: reason.into(),
                    retry_after: None,
                });
            }
        }
    }
}

/// A raw row's `Id` as text, for warnings (never any other field's value).
fn row_id(row: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct RowId {
        #[serde(rename = "Id", default, deserialize_with = "super::wire::opt_text")]
        id: Option<String>,
    }
    serde_json::from_str::<RowId>(row).ok()?.id
}

/// Decodes a body, reporting where it failed but never what it contained.
pub fn decode<T: DeserializeOwned>(route: &Route, bytes: &[u8]) -> Result<T, UpstreamError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let class = match e.inner().classify() {
            serde_json::error::Category::Io => "i/o error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "unexpected shape",
            serde_json::error::Category::Eof => "truncated",
        };
        UpstreamError::BadResponse {
            route: route.label,
            detail: format!("{class} at {}", e.path()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::tampuuri::routes;

    #[test]
    fn decode_errors_name_the_place_not_the_data() {
        #[derive(serde::Deserialize, Debug)]
        struct Row {
            #[serde(rename = "Id")]
            _id: u64,
        }
        let err = decode::<Vec<Row>>(&routes::OBJECT, br#"[{"Id":1},{"Id":"Virtanen"}]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[1].Id"), "{err}");
        assert!(!err.contains("Virtanen"), "{err}");
        let err = decode::<Row>(&routes::OBJECT, b"<html>")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not JSON"), "{err}");
    }
}
