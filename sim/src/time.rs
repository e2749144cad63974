//! Finnish wall-clock time without a time-zone database: EET (+02:00) in winter, EEST
//! (+03:00) from the last Sunday of March to the last Sunday of October (01:00 UTC, the EU
//! rule). Tampuuri stamps its data in local time with the offset, e.g.
//! `2026-11-20T08:00:00+02:00`.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// A timestamp as Tampuuri writes it: Finnish local time with its offset.
pub type Timestamp = DateTime<FixedOffset>;

pub use rappu_shared::finnish_time::offset_at;

/// A Finnish wall-clock date and time as a timestamp with the right offset.
pub fn local(date: NaiveDate, hour: u32, minute: u32) -> Timestamp {
    let time = NaiveTime::from_hms_opt(hour.min(23), minute.min(59), 0).unwrap_or(NaiveTime::MIN);
    wall_clock(date.and_time(time))
}

/// A Finnish wall-clock time (no offset) as a timestamp with the right offset.
pub fn wall_clock(naive: NaiveDateTime) -> Timestamp {
    // Guess with winter time; the guess is off only within an hour of a switch.
    let offset = offset_at(naive - chrono::TimeDelta::hours(2));
    from_local(naive, offset)
}

/// A time as a caller may write it: RFC 3339 with an offset, a Finnish wall-clock time
/// without one (`2026-11-20T08:00:00`, fractions allowed), or a date (its midnight).
pub fn parse_flexible(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(wall_clock(naive));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| wall_clock(d.and_time(NaiveTime::MIN)))
}

fn from_local(naive: NaiveDateTime, offset: FixedOffset) -> Timestamp {
    let utc = naive - chrono::TimeDelta::seconds(i64::from(offset.local_minus_utc()));
    DateTime::from_naive_utc_and_offset(utc, offset)
}

/// Now, in Finnish time, to the whole second.
pub fn now() -> Timestamp {
    let utc = Utc::now().naive_utc();
    let utc = utc.with_nanosecond(0).unwrap_or(utc);
    DateTime::from_naive_utc_and_offset(utc, offset_at(utc))
}

/// Today's date in Finland.
pub fn today() -> NaiveDate {
    now().date_naive()
}

/// A webhook notification's timestamp: UTC, hundredths of a second, no offset
/// (`2021-10-28T06:13:18.12`, as in the vendor's sample).
pub fn notification_stamp() -> String {
    let utc = Utc::now();
    let hundredths = utc.timestamp_subsec_millis() / 10;
    format!("{}.{hundredths:02}", utc.format("%Y-%m-%dT%H:%M:%S"))
}

/// `date` shifted by a signed number of days (saturating at the calendar's ends).
pub fn shift(date: NaiveDate, days: i64) -> NaiveDate {
    let step = Days::new(days.unsigned_abs());
    let shifted = if days >= 0 {
        date.checked_add_days(step)
    } else {
        date.checked_sub_days(step)
    };
    shifted.unwrap_or(date)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn summer_and_winter_offsets() {
        let winter = local(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), 8, 0);
        assert_eq!(winter.to_rfc3339(), "2026-11-20T08:00:00+02:00");
        let summer = local(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(), 8, 0);
        assert_eq!(summer.to_rfc3339(), "2026-06-01T08:00:00+03:00");
        // 2026: DST starts 29 March, ends 25 October.
        let before = local(NaiveDate::from_ymd_opt(2026, 3, 28).unwrap(), 12, 0);
        assert_eq!(before.offset().local_minus_utc(), 7200);
        let after = local(NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), 12, 0);
        assert_eq!(after.offset().local_minus_utc(), 10800);
    }

    #[test]
    fn flexible_parsing() {
        let t = parse_flexible("2026-11-20T08:00:00+02:00").unwrap();
        assert_eq!(parse_flexible("2026-11-20T08:00:00").unwrap(), t);
        assert_eq!(
            parse_flexible("2026-11-20T08:00:00.0000000+02:00").unwrap(),
            t
        );
        let midnight = parse_flexible("2026-06-01").unwrap();
        assert_eq!(midnight.to_rfc3339(), "2026-06-01T00:00:00+03:00");
        assert!(parse_flexible("eilen").is_none());
    }

    #[test]
    fn notification_stamp_shape() {
        let s = notification_stamp();
        assert_eq!(s.len(), "2021-10-28T06:13:18.12".len(), "{s}");
    }
}
