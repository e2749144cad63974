//! `rappu plan` prints the cost model's estimate (`rappu_gateway::plan`) for the fleet on
//! its command line, with the configured cadences.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use rappu_gateway::config::MirrorSettings;
use rappu_gateway::plan::{Fleet, estimate};
use serde_json::Value;

fn plan(args: &[&str], config: Option<&std::path::Path>) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rappu"));
    command
        .env_remove("RAPPU_CONFIG")
        .current_dir(std::env::temp_dir());
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let out = command
        .arg("plan")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const REFERENCE: &[&str] = &[
    "--buildings",
    "500",
    "--properties",
    "250",
    "--displays",
    "1000",
    "--residents",
    "15000",
    "--portal-users",
    "5000",
    "--changes-per-month",
    "3500",
];

#[test]
fn the_reference_fleet_with_webhooks_fits_the_normal_package() {
    let out = plan(
        &[REFERENCE, &["--webhooks", "on", "--package", "normal"]].concat(),
        None,
    );
    let total = out["calls_per_month"]["total"].as_u64().unwrap();
    let fleet = Fleet {
        properties: 250,
        displays: 1_000,
        residents: 15_000,
        portal_users: 5_000,
        changes_per_month: 3_500,
        ..Fleet::typical(500)
    };
    assert_eq!(total, estimate(&fleet, &MirrorSettings::default()).total);
    assert!(total <= 25_000, "{out}");
    let normal = out["bills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["package"] == "normal")
        .unwrap();
    assert_eq!(normal["eur"], 240.0);
    assert_eq!(out["lost_webhook_repaired_within_secs"], 86_400);
}

#[test]
fn polling_follows_the_configured_cadence() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rappu.toml");
    std::fs::write(&config, "[mirror]\npoll_secs = 3600\n").unwrap();
    let default = plan(&[REFERENCE, &["--webhooks", "off"]].concat(), None);
    let hourly = plan(&[REFERENCE, &["--webhooks", "off"]].concat(), Some(&config));
    let people = |v: &Value| {
        v["calls_per_month"]["by_kind"]["people_sweeps"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(people(&default), 4 * people(&hourly));
    assert_eq!(hourly["lost_webhook_repaired_within_secs"], 3_600);
}

#[test]
fn bad_figures_are_refused_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_rappu"))
        .env_remove("RAPPU_CONFIG")
        .args(["plan", "--buildings", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--buildings"));
}
