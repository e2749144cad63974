//! Tolerant readers for Tampuuri's timestamps and dates.
//!
//! Seen in the vendor's samples: `2021-10-26T13:20:55.1824125+03:00` (seven fractional
//! digits and an offset: vendor (seed), vendor (help page)) and `2021-10-28T06:13:18.12` (no
//! offset, in webhooks with `DateTimeZone: "UTC"`; Rappu reads no webhook time). A time in
//! API data without an offset is read as Finnish wall-clock time (*assumed*: Tampuuri is a
//! Finnish system and its help writes offsets of Finnish time). Dates may come as full
//! timestamps (vendor (help page)). A value that cannot be read becomes `None` rather than
//! failing the whole response: one odd timestamp must not blank a stairwell display.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rappu_shared::finnish_time;
use serde::{Deserialize, Deserializer};

/// Parses a timestamp with or without an offset.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(finnish_time::from_local(t));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(finnish_time::from_local)
}

/// Parses a date, or the date part of a timestamp.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
        s.get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    })
}

/// serde: an optional timestamp.
pub fn opt_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(any_string(d)?.as_deref().and_then(parse_datetime))
}

/// serde: an optional date.
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Ok(any_string(d)?.as_deref().and_then(parse_date))
}

/// Reads any JSON value and keeps it only if it is a string.
fn any_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_vendors_formats() {
        let a = parse_datetime("2021-10-26T13:20:55.1824125+03:00").unwrap();
        assert_eq!(a.to_rfc3339(), "2021-10-26T10:20:55.182412500+00:00");
        // No offset: Finnish time (summer time until the last Sunday of October).
        let b = parse_datetime("2021-10-28T06:13:18.12").unwrap();
        assert_eq!(b.to_rfc3339(), "2021-10-28T03:13:18.120+00:00");
        assert_eq!(
            parse_datetime("2021-11-28").unwrap().to_rfc3339(),
            "2021-11-27T22:00:00+00:00"
        );
        assert_eq!(
            parse_datetime("2026-11-20T08:00:00.0000000+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-20T06:00:00+00:00"
        );
        assert_eq!(parse_datetime("eilen"), None);
        assert_eq!(
            parse_date("2019-06-01T00:00:00"),
            NaiveDate::from_ymd_opt(2019, 6, 1)
        );
        assert_eq!(parse_date("x"), None);
    }
}
