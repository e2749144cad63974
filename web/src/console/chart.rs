//! The usage chart, laid out as plain numbers (tested on the host) and drawn as SVG by
//! [`super::usage`]: a bar per day of the month so far, the rest of the month at the pace so
//! far (lighter bars), and the budget line (the package's calls spread over the month's
//! days). Whole pixels only: no float formatting, no chart library.

use rappu_shared::console::UsageMonth;

/// Chart size and margins, px.
pub const WIDTH: u32 = 720;
/// Height of the drawing.
pub const HEIGHT: u32 = 260;
/// Room for the y axis labels.
pub const LEFT: u32 = 56;
/// Room for the x axis labels.
pub const BOTTOM: u32 = 24;
/// Room above the highest bar.
pub const TOP: u32 = 12;

/// One day's bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// Day of the month.
    pub day: u32,
    /// Calls (made, or projected for a day to come).
    pub calls: u64,
    /// A day still to come, drawn at the pace so far.
    pub projected: bool,
    /// Left edge, px.
    pub x: u32,
    /// Top edge, px.
    pub y: u32,
    /// Width, px.
    pub width: u32,
    /// Height, px.
    pub height: u32,
}

/// A labelled value on the y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Calls.
    pub value: u64,
    /// Its height, px from the top.
    pub y: u32,
}

/// The chart as numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// A bar per day of the month.
    pub bars: Vec<Bar>,
    /// The budget line's height, px from the top, and its value per day.
    pub budget: (u32, u64),
    /// Labels on the y axis.
    pub ticks: Vec<Tick>,
    /// The baseline, px from the top.
    pub base: u32,
}

/// A round number at or above `n` (1, 2 or 5 times a power of ten).
fn nice_ceiling(n: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= n {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Lays out `usage` in [`WIDTH`] × [`HEIGHT`] px.
pub fn layout(usage: &UsageMonth) -> Chart {
    let days = usage.days_in_month.max(1);
    let today = usage.today.min(days);
    let budget_per_day = usage.budget_calls / u64::from(days);
    let remaining_days = u64::from(days - today);
    let pace = usage
        .projected_calls
        .saturating_sub(usage.calls)
        .checked_div(remaining_days)
        .unwrap_or(0);
    let mut per_day: Vec<(u32, u64, bool)> = (1..=days)
        .map(|day| {
            let made = usage.days.iter().find(|d| d.day == day).map(|d| d.calls);
            match made {
                Some(calls) => (day, calls, false),
                None if day <= today => (day, 0, false),
                None => (day, pace, true),
            }
        })
        .collect();
    per_day.sort_by_key(|d| d.0);
    let highest = per_day
        .iter()
        .map(|d| d.1)
        .max()
        .unwrap_or(0)
        .max(budget_per_day)
        .max(1);
    let top_value = nice_ceiling(highest);
    let plot = HEIGHT - TOP - BOTTOM;
    let base = HEIGHT - BOTTOM;
    let y_of = |v: u64| {
        let h = (u128::from(v.min(top_value)) * u128::from(plot) / u128::from(top_value)) as u32;
        base - h
    };
    let slot = (WIDTH - LEFT) / days;
    let width = (slot * 3 / 4).max(1);
    let bars = per_day
        .into_iter()
        .map(|(day, calls, projected)| {
            let y = y_of(calls);
            Bar {
                day,
                calls,
                projected,
                x: LEFT + (day - 1) * slot + (slot - width) / 2,
                y,
                width,
                height: base - y,
            }
        })
        .collect();
    let ticks = [0, top_value / 2, top_value]
        .into_iter()
        .map(|value| Tick {
            value,
            y: y_of(value),
        })
        .collect();
    Chart {
        bars,
        budget: (y_of(budget_per_day), budget_per_day),
        ticks,
        base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rappu_shared::admin::MonthlyBill;
    use rappu_shared::console::DayCalls;

    fn usage(days: Vec<DayCalls>, calls: u64, projected: u64) -> UsageMonth {
        UsageMonth {
            account: "a".into(),
            month: "2026-11".into(),
            days_in_month: 30,
            today: days.len() as u32,
            days,
            routes: Vec::new(),
            calls,
            projected_calls: projected,
            budget_calls: 30_000,
            budget_warn: false,
            budget_over: false,
            projected_bill: MonthlyBill {
                month: "2026-11".into(),
                package: "normal".into(),
                calls: projected,
                included_calls: 40_000,
                extra_calls: 0,
                fixed_eur: 240.0,
                extra_eur: 0.0,
                total_eur: 240.0,
            },
            history: Vec::new(),
        }
    }

    #[test]
    fn days_so_far_are_drawn_as_made_and_the_rest_at_the_pace() {
        let days = (1..=10).map(|day| DayCalls { day, calls: 1_500 }).collect();
        let chart = layout(&usage(days, 15_000, 45_000));
        assert_eq!(chart.bars.len(), 30);
        assert!(
            chart.bars[..10]
                .iter()
                .all(|b| !b.projected && b.calls == 1_500)
        );
        assert!(
            chart.bars[10..]
                .iter()
                .all(|b| b.projected && b.calls == 1_500)
        );
        // The budget line is 1,000 a day, below the bars; the axis tops out at 2,000.
        assert_eq!(chart.budget.1, 1_000);
        assert_eq!(chart.ticks.last().map(|t| t.value), Some(2_000));
        assert!(chart.budget.0 > chart.bars[0].y);
        let bar = chart.bars[0];
        assert_eq!(bar.y + bar.height, chart.base);
        assert!(chart.bars.iter().all(|b| b.x + b.width <= WIDTH));
    }

    #[test]
    fn an_empty_month_still_draws() {
        let chart = layout(&usage(vec![DayCalls { day: 1, calls: 0 }], 0, 0));
        assert!(chart.bars.iter().all(|b| b.height == 0 || b.projected));
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1_001), 2_000);
        assert_eq!(nice_ceiling(4_000), 5_000);
    }
}
