//! Tampuuri API pricing: what the calls Rappu makes cost per month.
//!
//! The vendor's two sources differ on the fixed prices (Normal 240 € or 450 €, Business 400 €
//! or 900 €; `../shared/UPSTREAMS.md`); the defaults are the lower figures, and every number
//! can be set in `[usage]` to match the customer's contract.

use rappu_shared::admin::MonthlyBill;
use serde::{Deserialize, Serialize};

/// A Tampuuri API package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Package {
    /// 0 € a month, 2,000 calls included, 0.011 € per extra call.
    Standard,
    /// 240 € a month, 40,000 calls included, 0.009 € per extra call.
    Normal,
    /// 400 € a month, 100,000 calls included, 0.007 € per extra call.
    Business,
}

/// Prices of a package.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// Fixed price per month, euros.
    pub fixed_eur: f64,
    /// Calls included per month.
    pub included_calls: u64,
    /// Price of each call beyond those, euros.
    pub extra_call_eur: f64,
}

impl Package {
    /// The package's list prices.
    pub fn prices(self) -> Prices {
        let (fixed_eur, included_calls, extra_call_eur) = match self {
            Package::Standard => (0.0, 2_000, 0.011),
            Package::Normal => (240.0, 40_000, 0.009),
            Package::Business => (400.0, 100_000, 0.007),
        };
        Prices {
            fixed_eur,
            included_calls,
            extra_call_eur,
        }
    }

    /// The package's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Package::Standard => "standard",
            Package::Normal => "normal",
            Package::Business => "business",
        }
    }
}

fn cents(eur: f64) -> f64 {
    (eur * 100.0).round() / 100.0
}

/// The bill for `calls` in `month`.
pub fn bill(month: &str, package: &str, prices: Prices, calls: u64) -> MonthlyBill {
    let extra_calls = calls.saturating_sub(prices.included_calls);
    let extra_eur = cents(extra_calls as f64 * prices.extra_call_eur);
    MonthlyBill {
        month: month.to_owned(),
        package: package.to_owned(),
        calls,
        included_calls: prices.included_calls,
        extra_calls,
        fixed_eur: prices.fixed_eur,
        extra_eur,
        total_eur: cents(prices.fixed_eur + extra_eur),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendors_worked_example() {
        // "50,000 calls on Normal = 240 + 10,000 × 0.009 = 330 €"
        let b = bill("2026-11", "normal", Package::Normal.prices(), 50_000);
        assert_eq!(
            (b.extra_calls, b.extra_eur, b.total_eur),
            (10_000, 90.0, 330.0)
        );
        let b = bill("2026-11", "standard", Package::Standard.prices(), 1_999);
        assert_eq!(b.total_eur, 0.0);
    }
}
