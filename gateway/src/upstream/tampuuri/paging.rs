//! Tampuuri's paging, in both shapes it is known to come in: nested
//! `{"Items": [...], "Metadata": {"Offset", "Limit", "Total"}}` (vendor (seed) 003) and flat
//! `{"Offset", "Limit", "Total", "Items": [...]}` (vendor (help page) of
//! `GET tiedostoloki/selaa/{tyyppi}`). The query parameters are sent as the help writes
//! them, `Offset` and `Limit`.
//!
//! Rows stay raw JSON here: the client decodes each one on its own, so a row it cannot read
//! is skipped (with a warning naming the route, the row's id and the field) instead of
//! failing the page.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::wire;

/// The most rows one call returns.
pub const MAX_LIMIT: u64 = 250;

/// Which of the two shapes a page came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PagingShape {
    /// `{"Items", "Metadata": {...}}`.
    Nested,
    /// `{"Offset", "Limit", "Total", "Items"}`.
    Flat,
    /// A bare JSON array (routes that do not page).
    Bare,
}

/// One page of rows, not yet decoded.
#[derive(Debug)]
pub struct RawPage {
    /// The rows.
    pub items: Vec<Box<RawValue>>,
    /// Rows in the whole result, when the page says.
    pub total: Option<u64>,
    /// The shape it came in.
    pub shape: PagingShape,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(rename = "Total", default, deserialize_with = "wire::opt_int")]
    total: Option<u64>,
}

/// A lenient total (a number or a string of digits; anything else unknown).
struct Total(Option<u64>);

impl<'de> Deserialize<'de> for Total {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        wire::opt_int(d).map(Total)
    }
}

impl<'de> Deserialize<'de> for RawPage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PageVisitor;
        impl<'de> Visitor<'de> for PageVisitor {
            type Value = RawPage;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a page of rows (an object with Items, or an array)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawPage, A::Error> {
                let mut items = Vec::new();
                while let Some(row) = seq.next_element::<Box<RawValue>>()? {
                    items.push(row);
                }
                Ok(RawPage {
                    total: Some(items.len() as u64),
                    items,
                    shape: PagingShape::Bare,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPage, A::Error> {
                let (mut items, mut metadata, mut total) = (None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "Items" => items = map.next_value::<Option<Vec<Box<RawValue>>>>()?,
                        "Metadata" => metadata = map.next_value::<Option<Metadata>>()?,
                        "Total" => total = map.next_value::<Total>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let (total, shape) = match metadata {
                    Some(m) => (m.total.or(total), PagingShape::Nested),
                    None => (total, PagingShape::Flat),
                };
                Ok(RawPage {
                    items: items.unwrap_or_default(),
                    total,
                    shape,
                })
            }
        }
        d.deserialize_any(PageVisitor)
    }
}

/// Where the next page starts, or `None` when the rows read cover `total` (or, when the
/// page does not say its total, when it came back shorter than asked).
///
/// Stops as well when a page came back empty: a result that shrank while being read must
/// not loop forever.
pub fn next_offset(offset: u64, page_len: usize, total: Option<u64>, limit: u64) -> Option<u64> {
    let next = offset + page_len as u64;
    let more = match total {
        Some(total) => next < total,
        None => page_len as u64 >= limit,
    };
    (page_len > 0 && more).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_to_total() {
        assert_eq!(next_offset(0, 250, Some(275), 250), Some(250));
        assert_eq!(next_offset(250, 25, Some(275), 250), None);
        assert_eq!(next_offset(0, 0, Some(0), 250), None);
        assert_eq!(next_offset(0, 250, Some(250), 250), None);
        assert_eq!(
            next_offset(0, 0, Some(10), 250),
            None,
            "an empty page ends the walk"
        );
        assert_eq!(
            next_offset(0, 250, None, 250),
            Some(250),
            "no total: a full page"
        );
        assert_eq!(next_offset(250, 3, None, 250), None);
    }

    #[test]
    fn reads_both_shapes_and_bare_arrays() {
        let nested: RawPage = serde_json::from_str(
            r#"{"Items":[1,2],"Metadata":{"Offset":0,"Limit":250,"Total":2,"Uusi":1},"Extra":true}"#,
        )
        .expect("nested");
        assert_eq!(
            (nested.items.len(), nested.total, nested.shape),
            (2, Some(2), PagingShape::Nested)
        );
        let flat: RawPage =
            serde_json::from_str(r#"{"Offset":0,"Limit":250,"Total":"3","Items":[{},{},{}]}"#)
                .expect("flat");
        assert_eq!(
            (flat.items.len(), flat.total, flat.shape),
            (3, Some(3), PagingShape::Flat)
        );
        let bare: RawPage = serde_json::from_str(r#"[{"Id":1}]"#).expect("bare");
        assert_eq!(bare.shape, PagingShape::Bare);
        let empty: RawPage = serde_json::from_str(r#"{"Items":null,"Total":0}"#).expect("empty");
        assert!(empty.items.is_empty());
        assert!(serde_json::from_str::<RawPage>(r#""text""#).is_err());
    }
}
