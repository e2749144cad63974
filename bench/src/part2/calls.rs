//! Tampuuri calls by kind, measured and as `rappu plan` estimates them, and what they cost.
//!
//! The simulator counts calls by route (and the two searches used both account-wide and for
//! one thing by scope); a kind is a set of routes, so the measured side needs no guessing.
//! `rappu plan` prints its own kinds; its figures are regrouped into the same route groups
//! with its change mix and the per-operation costs of `rappu_gateway::mirror::costs` (the
//! model's one source).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};
use rappu_gateway::mirror::costs;
use rappu_gateway::pricing::Package;
use rappu_sim::CallCounts;
use serde_json::Value;

use crate::report::{euros, thousands, thousands_f};
use crate::stack::ACCOUNT;

/// The kinds, in print order.
pub const KINDS: &[&str] = &[
    "registry sweeps",
    "people sweeps",
    "report sweeps",
    "announcement reads",
    "people fetched by id",
    "reports read by id",
    "writes",
    "other",
    "restarts",
];

const CONNECTIONS: &str = "POST osapuolet/yhteydet/selaa";
const REPORT_SEARCH: &str = "POST ilmoitukset/selaa";

/// The kind of a call of `route` (with the scope breakdown for the two searches).
fn kind_of(route: &str) -> &'static str {
    match route {
        "GET kustannuspaikat/selaa" | "POST kohteet/{id}/selaa" => "registry sweeps",
        "POST uutiset/selaa" => "announcement reads",
        "GET ilmoitukset/{id}" => "reports read by id",
        "POST ilmoitukset/lisaa"
        | "POST ilmoitukset/base64"
        | "POST ilmoitukset/{id}/vastaanota"
        | "POST ilmoitukset/{id}/odotukseen"
        | "POST ilmoitukset/{id}/kuittaatehdyksi"
        | "POST ilmoitukset/{id}/kuittaavalmiiksi" => "writes",
        _ => "other",
    }
}

/// Calls of the demo account by kind (without `restarts`).
pub fn by_kind(calls: &CallCounts) -> BTreeMap<&'static str, u64> {
    let mut out: BTreeMap<&'static str, u64> = KINDS.iter().map(|k| (*k, 0)).collect();
    let routes = calls.accounts.get(ACCOUNT).cloned().unwrap_or_default();
    for (route, n) in &routes {
        match route.as_str() {
            CONNECTIONS => {
                let wide = calls.scope(ACCOUNT, &format!("{CONNECTIONS}: account-wide"));
                *out.entry("people sweeps").or_default() += wide;
                *out.entry("people fetched by id").or_default() += n.saturating_sub(wide);
            }
            REPORT_SEARCH => {
                let wide = calls.scope(ACCOUNT, &format!("{REPORT_SEARCH}: account-wide"));
                *out.entry("report sweeps").or_default() += wide;
                // A scoped search is the outbox looking for a report before sending again.
                *out.entry("writes").or_default() += n.saturating_sub(wide);
            }
            other => *out.entry(kind_of(other)).or_default() += n,
        }
    }
    out
}

/// Calls by route, largest first.
pub fn routes(calls: &CallCounts) -> Vec<(String, u64)> {
    let mut routes: Vec<(String, u64)> = calls
        .accounts
        .get(ACCOUNT)
        .map(|r| r.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default();
    routes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    routes
}

/// The difference between two counts, by route (`after - before`).
pub fn minus(after: &CallCounts, before: &CallCounts) -> CallCounts {
    let mut out = after.clone();
    for (account, routes) in &before.accounts {
        if let Some(mine) = out.accounts.get_mut(account) {
            for (route, n) in routes {
                if let Some(v) = mine.get_mut(route) {
                    *v = v.saturating_sub(*n);
                }
            }
        }
    }
    for (account, scopes) in &before.scopes {
        if let Some(mine) = out.scopes.get_mut(account) {
            for (scope, n) in scopes {
                if let Some(v) = mine.get_mut(scope) {
                    *v = v.saturating_sub(*n);
                }
            }
        }
    }
    out.total = after.total.saturating_sub(before.total);
    out
}

/// The fleet's figures given to `rappu plan`.
#[derive(Debug, Clone)]
pub struct PlanInput {
    /// Buildings.
    pub buildings: u64,
    /// Housing companies.
    pub properties: u64,
    /// Apartments.
    pub apartments: u64,
    /// Resident connections.
    pub residents: u64,
    /// Displays.
    pub displays: u64,
    /// Portal users.
    pub portal_users: u64,
    /// Announcements.
    pub announcements: u64,
    /// Change notifications a month.
    pub changes_per_month: u64,
    /// Restarts a month.
    pub restarts_per_month: u64,
    /// Webhooks on.
    pub webhooks: bool,
}

/// `rappu plan`'s estimate.
#[derive(Debug, Clone)]
pub struct PlanEstimate {
    /// The command run.
    pub command: String,
    /// The JSON it printed.
    pub json: Value,
    /// Its total.
    pub total: u64,
    /// Its kinds, as it names them.
    pub by_kind: BTreeMap<String, u64>,
}

impl PlanEstimate {
    fn kind(&self, k: &str) -> u64 {
        self.by_kind.get(k).copied().unwrap_or(0)
    }

    fn mix(&self, k: &str) -> u64 {
        self.json["changes"][k].as_u64().unwrap_or(0)
    }

    /// Its figures in this module's kinds (see the module documentation).
    pub fn regrouped(&self, announcements: u64) -> BTreeMap<&'static str, u64> {
        let webhooks = self.json["fleet"]["webhooks"].as_bool().unwrap_or(true);
        let echo = u64::from(webhooks);
        let news_read = costs::news_read(announcements);
        let news_changes = if webhooks {
            self.mix("announcements") * news_read
        } else {
            0
        };
        let people_changes = if webhooks {
            self.mix("moves") * costs::CONNECTION_CHANGE + self.mix("privacy") * costs::PARTY_CHANGE
        } else {
            0
        };
        let new_reports = self.mix("new_reports");
        let transitions = self.mix("transitions");
        let mut out: BTreeMap<&'static str, u64> = KINDS.iter().map(|k| (*k, 0)).collect();
        out.insert("registry sweeps", self.kind("registry_sweeps"));
        out.insert("people sweeps", self.kind("people_sweeps"));
        out.insert("report sweeps", self.kind("report_sweeps"));
        out.insert("announcement reads", self.kind("news_reads") + news_changes);
        out.insert("people fetched by id", people_changes);
        let fetches_left = self
            .kind("change_fetches")
            .saturating_sub(news_changes + people_changes);
        // A filed report is read back once, and its own webhook fetched; a transition's
        // webhook is fetched.
        out.insert(
            "reports read by id",
            fetches_left + new_reports * (costs::REPORT_FILED - 2 + echo) + transitions * echo,
        );
        out.insert("writes", new_reports + transitions);
        out.insert("restarts", self.kind("restarts"));
        let regrouped: u64 = out.values().sum();
        // Whatever the regrouping does not explain (a kind added to the model later).
        out.insert("other", self.total.saturating_sub(regrouped));
        out
    }
}

/// Runs `rappu --config <config> plan ... --json`.
pub fn run_plan(rappu: &Path, config: &Path, input: &PlanInput) -> anyhow::Result<PlanEstimate> {
    let args: Vec<String> = vec![
        "--config".into(),
        config.display().to_string(),
        "plan".into(),
        "--buildings".into(),
        input.buildings.to_string(),
        "--properties".into(),
        input.properties.to_string(),
        "--apartments".into(),
        input.apartments.to_string(),
        "--residents".into(),
        input.residents.to_string(),
        "--displays".into(),
        input.displays.to_string(),
        "--portal-users".into(),
        input.portal_users.to_string(),
        "--announcements".into(),
        input.announcements.to_string(),
        "--changes-per-month".into(),
        input.changes_per_month.to_string(),
        "--restarts-per-month".into(),
        input.restarts_per_month.to_string(),
        "--webhooks".into(),
        if input.webhooks { "on" } else { "off" }.into(),
        "--package".into(),
        "normal".into(),
        "--json".into(),
    ];
    let mut command = Command::new(rappu);
    command.args(&args);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("RAPPU_") {
            command.env_remove(key.as_ref());
        }
    }
    let shown = format!("rappu {}", args.join(" "));
    let output = command
        .output()
        .with_context(|| format!("running {shown}"))?;
    if !output.status.success() {
        bail!(
            "{shown} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let json: Value =
        serde_json::from_slice(&output.stdout).with_context(|| format!("{shown}: not JSON"))?;
    let total = json["calls_per_month"]["total"]
        .as_u64()
        .context("plan JSON without calls_per_month.total")?;
    let by_kind = json["calls_per_month"]["by_kind"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok(PlanEstimate {
        command: shown,
        json,
        total,
        by_kind,
    })
}

/// The bill for `calls` a month on each package (list prices, the gateway's table).
pub fn bills(calls: u64) -> Vec<(&'static str, f64)> {
    [Package::Standard, Package::Normal, Package::Business]
        .into_iter()
        .map(|p| {
            (
                p.name(),
                rappu_gateway::pricing::bill("", p.name(), p.prices(), calls).total_eur,
            )
        })
        .collect()
}

/// `(measured - plan) / plan` in %.
pub fn diff_pct(measured: f64, plan: f64) -> f64 {
    if plan == 0.0 {
        if measured == 0.0 { 0.0 } else { 100.0 }
    } else {
        (measured - plan) / plan * 100.0
    }
}

/// Prints measured and planned calls a month by kind, and the bills.
pub fn print_comparison(
    measured: &BTreeMap<&'static str, f64>,
    plan: &PlanEstimate,
    announcements: u64,
) {
    let planned = plan.regrouped(announcements);
    println!(
        "  {:<24} {:>12} {:>12} {:>9}",
        "calls a 30-day month", "measured", "rappu plan", "diff"
    );
    for kind in KINDS {
        let m = measured.get(kind).copied().unwrap_or(0.0);
        let p = planned.get(kind).copied().unwrap_or(0) as f64;
        if m == 0.0 && p == 0.0 {
            continue;
        }
        println!(
            "  {:<24} {:>12} {:>12} {:>8.1}%",
            kind,
            thousands_f(m),
            thousands_f(p),
            diff_pct(m, p)
        );
    }
    let total: f64 = measured.values().sum();
    println!(
        "  {:<24} {:>12} {:>12} {:>8.1}%",
        "total",
        thousands_f(total),
        thousands(plan.total),
        diff_pct(total, plan.total as f64)
    );
    let mine = bills(total.round() as u64);
    let theirs: Vec<(String, f64)> = plan.json["bills"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    (
                        b["package"].as_str().unwrap_or("?").to_owned(),
                        b["eur"].as_f64().unwrap_or(0.0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for (package, eur) in mine {
        let planned = theirs
            .iter()
            .find(|(p, _)| p == package)
            .map_or("-".into(), |(_, e)| euros(*e));
        println!(
            "  {:<24} {:>12} {:>12}",
            format!("bill, {package}"),
            euros(eur),
            planned
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_into_kinds() {
        let mut calls = CallCounts::default();
        let mut routes = BTreeMap::new();
        routes.insert(CONNECTIONS.to_owned(), 10);
        routes.insert(REPORT_SEARCH.to_owned(), 3);
        routes.insert("POST kohteet/{id}/selaa".to_owned(), 5);
        routes.insert("GET ilmoitukset/{id}".to_owned(), 2);
        routes.insert("POST ilmoitukset/lisaa".to_owned(), 1);
        routes.insert("GET osapuolet/{id}".to_owned(), 1);
        calls.accounts.insert(ACCOUNT.to_owned(), routes);
        let mut scopes = BTreeMap::new();
        scopes.insert(format!("{CONNECTIONS}: account-wide"), 8);
        scopes.insert(format!("{REPORT_SEARCH}: account-wide"), 2);
        calls.scopes.insert(ACCOUNT.to_owned(), scopes);
        let k = by_kind(&calls);
        assert_eq!(k["people sweeps"], 8);
        assert_eq!(k["people fetched by id"], 2);
        assert_eq!(k["report sweeps"], 2);
        assert_eq!(k["writes"], 2);
        assert_eq!(k["registry sweeps"], 5);
        assert_eq!(k["reports read by id"], 2);
        assert_eq!(k["other"], 1);
        // Every call in exactly one kind: 10 + 3 + 5 + 2 + 1 + 1.
        assert_eq!(k.values().sum::<u64>(), 22);
        assert_eq!(minus(&calls, &calls).accounts[ACCOUNT][CONNECTIONS], 0);
        assert!((diff_pct(115.0, 100.0) - 15.0).abs() < 1e-9);
    }
}
