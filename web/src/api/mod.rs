//! Talking to the gateway. Same origin only: paths, never absolute URLs. The session lives
//! in an HttpOnly cookie the browser sends by itself; the app never sees or stores a token.
//! Request and response types come from `rappu-shared`, the definitions the gateway
//! serialises. State-changing requests need nothing extra for CSRF: the browser marks them
//! `Sec-Fetch-Site: same-origin`, which is what the gateway checks.
//!
//! One generic [`request`] sends a [`Call`] and decodes the JSON answer; every failure is an
//! [`ApiError`] a page can branch on.

mod display;
mod health;
mod pairing;
mod reports;
mod session;

pub use display::{EVENTS_PATH, FeedFetch, QR_PATH, enroll_display, fetch_feed};
pub use health::fetch_health;
pub use pairing::{
    approve_pairing, caretaker_session, open_caretaker_link, pairing_qr, poll_pairing,
    renew_display_session, start_pairing,
};
pub use reports::{file_report, get_report, list_reports, photo_url};
pub use session::{
    demo_login, demo_residents, login, logout, my_contact, my_role, pick_apartment, request_link,
};

use std::fmt;

use gloo_net::http::{Method, RequestBuilder, Response};
use rappu_shared::{FieldError, Problem};
use serde::Serialize;
use serde::de::DeserializeOwned;
use web_sys::RequestCache;

/// How long a request may take before it counts as a network failure.
const DEFAULT_TIMEOUT_MS: u32 = 15_000;

/// Why a request to the gateway gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: no session, or it ended (expired, revoked, signed out).
    Unauthorized,
    /// 403: the session's role may not do this (e.g. a display session in the portal).
    Forbidden,
    /// 404: no such thing, or not the caller's.
    NotFound,
    /// 422 with field errors: each bad field by path (`title`, `photos[1].data`).
    Validation(Vec<FieldError>),
    /// 429: too many requests; try again after this many seconds.
    RateLimited {
        /// From `Retry-After`, when the gateway sent it.
        retry_after: Option<u32>,
    },
    /// 502, 503, 504: the gateway or what is behind it is down for now.
    Unavailable,
    /// The request did not complete: offline, gateway down, timed out.
    Network(String),
    /// A success status with a body that is not what we expect.
    Decode(String),
    /// Any other problem document (RFC 9457); branch on [`Problem::slug`].
    Other(Box<Problem>),
    /// Any other status without a readable problem document.
    Status(u16),
}

impl ApiError {
    /// The error for a non-success answer: status, its problem document if it had one, and
    /// `Retry-After` in seconds.
    pub fn from_answer(status: u16, problem: Option<Problem>, retry_after: Option<u32>) -> Self {
        match status {
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            429 => Self::RateLimited { retry_after },
            502..=504 => Self::Unavailable,
            _ => match problem {
                Some(p) if status == 422 && !p.errors.is_empty() => Self::Validation(p.errors),
                Some(p) => Self::Other(Box::new(p)),
                None => Self::Status(status),
            },
        }
    }

    /// The problem type's slug (`invalid-code`, ...) for [`ApiError::Other`].
    pub fn slug(&self) -> Option<&str> {
        match self {
            Self::Other(problem) => Some(problem.slug()),
            _ => None,
        }
    }

    /// Whether trying again later may work (the gateway or the network is down), as opposed
    /// to an answer that will not change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Network(_) | Self::Unavailable | Self::RateLimited { .. }
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("not signed in"),
            Self::Forbidden => f.write_str("not allowed"),
            Self::NotFound => f.write_str("not found"),
            Self::Validation(errors) => write!(f, "{} invalid field(s)", errors.len()),
            Self::RateLimited { .. } => f.write_str("too many requests"),
            Self::Unavailable => f.write_str("service unavailable"),
            Self::Network(detail) => write!(f, "network error ({detail})"),
            Self::Decode(detail) => write!(f, "unexpected answer ({detail})"),
            Self::Other(problem) => match &problem.detail {
                Some(detail) => write!(f, "{detail} ({})", problem.status),
                None => write!(f, "{} ({})", problem.title, problem.status),
            },
            Self::Status(status) => write!(f, "HTTP {status}"),
        }
    }
}

/// One request to the gateway: method, path, headers, JSON body.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    timeout_ms: u32,
}

impl Call {
    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }

    /// `POST path` (with no body until [`Call::json`]).
    pub fn post(path: impl Into<String>) -> Self {
        Self {
            method: Method::POST,
            ..Self::get(path)
        }
    }

    /// Adds a request header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// How long the request may take before it counts as a network failure.
    pub fn timeout(mut self, ms: u32) -> Self {
        self.timeout_ms = ms;
        self
    }

    /// Sets a JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, ApiError> {
        let text = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
        self.body = Some(text);
        Ok(self)
    }

    /// Sets a JSON body already written.
    pub fn json_text(mut self, text: String) -> Self {
        self.body = Some(text);
        self
    }

    fn builder(&self) -> RequestBuilder {
        // No HTTP cache: answers are per session and change; the feed's own ETag
        // revalidation is done by hand (If-None-Match), so a 304 reaches the app.
        let mut builder = RequestBuilder::new(&self.path)
            .method(self.method.clone())
            .cache(RequestCache::NoStore)
            .header("Accept", "application/json")
            .abort_signal(Some(&web_sys::AbortSignal::timeout_with_u32(
                self.timeout_ms,
            )));
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if self.body.is_some() {
            builder = builder.header("Content-Type", "application/json");
        }
        builder
    }
}

/// Sends a call; a 2xx or 304 answer is returned, anything else is the [`ApiError`] it
/// stands for.
pub async fn send(call: &Call) -> Result<Response, ApiError> {
    let builder = call.builder();
    let request = match &call.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Network(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if response.ok() || response.status() == 304 {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get("Retry-After")
        .and_then(|v| v.trim().parse().ok());
    let problem = response.json::<Problem>().await.ok();
    Err(ApiError::from_answer(
        response.status(),
        problem,
        retry_after,
    ))
}

/// Sends a call and decodes the answer's JSON as `T`; a `204 No Content` decodes as JSON
/// `null` (so `T = ()` fits).
pub async fn request<T: DeserializeOwned>(call: Call) -> Result<T, ApiError> {
    let response = send(&call).await?;
    if response.status() == 204 {
        return serde_json::from_str("null").map_err(|e| ApiError::Decode(e.to_string()));
    }
    response
        .json::<T>()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

/// A path segment, percent-encoded.
pub fn segment(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

// Below the rest so the other programs' code keeps its lines (and their panic locations'
// bytes): only the console deletes.
impl Call {
    /// The same call as `DELETE`.
    pub fn method_delete(mut self) -> Self {
        self.method = Method::DELETE;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_what_a_page_does_next() {
        assert_eq!(
            ApiError::from_answer(401, None, None),
            ApiError::Unauthorized
        );
        assert_eq!(ApiError::from_answer(404, None, None), ApiError::NotFound);
        assert_eq!(
            ApiError::from_answer(429, None, Some(7)),
            ApiError::RateLimited {
                retry_after: Some(7)
            }
        );
        assert_eq!(
            ApiError::from_answer(503, None, None),
            ApiError::Unavailable
        );
        assert_eq!(
            ApiError::from_answer(500, None, None),
            ApiError::Status(500)
        );
        let invalid = Problem::new("validation", "Invalid", 422)
            .with_errors(vec![FieldError::new("title", "is required")]);
        assert_eq!(
            ApiError::from_answer(422, Some(invalid), None),
            ApiError::Validation(vec![FieldError::new("title", "is required")])
        );
        let code = Problem::new("invalid-code", "Invalid link", 400);
        let error = ApiError::from_answer(400, Some(code), None);
        assert_eq!(error.slug(), Some("invalid-code"));
        assert!(!error.is_transient());
        assert!(ApiError::Network("x".into()).is_transient());
    }
}
