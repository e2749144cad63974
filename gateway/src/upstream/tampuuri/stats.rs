//! What the client learned about the account's wire while reading it: rows it had to skip
//! (by route and field, with the last row's id) and the paging shape each route answers in.
//! Shown to the operator (`GET /api/v1/admin/upstream`) and in `rappu verify-upstream`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::paging::PagingShape;

/// Rows of one route skipped for one field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SkippedRows {
    /// Tampuuri account.
    pub account: String,
    /// Route template, e.g. `POST osapuolet/yhteydet/selaa`.
    pub route: String,
    /// Where decoding failed, e.g. `Osapuoli.Id` (a path, never a value).
    pub field: String,
    /// Rows skipped so far.
    pub count: u64,
    /// The last skipped row's `Id`, when it had a readable one.
    pub last_row_id: Option<String>,
    /// When the last one was skipped.
    pub last_at: DateTime<Utc>,
}

/// The paging shape a route answered in last.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RouteShape {
    /// Tampuuri account.
    pub account: String,
    /// Route template.
    pub route: String,
    /// `nested`, `flat` or `bare`.
    #[schema(value_type = String)]
    pub shape: PagingShape,
}

/// The collected facts; shared by every account's client.
#[derive(Debug, Default)]
pub struct WireStats {
    skipped: Mutex<BTreeMap<(String, &'static str, String), SkippedRows>>,
    shapes: Mutex<BTreeMap<(String, &'static str), PagingShape>>,
}

impl WireStats {
    /// Counts a skipped row.
    pub fn skipped(&self, account: &str, route: &'static str, field: &str, row: Option<String>) {
        let mut map = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map
            .entry((account.to_owned(), route, field.to_owned()))
            .or_insert_with(|| SkippedRows {
                account: account.to_owned(),
                route: route.to_owned(),
                field: field.to_owned(),
                count: 0,
                last_row_id: None,
                last_at: Utc::now(),
            });
        entry.count += 1;
        entry.last_row_id = row;
        entry.last_at = Utc::now();
    }

    /// Records the shape a page of `route` came in.
    pub fn shape(&self, account: &str, route: &'static str, shape: PagingShape) {
        self.shapes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((account.to_owned(), route), shape);
    }

    /// Every count of skipped rows.
    pub fn skipped_rows(&self) -> Vec<SkippedRows> {
        self.skipped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The shape each paged route was last seen in.
    pub fn shapes(&self) -> Vec<RouteShape> {
        self.shapes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|((account, route), shape)| RouteShape {
                account: account.clone(),
                route: (*route).to_owned(),
                shape: *shape,
            })
            .collect()
    }
}
