//! Per-request context for error documents, the safety net that turns every error
//! response into problem+json, and the security headers every response carries.
//!
//! Errors are built deep inside handlers and extractors that do not see the request; the
//! request id and path travel to them in a task-local set by the request envelope
//! ([`super::envelope`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use axum::body::{Body, to_bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use rappu_shared::Problem;
use rappu_shared::problem::PROBLEM_JSON;
use tokio::task::futures::TaskLocalFuture;

use crate::error::problem_response;

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// What an error document says about the request it answers. Cheap to make for every
/// request (reference-counted clones); turned into text only when an error needs it.
#[derive(Debug, Clone)]
pub struct RequestContext {
    request_id: Option<HeaderValue>,
    uri: Uri,
    /// The kind of caller, noted by the token check; only kept when access lines are
    /// written (see [`RequestContext::noting_principal`]).
    principal: Option<Arc<AtomicU8>>,
}

/// The kind of caller an access line names (never who).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PrincipalKind {
    /// No credentials.
    Anonymous = 0,
    /// A display token or session.
    Display,
    /// A resident.
    Resident,
    /// A maintenance partner.
    Partner,
    /// An operator.
    Admin,
    /// Credentials that did not verify.
    Invalid,
    /// A registered third-party app.
    App,
}

impl PrincipalKind {
    const NAMES: [&'static str; 7] = [
        "anonymous",
        "display",
        "resident",
        "partner",
        "admin",
        "invalid",
        "app",
    ];

    /// The kind of `grant`.
    pub fn of(grant: &rappu_shared::Grant) -> Self {
        match grant {
            rappu_shared::Grant::Display { .. } => Self::Display,
            rappu_shared::Grant::Resident { .. } => Self::Resident,
            rappu_shared::Grant::Partner { .. } => Self::Partner,
            rappu_shared::Grant::Admin => Self::Admin,
            rappu_shared::Grant::App { .. } => Self::App,
        }
    }
}

/// Notes the kind of the current request's caller for its access line (a no-op unless
/// `log.access` is on, and outside a request).
pub fn note_principal(kind: PrincipalKind) {
    let _ = CONTEXT.try_with(|c| {
        if let Some(noted) = &c.principal {
            noted.store(kind as u8, Ordering::Relaxed);
        }
    });
}

impl RequestContext {
    /// The context of a request with this id and URI.
    pub fn new(request_id: Option<HeaderValue>, uri: Uri) -> Self {
        Self {
            request_id,
            uri,
            principal: None,
        }
    }

    /// The same context, keeping the kind of caller [`note_principal`] is told.
    pub fn noting_principal(mut self) -> Self {
        self.principal = Some(Arc::new(AtomicU8::new(PrincipalKind::Anonymous as u8)));
        self
    }

    /// The kind of caller noted so far.
    pub fn principal(&self) -> &'static str {
        let kind = self
            .principal
            .as_ref()
            .map_or(0, |p| p.load(Ordering::Relaxed));
        PrincipalKind::NAMES
            .get(usize::from(kind))
            .copied()
            .unwrap_or("anonymous")
    }

    /// The request id as the caller sent it (or as made up).
    pub fn request_id_header(&self) -> Option<HeaderValue> {
        self.request_id.clone()
    }

    fn request_id(&self) -> Option<String> {
        self.request_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Returns the request id and adds the `SECURITY_HEADERS` `response` lacks (unless it
    /// is a 304: it carries no content, and the browser keeps the headers of the response it
    /// revalidates and updates only those the 304 sends (RFC 9111 §4.3.4), so the security
    /// headers of that 200 stay in force. Display polls are mostly 304s).
    pub fn add_headers(&self, response: &mut Response) {
        let status = response.status();
        let headers = response.headers_mut();
        if let Some(id) = &self.request_id {
            headers.entry(X_REQUEST_ID).or_insert_with(|| id.clone());
        }
        if status != StatusCode::NOT_MODIFIED {
            for (name, value) in SECURITY_HEADERS {
                headers.entry(name).or_insert(value);
            }
            // An answer that says nothing about caching is personal until shown otherwise
            // (the feed, the web app and the docs set their own).
            headers
                .entry(header::CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
        }
    }

    /// Whether `response` is an error that is not yet problem+json (a 404 from routing, a
    /// 405, a 413 from the body limit, a timeout, a panic) and must be converted.
    pub fn needs_problem(response: &Response) -> bool {
        let status = response.status();
        (status.is_client_error() || status.is_server_error())
            && response.extensions().get::<KeepBody>().is_none()
            && !response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
    }

    /// Converts `response` into a problem document, keeping its status and headers.
    pub async fn into_problem(self, response: Response) -> Response {
        self.to_problem(response).await
    }

    async fn to_problem(&self, response: Response) -> Response {
        let status = response.status();
        let (mut parts, body) = response.into_parts();
        // A short plain-text reason from axum's own rejections is worth passing on for 4xx;
        // a server error's body is never shown.
        let is_text = parts
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
        let detail = if status.is_client_error() && is_text {
            to_bytes(body, 2048)
                .await
                .ok()
                .and_then(|b| String::from_utf8(b.to_vec()).ok())
                .filter(|s| !s.trim().is_empty())
        } else {
            None
        };
        let (slug, title) = match status.as_u16() {
            400 => ("bad-request", "Malformed request"),
            403 => ("forbidden", "Forbidden"),
            404 => ("not-found", "Not found"),
            405 => ("method-not-allowed", "Method not allowed"),
            408 => ("timeout", "Request timed out"),
            413 => ("payload-too-large", "Request body too large"),
            415 => ("unsupported-media-type", "Unsupported media type"),
            422 => ("validation", "The request has invalid fields"),
            429 => ("rate-limited", "Too many requests"),
            503 => ("unavailable", "Temporarily unavailable"),
            s if s >= 500 => ("internal", "Internal error"),
            _ => ("client-error", "The request cannot be served"),
        };
        let mut problem = Problem::new(slug, title, status.as_u16());
        problem.detail = detail;
        problem.request_id = self.request_id();
        problem.instance = Some(self.uri.path().to_owned());
        let fresh = problem_response(&problem);
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_ENCODING);
        for (name, value) in fresh.headers() {
            parts.headers.insert(name.clone(), value.clone());
        }
        let (_, body) = fresh.into_parts();
        Response::from_parts(parts, Body::new(body))
    }
}

/// Marks an error response whose body is already what its protocol prescribes (the token
/// endpoint's RFC 6749 errors, which are problem documents too, as `application/json`).
#[derive(Debug, Clone, Copy)]
pub struct KeepBody;

/// Fills `request_id` and `instance` of `problem` from the current request, if any.
pub fn fill(problem: &mut Problem) {
    let _ = CONTEXT.try_with(|c| {
        problem.request_id = c.request_id();
        problem.instance = Some(c.uri.path().to_owned());
    });
}

/// The request id of the current request, if any.
pub fn request_id() -> Option<String> {
    CONTEXT.try_with(RequestContext::request_id).ok().flatten()
}

/// The request id header, set by the outermost layer and returned on every response.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Security headers for every response that does not set its own (the web app and the API
/// docs set a wider Content-Security-Policy). JSON is never framed, sniffed or referred.
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
];

/// Runs `f` (a request's handling) inside `context`, so errors built anywhere in it carry
/// the request id and path.
pub fn scope<F: Future>(context: RequestContext, f: F) -> TaskLocalFuture<RequestContext, F> {
    CONTEXT.scope(context, f)
}

/// Runs the synchronous `f` inside `context` (a service's `call`, before its future).
pub fn sync_scope<R>(context: RequestContext, f: impl FnOnce() -> R) -> R {
    CONTEXT.sync_scope(context, f)
}
