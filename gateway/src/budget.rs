//! The month's Tampuuri budget: the line calls are judged against and the projection of the
//! month so far to its end. One home for both, used by the metrics, the alert rules' inputs
//! and the console's usage page.
//!
//! There is no budget setting (yet): the budget line is what the configured package
//! includes (`[usage] package`, or `included_calls`), the number past which every call costs
//! extra. A deployment that wants another line changes this one function.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::config::UsageSettings;

/// The month's budget line, in calls.
pub fn budget_calls(usage: &UsageSettings) -> u64 {
    usage.prices().included_calls
}

/// Days in the month of `date`.
pub fn days_in_month(date: NaiveDate) -> u32 {
    let (y, m) = (date.year(), date.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt())
        .map_or(30, |last| last.day())
}

/// `calls` made so far this month (UTC), projected to the month's end at the pace so far.
/// The first hour is not projected (one early call would project thousands).
pub fn project_month(calls: u64, now: DateTime<Utc>) -> u64 {
    let date = now.date_naive();
    let month_secs = f64::from(days_in_month(date)) * 86_400.0;
    let elapsed = f64::from(date.day() - 1) * 86_400.0 + f64::from(now.num_seconds_from_midnight());
    if elapsed < 3_600.0 {
        return calls;
    }
    (calls as f64 * month_secs / elapsed).round() as u64
}

/// `YYYY-MM` of `now` (the usage counters' month).
pub fn month_of(now: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", now.year(), now.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_half_gone_doubles() {
        let now = DateTime::parse_from_rfc3339("2026-11-16T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(project_month(1_000, now), 2_000);
        assert_eq!(days_in_month(now.date_naive()), 30);
        let feb = NaiveDate::from_ymd_opt(2028, 2, 3).unwrap();
        assert_eq!(days_in_month(feb), 29);
        let first_minutes = DateTime::parse_from_rfc3339("2026-12-01T00:10:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(project_month(5, first_minutes), 5);
        assert_eq!(month_of(first_minutes), "2026-12");
    }

    #[test]
    fn the_budget_line_is_the_packages_included_calls() {
        let mut usage = UsageSettings::default();
        assert_eq!(budget_calls(&usage), 40_000);
        usage.included_calls = Some(55_000);
        assert_eq!(budget_calls(&usage), 55_000);
    }
}
