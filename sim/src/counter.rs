//! The call counter: every authenticated API call per account and route template (what
//! Tampuuri bills), calls refused at authentication under [`REJECTED`]; and, for the
//! searches a caller uses both account-wide and for one thing, how many calls had which
//! scope (`scopes`: not more calls, a breakdown of some of them).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The account key under which calls refused with 403 are counted.
pub const REJECTED: &str = "(rejected)";

/// Call counts, as `GET /_sim/calls` answers them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCounts {
    /// All counted calls, rejected ones included.
    pub total: u64,
    /// Per account (or [`REJECTED`]), per route template such as `GET kohteet/{id}`.
    pub accounts: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per account, calls of some search routes by the scope of their filter, e.g.
    /// `POST osapuolet/yhteydet/selaa: account-wide` or `...: one party` (each also counted
    /// under its route in `accounts`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scopes: BTreeMap<String, BTreeMap<String, u64>>,
}

impl CallCounts {
    /// Calls to route template `route` (e.g. `"POST ilmoitukset/{id}/vastaanota"`) by
    /// `account`.
    pub fn get(&self, account: &str, route: &str) -> u64 {
        self.accounts
            .get(account)
            .and_then(|routes| routes.get(route))
            .copied()
            .unwrap_or(0)
    }

    /// All counted calls.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Calls of `label` (`route: scope`) by `account`.
    pub fn scope(&self, account: &str, label: &str) -> u64 {
        self.scopes
            .get(account)
            .and_then(|scopes| scopes.get(label))
            .copied()
            .unwrap_or(0)
    }

    /// All calls by one account.
    pub fn account_total(&self, account: &str) -> u64 {
        self.accounts
            .get(account)
            .map_or(0, |routes| routes.values().sum())
    }
}

/// The live counter.
#[derive(Debug, Default)]
pub(crate) struct CallCounter(Mutex<CallCounts>);

impl CallCounter {
    pub(crate) fn count(&self, account: &str, route: &str) {
        let mut c = self.0.lock().unwrap_or_else(|e| e.into_inner());
        c.total += 1;
        *c.accounts
            .entry(account.to_owned())
            .or_default()
            .entry(route.to_owned())
            .or_default() += 1;
    }

    /// Adds one call of `route` by `account` to the breakdown under `scope` (the call
    /// itself is counted by [`CallCounter::count`]).
    pub(crate) fn count_scope(&self, account: &str, route: &str, scope: &str) {
        let mut c = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *c.scopes
            .entry(account.to_owned())
            .or_default()
            .entry(format!("{route}: {scope}"))
            .or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> CallCounts {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn reset(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = CallCounts::default();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_account_and_route() {
        let c = CallCounter::default();
        c.count("demo", "GET kohteet/{id}");
        c.count("demo", "GET kohteet/{id}");
        c.count(REJECTED, "GET kohteet/{id}");
        c.count_scope("demo", "GET kohteet/{id}", "one object");
        let s = c.snapshot();
        assert_eq!(s.scope("demo", "GET kohteet/{id}: one object"), 1);
        assert_eq!(s.get("demo", "GET kohteet/{id}"), 2);
        assert_eq!(s.get(REJECTED, "GET kohteet/{id}"), 1);
        assert_eq!(s.total(), 3);
        assert_eq!(s.account_total("demo"), 2);
        c.reset();
        assert_eq!(c.snapshot(), CallCounts::default());
    }
}
