//! Paging: `?limit=&offset=` in, `{"Items": [...], "Metadata": {...}}` out. The limit is
//! capped at 250 (a larger one is clamped and the clamped value reported), 50 when absent;
//! a negative or non-numeric value answers 400.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The most rows one call returns.
pub const MAX_LIMIT: usize = 250;
/// Rows per call when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 50;

/// A page request from the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows to skip.
    pub offset: usize,
    /// Rows to return (already clamped).
    pub limit: usize,
}

/// A page of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Where the rows are in the whole result.
    pub metadata: PageMetadata,
}

/// Paging metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PageMetadata {
    /// The offset asked for.
    pub offset: usize,
    /// The limit applied.
    pub limit: usize,
    /// Rows in the whole result.
    pub total: usize,
}

/// A non-negative integer; an overlong one saturates (it is clamped or past the end anyway).
fn number(name: &str, value: &str) -> Result<usize, ApiError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest(format!(
            "Virheellinen {name}: {value:?} (ei-negatiivinen kokonaisluku)"
        )));
    }
    Ok(value.parse().unwrap_or(usize::MAX))
}

impl PageRequest {
    /// Parse a raw query string.
    pub fn from_query(query: Option<&str>) -> Result<Self, ApiError> {
        let mut page = Self {
            offset: 0,
            limit: DEFAULT_LIMIT,
        };
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key.eq_ignore_ascii_case("limit") {
                page.limit = number("limit", value)?.min(MAX_LIMIT);
            } else if key.eq_ignore_ascii_case("offset") {
                page.offset = number("offset", value)?;
            }
        }
        Ok(page)
    }

    /// This page's window of `rows`.
    pub fn window<'r, T>(&self, rows: &'r [T]) -> &'r [T] {
        let start = self.offset.min(rows.len());
        let end = start.saturating_add(self.limit).min(rows.len());
        &rows[start..end]
    }

    /// The metadata of this page of a result of `total` rows.
    pub fn metadata(&self, total: usize) -> PageMetadata {
        PageMetadata {
            offset: self.offset,
            limit: self.limit,
            total,
        }
    }

    /// The page of `rows`, each row turned into its wire form by `view`.
    pub fn page<T, U>(&self, rows: &[T], view: impl Fn(&T) -> U) -> Page<U> {
        Page {
            items: self.window(rows).iter().map(view).collect(),
            metadata: self.metadata(rows.len()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_query(parts.uri.query())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_clamps() {
        let p = PageRequest::from_query(None).unwrap();
        assert_eq!((p.offset, p.limit), (0, 50));
        let p = PageRequest::from_query(Some("limit=1000&offset=3")).unwrap();
        assert_eq!((p.offset, p.limit), (3, 250));
        let p = PageRequest::from_query(Some("limit=99999999999999999999999")).unwrap();
        assert_eq!(p.limit, 250);
        for bad in ["limit=-1", "limit=abc", "offset=-5", "limit=", "offset=1.5"] {
            assert!(PageRequest::from_query(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows() {
        let rows: Vec<u32> = (0..10).collect();
        let p = PageRequest {
            offset: 8,
            limit: 5,
        };
        assert_eq!(p.window(&rows), &[8, 9]);
        let p = PageRequest {
            offset: usize::MAX,
            limit: usize::MAX,
        };
        assert!(p.window(&rows).is_empty());
        let page = PageRequest {
            offset: 2,
            limit: 3,
        }
        .page(&rows, |x| x * 10);
        assert_eq!(page.items, vec![20, 30, 40]);
        assert_eq!(page.metadata.total, 10);
    }
}
