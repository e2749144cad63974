//! Tampuuri's paging envelope: `{"Items": [...], "Metadata": {"Offset", "Limit", "Total"}}`.

use serde::Deserialize;

/// The most rows one call returns.
pub const MAX_LIMIT: u64 = 250;

/// One page of rows.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    /// The rows.
    #[serde(rename = "Items", default = "Vec::new")]
    pub items: Vec<T>,
    /// Where this page sits in the whole result.
    #[serde(rename = "Metadata")]
    pub metadata: PageMetadata,
}

/// Position of a page.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageMetadata {
    /// Rows skipped.
    #[serde(rename = "Offset", default)]
    pub offset: u64,
    /// Rows asked for (after Tampuuri's cap).
    #[serde(rename = "Limit", default)]
    pub limit: u64,
    /// Rows in the whole result.
    #[serde(rename = "Total")]
    pub total: u64,
}

/// Where the next page starts, or `None` when `fetched` rows cover `total`.
///
/// Stops as well when a page came back empty before `total` was reached: a result that
/// shrank while being read must not loop forever.
pub fn next_offset(offset: u64, page_len: usize, total: u64) -> Option<u64> {
    let next = offset + page_len as u64;
    (page_len > 0 && next < total).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_to_total() {
        assert_eq!(next_offset(0, 250, 275), Some(250));
        assert_eq!(next_offset(250, 25, 275), None);
        assert_eq!(next_offset(0, 0, 0), None);
        assert_eq!(next_offset(0, 250, 250), None);
        assert_eq!(next_offset(0, 0, 10), None, "an empty page ends the walk");
    }

    #[test]
    fn tolerates_unknown_members() {
        let p: Page<u32> = serde_json::from_str(
            r#"{"Items":[1,2],"Metadata":{"Offset":0,"Limit":250,"Total":2,"Uusi":1},"Extra":true}"#,
        )
        .unwrap();
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.metadata.total, 2);
    }
}
