//! `GET /healthz`.

use rappu_shared::Health;

use super::{ApiError, Call, request};

/// Asks the gateway that served this page whether it is up.
pub async fn fetch_health() -> Result<Health, ApiError> {
    request(Call::get("/healthz")).await
}
