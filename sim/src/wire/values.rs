//! Dialect changes to JSON values: enums to codes, timestamps restyled, optional fields
//! left out or nulled. They work on the serialized rows, by field name, so that one
//! rule covers every row kind and every nesting (an embedded party, history rows).

use chrono::{DateTime, NaiveDate, Timelike};
use serde_json::{Map, Value};

use crate::codes::{self, CodeTable};
use crate::dialect::{Dialect, FieldFate, RowKind, Timestamps};
use crate::time::Timestamp;

/// Fields that carry a timestamp.
const TIMESTAMP_FIELDS: [&str; 8] = [
    "Muutettu",
    "Arkistoitu",
    "Julkaistu",
    "VoimassaAlkaen",
    "VoimassaAsti",
    "Luotu",
    "Muokattu",
    "Aika",
];

/// Fields that carry a date.
const DATE_FIELDS: [&str; 3] = ["Alkaa", "Paattyy", "Pvm"];

/// The code table of an enum field.
fn table(field: &str) -> Option<&'static CodeTable> {
    codes::TABLES.iter().find(|t| t.field == field)
}

/// Every enum name under `v` (at any depth) replaced by its code. Values that are not
/// names in the field's table (an object's numeric `Tila`) stay as they are.
pub(super) fn enums_to_numbers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let code = match (table(key), &*value) {
                    (Some(t), Value::String(name)) => t.number(name),
                    _ => None,
                };
                match code {
                    Some(n) => *value = Value::from(n),
                    None => enums_to_numbers(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(enums_to_numbers),
        _ => {}
    }
}

/// A timestamp in a dialect's style.
pub fn format_timestamp(t: &Timestamp, style: Timestamps) -> String {
    let ticks = t.nanosecond() / 100;
    match style {
        Timestamps::Offset => t.to_rfc3339(),
        Timestamps::SevenDigits => format!(
            "{}.{ticks:07}{}",
            t.format("%Y-%m-%dT%H:%M:%S"),
            t.format("%:z")
        ),
        Timestamps::Naive => {
            let base = t.naive_local().format("%Y-%m-%dT%H:%M:%S").to_string();
            let fraction = format!("{ticks:07}");
            match fraction.trim_end_matches('0') {
                "" => base,
                digits => format!("{base}.{digits}"),
            }
        }
    }
}

/// A date in a dialect's style: as it is, or as a full timestamp of its midnight.
pub fn format_date(d: NaiveDate, style: Timestamps) -> String {
    match style {
        Timestamps::Offset => d.format("%Y-%m-%d").to_string(),
        Timestamps::SevenDigits | Timestamps::Naive => d.format("%Y-%m-%dT00:00:00").to_string(),
    }
}

/// Every timestamp and date under `v` rewritten in `style`.
pub(super) fn restamp(v: &mut Value, style: Timestamps) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let text = value.as_str();
                let restyled = if TIMESTAMP_FIELDS.contains(&key.as_str()) {
                    text.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map(|t| format_timestamp(&t, style))
                } else if DATE_FIELDS.contains(&key.as_str()) {
                    text.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                        .map(|d| format_date(d, style))
                } else {
                    None
                };
                match restyled {
                    Some(s) => *value = Value::String(s),
                    None => restamp(value, style),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| restamp(i, style)),
        _ => {}
    }
}

/// The optional fields of one row left out or nulled as the dialect decides; an owner
/// connection or an announcement damaged when the dialect says so.
pub(super) fn thin(row: &mut Map<String, Value>, dialect: &Dialect, seed: u64, kind: RowKind) {
    let Some(id) = row.get("Id").and_then(Value::as_i64) else {
        return;
    };
    if dialect.corrupts(seed, kind, id) {
        let damaged = serde_json::json!({"Vaurioitunut": true});
        match kind {
            RowKind::Connection if row.get("Rooli") == Some(&Value::from("Omistaja")) => {
                row.insert("Rooli".into(), damaged);
            }
            RowKind::Announcement => {
                row.insert("Id".into(), damaged);
                return;
            }
            _ => {}
        }
    }
    if dialect.drop_optional <= 0.0 && dialect.null_optional <= 0.0 {
        return;
    }
    let keys: Vec<String> = row.keys().cloned().collect();
    for key in keys {
        match dialect.field_fate(seed, kind, id, &key) {
            FieldFate::Present => {}
            FieldFate::Absent => {
                row.remove(&key);
            }
            FieldFate::Null => {
                row.insert(key, Value::Null);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamp_styles() {
        let t = DateTime::parse_from_rfc3339("2021-10-26T13:20:55.1824125+03:00").unwrap();
        assert_eq!(
            format_timestamp(&t, Timestamps::SevenDigits),
            "2021-10-26T13:20:55.1824125+03:00"
        );
        assert_eq!(
            format_timestamp(&t, Timestamps::Naive),
            "2021-10-26T13:20:55.1824125"
        );
        let whole = DateTime::parse_from_rfc3339("2026-11-20T08:00:00+02:00").unwrap();
        assert_eq!(
            format_timestamp(&whole, Timestamps::SevenDigits),
            "2026-11-20T08:00:00.0000000+02:00"
        );
        assert_eq!(
            format_timestamp(&whole, Timestamps::Naive),
            "2026-11-20T08:00:00"
        );
        assert_eq!(
            format_timestamp(&whole, Timestamps::Offset),
            "2026-11-20T08:00:00+02:00"
        );
        let d = NaiveDate::from_ymd_opt(2019, 6, 1).unwrap();
        assert_eq!(format_date(d, Timestamps::Naive), "2019-06-01T00:00:00");
        assert_eq!(format_date(d, Timestamps::Offset), "2019-06-01");
    }

    #[test]
    fn conversions_reach_nested_rows() {
        let mut v = json!({"Tila": "Avoin", "Tilahistoria": [{"Tila": "Avoin",
            "Aika": "2026-11-20T08:00:00+02:00"}], "Osapuoli": {"Osapuolityyppi": "Yritys"},
            "Kohde": {"Tila": 1}, "Alkaa": "2019-06-01"});
        enums_to_numbers(&mut v);
        restamp(&mut v, Timestamps::Naive);
        assert_eq!(v["Tila"], 1);
        assert_eq!(v["Tilahistoria"][0]["Tila"], 1);
        assert_eq!(v["Tilahistoria"][0]["Aika"], "2026-11-20T08:00:00");
        assert_eq!(v["Osapuoli"]["Osapuolityyppi"], 1);
        assert_eq!(v["Kohde"]["Tila"], 1);
        assert_eq!(v["Alkaa"], "2019-06-01T00:00:00");
    }
}
