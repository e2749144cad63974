//! What upstream calls cost: Tampuuri's Normal package (UPSTREAMS.md §1 Pricing: 240 € a
//! month including 40,000 calls, 0.009 € per extra call; the other source says 450 € fixed).

use crate::report::{euros, thousands_f};

/// Fixed monthly price of the Normal package, €.
pub const NORMAL_FIXED_EUR: f64 = 240.0;
/// Calls included in the Normal package per month.
pub const NORMAL_INCLUDED_CALLS: f64 = 40_000.0;
/// Price of each call over the included ones, €.
pub const NORMAL_EXTRA_CALL_EUR: f64 = 0.009;
/// Minutes in a 30-day month.
pub const MINUTES_PER_MONTH: f64 = 30.0 * 24.0 * 60.0;

/// The monthly bill on the Normal package for `calls` calls in the month.
pub fn normal_price(calls: f64) -> f64 {
    NORMAL_FIXED_EUR + (calls - NORMAL_INCLUDED_CALLS).max(0.0) * NORMAL_EXTRA_CALL_EUR
}

/// One way of feeding the displays, and its calls per minute.
#[derive(Debug, Clone)]
pub struct CostRow {
    /// What it is.
    pub label: String,
    /// Upstream calls per minute.
    pub calls_per_minute: f64,
}

/// Prints calls per minute and per 30-day month and the Normal-package bill of each row.
pub fn print_table(rows: &[CostRow]) {
    println!(
        "  {:<46} {:>12} {:>18} {:>18}",
        "", "calls/min", "calls/30-day month", "€/month (Normal)"
    );
    for row in rows {
        let month = row.calls_per_minute * MINUTES_PER_MONTH;
        println!(
            "  {:<46} {:>12} {:>18} {:>18}",
            row.label,
            thousands_f(row.calls_per_minute),
            thousands_f(month),
            euros(normal_price(month))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendor_example_costs_330_euros() {
        assert!((normal_price(50_000.0) - 330.0).abs() < 1e-9);
        assert!((normal_price(10.0) - 240.0).abs() < 1e-9);
    }
}
