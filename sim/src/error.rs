//! The one error type of the HTTP surface: every failure answers a status and a JSON body
//! `{"Message": "..."}`, never a panic or a plain-text rejection.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::world::WorldError;

/// An error answered to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed request.
    #[error("{0}")]
    BadRequest(String),
    /// 403: authentication failed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing.
    #[error("{0}")]
    NotFound(String),
    /// 409: not allowed in the current state.
    #[error("{0}")]
    Conflict(String),
    /// Any other status: a fault switch, a wrong method.
    #[error("{1}")]
    Status(StatusCode, String),
}

/// The error body Tampuuri answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody<'a> {
    message: &'a str,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Status(status, _) => *status,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        (self.status(), Json(ErrorBody { message: &message })).into_response()
    }
}

impl From<WorldError> for ApiError {
    fn from(e: WorldError) -> Self {
        match e {
            WorldError::NotFound(m) => Self::NotFound(m),
            WorldError::Invalid(m) => Self::BadRequest(m),
            WorldError::Conflict(m) => Self::Conflict(m),
        }
    }
}
