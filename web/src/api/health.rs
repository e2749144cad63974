//! `GET /healthz`.

use rappu_shared::Health;

use super::{ApiError, get_json};

/// Asks the gateway that served this page whether it is up.
pub async fn fetch_health() -> Result<Health, ApiError> {
    get_json("/healthz").await
}
