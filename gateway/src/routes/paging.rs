//! `?offset=&limit=` of Rappu's own paged lists.

use rappu_shared::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 20;
/// Largest page size.
pub const MAX_LIMIT: u64 = 100;

/// Which page.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows per page, 1 to 100 (default 20).
    pub limit: Option<u64>,
}

impl PageQuery {
    /// `(offset, limit)`, or a 422 naming `limit`.
    pub fn resolve(self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::Validation(vec![FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )]));
        }
        Ok((self.offset.unwrap_or(0), limit))
    }
}
