//! Finnish wall-clock time without a time-zone database: EET (+02:00) in winter, EEST
//! (+03:00) from the last Sunday of March to the last Sunday of October, switching at
//! 01:00 UTC (the EU rule). Residents move in and out by Finnish dates, and displays show
//! Finnish time, so "today" always means today in Finland.

use chrono::{
    DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, Utc,
};

const HOUR: i32 = 3600;

fn fixed(hours: i32) -> FixedOffset {
    // Both offsets used are in range; the UTC fallback is never taken.
    FixedOffset::east_opt(hours * HOUR).unwrap_or_else(|| Utc.fix())
}

/// The last Sunday of a 31-day month (March and October both have 31 days).
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, 31)?;
    let back = u64::from(last.weekday().num_days_from_sunday());
    last.checked_sub_days(Days::new(back))
}

/// Finland's UTC offset at a UTC instant.
pub fn offset_at(utc: NaiveDateTime) -> FixedOffset {
    let year = utc.year();
    let one = NaiveTime::from_hms_opt(1, 0, 0).unwrap_or(NaiveTime::MIN);
    match (last_sunday(year, 3), last_sunday(year, 10)) {
        (Some(start), Some(end)) if utc >= start.and_time(one) && utc < end.and_time(one) => {
            fixed(3)
        }
        _ => fixed(2),
    }
}

/// The instant in Finnish time.
pub fn to_local(utc: DateTime<Utc>) -> DateTime<FixedOffset> {
    utc.with_timezone(&offset_at(utc.naive_utc()))
}

/// The Finnish date at an instant.
pub fn local_date(utc: DateTime<Utc>) -> NaiveDate {
    to_local(utc).date_naive()
}

/// The instant of a Finnish wall-clock time (a timestamp written without an offset). In the
/// hour repeated when summer time ends the earlier instant is taken.
pub fn from_local(local: NaiveDateTime) -> DateTime<Utc> {
    // The offset two hours before is right everywhere but within the switch itself. In the
    // first hours chrono can represent (year -262143: a damaged field, never real data)
    // there is no earlier instant, so the earliest one is taken rather than overflowing.
    let before = local.checked_sub_signed(chrono::TimeDelta::hours(2));
    let offset = offset_at(before.unwrap_or(local));
    local
        .checked_sub_signed(chrono::TimeDelta::seconds(i64::from(
            offset.local_minus_utc(),
        )))
        .map_or(DateTime::<Utc>::MIN_UTC, |utc| utc.and_utc())
}

/// The first instant of the next Finnish day after `utc`.
pub fn next_local_midnight(utc: DateTime<Utc>) -> DateTime<Utc> {
    let date = local_date(utc);
    let next = date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN);
    // Midnight is never inside a DST switch (they happen at 03:00/04:00 local time).
    let offset = offset_at(next - chrono::TimeDelta::hours(2));
    let utc_naive = next - chrono::TimeDelta::seconds(i64::from(offset.local_minus_utc()));
    utc_naive.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn wall_clock_times_read_back_as_instants() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap();
        assert_eq!(
            from_local(at("2026-01-15T12:00:00")),
            utc("2026-01-15T10:00:00Z")
        );
        assert_eq!(
            from_local(at("2026-07-15T12:00:00")),
            utc("2026-07-15T09:00:00Z")
        );
        // Round trip through to_local, in both seasons.
        for s in [
            "2026-03-30T08:00:00Z",
            "2026-10-26T08:00:00Z",
            "2026-12-31T23:30:00Z",
        ] {
            assert_eq!(from_local(to_local(utc(s)).naive_local()), utc(s));
        }
    }

    #[test]
    fn the_earliest_wall_clock_times_do_not_overflow() {
        // A Tampuuri timestamp without an offset in chrono's first hours panicked (the
        // tampuuri_decode fuzz target replays it: crash-naive-timestamp-year-262143).
        assert_eq!(from_local(NaiveDateTime::MIN), DateTime::<Utc>::MIN_UTC);
        let one_hour_in = NaiveDateTime::MIN + chrono::TimeDelta::hours(1);
        assert_eq!(from_local(one_hour_in), DateTime::<Utc>::MIN_UTC);
        let later = NaiveDateTime::MIN + chrono::TimeDelta::hours(3);
        assert_eq!(
            from_local(later).naive_utc(),
            NaiveDateTime::MIN + chrono::TimeDelta::hours(1)
        );
        assert!(from_local(NaiveDateTime::MAX) < DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn offsets_follow_the_eu_rule() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            to_local(utc("2026-03-29T00:59:59Z"))
                .offset()
                .local_minus_utc(),
            7200
        );
        assert_eq!(
            to_local(utc("2026-03-29T01:00:00Z"))
                .offset()
                .local_minus_utc(),
            10800
        );
        assert_eq!(
            to_local(utc("2026-10-25T00:59:59Z"))
                .offset()
                .local_minus_utc(),
            10800
        );
        assert_eq!(
            to_local(utc("2026-10-25T01:00:00Z"))
                .offset()
                .local_minus_utc(),
            7200
        );
    }

    #[test]
    fn the_finnish_date_turns_at_local_midnight() {
        // 23:30 UTC on 22 November is 01:30 on 23 November in Helsinki.
        assert_eq!(
            local_date(utc("2026-11-22T23:30:00Z")).to_string(),
            "2026-11-23"
        );
        assert_eq!(
            local_date(utc("2026-11-22T21:59:59Z")).to_string(),
            "2026-11-22"
        );
        assert_eq!(
            next_local_midnight(utc("2026-11-22T12:00:00Z")),
            utc("2026-11-22T22:00:00Z")
        );
        assert_eq!(
            next_local_midnight(utc("2026-06-10T12:00:00Z")),
            utc("2026-06-10T21:00:00Z")
        );
    }
}
