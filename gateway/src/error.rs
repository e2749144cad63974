//! The one error type of the HTTP layer. Every variant becomes an RFC 9457 problem document;
//! internal details are logged, never shown.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rappu_shared::problem::PROBLEM_JSON;
use rappu_shared::{FieldError, Problem};

use crate::auth::TokenError;
use crate::http::context;
use crate::store::StoreError;
use crate::upstream::tampuuri::UpstreamError;

/// Anything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials were sent.
    #[error("this resource needs a bearer token or a session")]
    Unauthenticated,
    /// The credentials were refused.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A one-time code is unknown, used or expired (which one is not told).
    #[error("the link is not valid: it is unknown, already used or expired")]
    InvalidCode,
    /// Something that worked for a while (a display's pairing, a caretaker link) is
    /// unknown, used or expired; the client starts over.
    #[error("{0}")]
    Expired(String),
    /// A webhook came with a wrong or missing shared secret.
    #[error("the webhook secret is missing or wrong")]
    WebhookSecret,
    /// The caller's role may not do this; names the role(s) that may.
    #[error("this resource needs the {0} role")]
    WrongRole(&'static str),
    /// The caller's token lacks the scope (OAuth 2.0, RFC 6750 §3.1); names the scope.
    #[error("this resource needs the {0} scope")]
    InsufficientScope(&'static str),
    /// The caller's role may, but not for this object.
    #[error("{0}")]
    OutOfScope(String),
    /// No such resource (or not the caller's).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed (bad JSON syntax, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// The body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is larger than allowed.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// Fields are missing or invalid.
    #[error("{} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// The resource is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests.
    #[error("too many requests")]
    RateLimited {
        /// When to try again.
        retry_after: Duration,
    },
    /// Tampuuri failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug or an impossible state; the message is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The problem document and HTTP status for this error.
    pub fn to_problem(&self) -> Problem {
        let (slug, title, status) = self.kind();
        let detail = match self {
            // Never show internals; the request id ties the log line to the caller's report.
            ApiError::Store(_) | ApiError::Internal(_) => {
                "Something went wrong on our side. Quote the request id when asking for help."
                    .to_owned()
            }
            ApiError::Upstream(e) => upstream_detail(e).to_owned(),
            other => other.to_string(),
        };
        let mut problem = Problem::new(slug, title, status.as_u16()).with_detail(detail);
        if let ApiError::Validation(errors) = self {
            problem.errors = errors.clone();
        }
        context::fill(&mut problem);
        problem
    }

    fn kind(&self) -> (&'static str, &'static str, StatusCode) {
        use StatusCode as S;
        match self {
            ApiError::Unauthenticated => (
                "unauthenticated",
                "Authentication required",
                S::UNAUTHORIZED,
            ),
            ApiError::Token(_) => ("invalid-token", "Invalid credentials", S::UNAUTHORIZED),
            ApiError::WebhookSecret => {
                ("invalid-secret", "Invalid webhook secret", S::UNAUTHORIZED)
            }
            ApiError::InvalidCode => ("invalid-code", "Invalid link", S::BAD_REQUEST),
            ApiError::Expired(_) => ("expired", "Expired or unknown", S::GONE),
            ApiError::WrongRole(_) => ("forbidden", "Not allowed for this role", S::FORBIDDEN),
            ApiError::InsufficientScope(_) => (
                "insufficient-scope",
                "The token lacks the scope",
                S::FORBIDDEN,
            ),
            ApiError::OutOfScope(_) => {
                ("out-of-scope", "Not allowed for this object", S::FORBIDDEN)
            }
            ApiError::NotFound(_) => ("not-found", "Not found", S::NOT_FOUND),
            ApiError::BadRequest(_) => ("bad-request", "Malformed request", S::BAD_REQUEST),
            ApiError::UnsupportedMediaType(_) => (
                "unsupported-media-type",
                "Unsupported media type",
                S::UNSUPPORTED_MEDIA_TYPE,
            ),
            ApiError::PayloadTooLarge(_) => (
                "payload-too-large",
                "Request body too large",
                S::PAYLOAD_TOO_LARGE,
            ),
            ApiError::Validation(_) => (
                "validation",
                "The request has invalid fields",
                S::UNPROCESSABLE_ENTITY,
            ),
            ApiError::Conflict(_) => ("conflict", "Conflicting state", S::CONFLICT),
            ApiError::RateLimited { .. } => {
                ("rate-limited", "Too many requests", S::TOO_MANY_REQUESTS)
            }
            ApiError::Upstream(e) => match e {
                UpstreamError::NotFound { .. } => ("not-found", "Not found", S::NOT_FOUND),
                UpstreamError::Conflict { .. } => ("conflict", "Conflicting state", S::CONFLICT),
                UpstreamError::Unavailable { .. }
                | UpstreamError::Saturated
                | UpstreamError::CircuitOpen { .. } => (
                    "upstream-unavailable",
                    "Property data is temporarily unavailable",
                    S::SERVICE_UNAVAILABLE,
                ),
                UpstreamError::Unauthorized { .. }
                | UpstreamError::Rejected { .. }
                | UpstreamError::BadResponse { .. } => (
                    "upstream-failed",
                    "The property-management system could not be used",
                    S::BAD_GATEWAY,
                ),
            },
            ApiError::Store(_) => (
                "unavailable",
                "Temporarily unavailable",
                S::SERVICE_UNAVAILABLE,
            ),
            ApiError::Internal(_) => ("internal", "Internal error", S::INTERNAL_SERVER_ERROR),
        }
    }
}

/// What a caller may learn about an upstream failure: nothing about Tampuuri's URL,
/// credentials or answers.
fn upstream_detail(e: &UpstreamError) -> &'static str {
    match e {
        UpstreamError::NotFound { .. } => "No such object.",
        UpstreamError::Conflict { .. } => "The object is not in a state that allows this.",
        UpstreamError::Unavailable { .. }
        | UpstreamError::Saturated
        | UpstreamError::CircuitOpen { .. } => {
            "The property-management system is not answering. Try again shortly."
        }
        _ => {
            "The property-management system did not accept Rappu's request. The operator has been told."
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(_) | ApiError::Store(_) => {
                tracing::error!(error = %self, "request failed");
            }
            ApiError::Upstream(e) if !matches!(e, UpstreamError::NotFound { .. }) => {
                tracing::warn!(error = %e, "upstream failure");
            }
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let problem = self.to_problem();
        let mut response = problem_response(&problem);
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::Token(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            ApiError::InsufficientScope(scope) => {
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
                )) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::RateLimited { retry_after } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after.as_secs().max(1)),
                );
            }
            ApiError::Upstream(UpstreamError::CircuitOpen { retry_after, .. }) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after.as_secs().max(1)),
                );
            }
            ApiError::Upstream(UpstreamError::Unavailable { .. } | UpstreamError::Saturated)
            | ApiError::Store(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// A problem document as a response with its status and media type.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
