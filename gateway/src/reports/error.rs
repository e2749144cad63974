//! What filing and reading reports can fail with, and how the HTTP layer shows it.

use rappu_shared::FieldError;

use crate::error::ApiError;
use crate::store::StoreError;
use crate::upstream::tampuuri::UpstreamError;

/// A refused or failed report operation.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Fields (or photos) are invalid; every one is named.
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// The `Idempotency-Key` header is missing or malformed.
    #[error("{0}")]
    BadKey(String),
    /// The key was already used by this caller for a different request.
    #[error("the Idempotency-Key was already used for a different request")]
    KeyReused,
    /// No such report, or not the caller's (the two are never told apart).
    #[error("no such fault report")]
    NotFound,
    /// The report is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// Tampuuri failed (reads and partner transitions only: filing never waits for it).
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid(errors) => ApiError::Validation(errors),
            ReportError::BadKey(message) => ApiError::BadRequest(message),
            ReportError::KeyReused => ApiError::Validation(vec![FieldError::new(
                "Idempotency-Key",
                "was already used for a different request; use a new key for a new report",
            )]),
            ReportError::NotFound => ApiError::NotFound("no such fault report".into()),
            ReportError::Conflict(message) => ApiError::Conflict(message),
            ReportError::Upstream(UpstreamError::NotFound { .. }) => {
                ApiError::NotFound("no such fault report".into())
            }
            ReportError::Upstream(e) => ApiError::Upstream(e),
            ReportError::Store(e) => ApiError::Store(e),
            ReportError::Internal(message) => ApiError::Internal(message),
        }
    }
}
