//! The monitoring files shipped in `ops/`: the alert rules pass `promtool check rules` and
//! their unit tests (`promtool test rules`: each alert fires on the series that should fire
//! it, not before), and the rules and the Grafana dashboard name only families the gateway
//! exposes, while the dashboard shows every one of them.
//!
//! `scripts/setup` installs promtool (Debian's `prometheus` package) and `scripts/test` sets
//! `RAPPU_REQUIRE_PROMTOOL=1`, so there a missing promtool fails; elsewhere it is skipped
//! with a note.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::metrics::FAMILIES;

fn ops() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops")
}

/// Every `rappu_*` name in `text`, with histogram suffixes mapped to their family.
fn names(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("rappu_") {
        let start = i + at;
        let before = start.checked_sub(1).map(|b| bytes[b]);
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            let name = &text[start..end];
            let family = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|f| FAMILIES.contains(f))
                .unwrap_or(name);
            found.insert(family.to_owned());
        }
        i = end;
    }
    found
}

fn promtool() -> Option<PathBuf> {
    let found = Command::new("promtool").arg("--version").output().is_ok();
    if !found && std::env::var_os("RAPPU_REQUIRE_PROMTOOL").is_some() {
        panic!("promtool is required (scripts/setup installs Debian's prometheus package)");
    }
    found.then(|| PathBuf::from("promtool"))
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let Some(promtool) = promtool() else {
        eprintln!("note: promtool not installed; the alert rules were not checked");
        return;
    };
    let dir = ops().join("prometheus");
    for args in [
        &["check", "rules", "rappu-alerts.yml"][..],
        &["test", "rules", "rappu-alerts.test.yml"][..],
    ] {
        let out = Command::new(&promtool)
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_rules_and_the_dashboard_use_the_exposed_families_and_the_dashboard_shows_them_all() {
    let rules = std::fs::read_to_string(ops().join("prometheus/rappu-alerts.yml")).expect("rules");
    let dashboard_text =
        std::fs::read_to_string(ops().join("grafana/rappu-dashboard.json")).expect("dashboard");
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard_text).expect("json");
    let exprs: Vec<&str> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
        .collect();
    assert!(exprs.len() >= 20, "{} queries", exprs.len());
    let known: BTreeSet<String> = FAMILIES.iter().map(|f| (*f).to_owned()).collect();
    for (what, used) in [
        ("alert rules", names(&rules)),
        ("dashboard", names(&exprs.join("\n"))),
    ] {
        let unknown: Vec<_> = used.difference(&known).collect();
        assert!(unknown.is_empty(), "{what} use unexposed {unknown:?}");
    }
    let shown = names(&exprs.join("\n"));
    let missing: Vec<_> = known.difference(&shown).collect();
    assert!(missing.is_empty(), "the dashboard lacks {missing:?}");
    // Each alert the rules define is one the README's operator section names.
    for alert in [
        "RappuDisplayFleetOffline",
        "RappuUpstreamFailing",
        "RappuOutboxStuck",
        "RappuBudgetPace",
    ] {
        assert!(rules.contains(&format!("alert: {alert}")), "{alert}");
    }
}
