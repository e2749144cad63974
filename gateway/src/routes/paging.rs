//! `?offset=&limit=` of Rappu's own paged lists.

use rappu_shared::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 20;
/// Largest page size.
pub const MAX_LIMIT: u64 = 100;
/// Largest offset: far beyond any list Rappu keeps, and well inside what the database's
/// signed 64-bit integers hold.
pub const MAX_OFFSET: u64 = 1_000_000;

/// Which page.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows to skip, 0 to 1000000 (default 0).
    #[param(minimum = 0, maximum = 1_000_000)]
    pub offset: Option<u64>,
    /// Rows per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl PageQuery {
    /// `(offset, limit)`, or a 422 naming each one out of range.
    pub fn resolve(self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = self.offset.unwrap_or(0);
        let mut errors = Vec::new();
        if offset > MAX_OFFSET {
            errors.push(FieldError::new(
                "offset",
                format!("must be between 0 and {MAX_OFFSET}"),
            ));
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if errors.is_empty() {
            Ok((offset, limit))
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}
