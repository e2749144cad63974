//! Talking to the gateway. Same origin only: paths, never absolute URLs; the browser session
//! cookie rides along by default, tokens are never stored by the app. Request and response
//! types come from `rappu-shared`, the same definitions the gateway serialises.

mod health;

pub use health::fetch_health;

use std::fmt;

use gloo_net::http::{Request, Response};
use rappu_shared::Problem;
use serde::de::DeserializeOwned;

/// Why a request to the gateway gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request did not complete (offline, gateway down, blocked).
    Network(String),
    /// The gateway refused with a problem document (RFC 9457), e.g. a validation error.
    Problem(Box<Problem>),
    /// The gateway answered a non-success status without a readable problem document.
    Status(u16),
    /// The body was not the JSON we expect.
    Decode(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(detail) => write!(f, "verkkovirhe ({detail})"),
            Self::Problem(problem) => write!(f, "{} ({})", problem.title, problem.status),
            Self::Status(status) => write!(f, "palvelin vastasi {status}"),
            Self::Decode(detail) => write!(f, "odottamaton vastaus ({detail})"),
        }
    }
}

/// `GET path` and decode the JSON body as `T`.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    decode(response).await
}

/// A 2xx body as `T`; anything else as the most specific [`ApiError`] it can be.
async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|error| ApiError::Decode(error.to_string()));
    }
    match response.json::<Problem>().await {
        Ok(problem) => Err(ApiError::Problem(Box::new(problem))),
        Err(_) => Err(ApiError::Status(response.status())),
    }
}
