//! Exactly once across a crash: the real `rappu` binary is killed with SIGKILL while
//! Tampuuri (the simulator, in this process) has made a report but not yet answered, then
//! restarted on the same data directory. Every filed report ends up in Tampuuri exactly
//! once, by the simulator's own count; none is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use rappu_shared::Grant;
use rappu_sim::{Faults, Simulator};
use serde_json::{Value, json};
use support::{eventually, sim_config, start, token, write_config};

const FILED: usize = 5;

/// Ids of `filed` reports Tampuuri holds, with how many times each.
fn held(sim: &Simulator, account: &str, filed: &[String]) -> Vec<usize> {
    let snapshot = sim.snapshot(account).unwrap();
    filed
        .iter()
        .map(|id| {
            snapshot
                .reports
                .iter()
                .filter(|r| r.ulkoinen_tunniste.as_deref() == Some(id.as_str()))
                .count()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_mid_delivery_delivers_every_report_exactly_once() {
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let sim = running.sim().clone();
    let account = config.accounts[0].name.clone();
    let summary = sim.summary(&account).unwrap();
    let resident = &summary.residents.plain[0];
    let dir = tempfile::tempdir().unwrap();
    let config_file = write_config(
        dir.path(),
        &running.base_url(),
        &config,
        "[reports]\noutbox_backoff_min_ms = 20\noutbox_backoff_max_ms = 200\ncache_ttl_secs = 0\n",
    );
    // A token signed with the key the gateway will load from the same data directory.
    let token = token(
        dir.path(),
        &account,
        Grant::Resident {
            party: u64::try_from(resident.party_id).unwrap(),
            apartment: u64::try_from(resident.apartment_id).unwrap(),
        },
    );

    // Tampuuri will make each report but hold its answer back.
    sim.set_faults(Faults {
        response_delay_ms: 600_000,
        ..Faults::default()
    });
    let mut gateway = start(dir.path(), &config_file, 1).await;
    let http = reqwest::Client::new();
    let mut filed = Vec::new();
    for i in 0..FILED {
        let response = http
            .post(format!("{}/api/v1/fault-reports", gateway.url))
            .bearer_auth(&token)
            .header("idempotency-key", format!("crash-{i}"))
            .json(&json!({
                "topic": "apartment", "title": format!("Vika numero {i}"),
                "description": "Ei toimi.", "master_key_allowed": false,
                "contact_phone": "040 765 4321"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["status"], "pending");
        filed.push(report["id"].as_str().unwrap().to_owned());
    }

    // The first delivery has reached Tampuuri; its answer has not reached Rappu.
    eventually(30, "the first report in Tampuuri", || async {
        (held(&sim, &account, &filed).iter().sum::<usize>() == 1).then_some(())
    })
    .await;
    gateway.child.kill().unwrap(); // SIGKILL
    gateway.child.wait().unwrap();
    drop(gateway);
    assert_eq!(held(&sim, &account, &filed).iter().sum::<usize>(), 1);

    sim.set_faults(Faults::default());
    let mut gateway = start(dir.path(), &config_file, 2).await;
    eventually(60, "every report in Tampuuri", || async {
        held(&sim, &account, &filed)
            .iter()
            .all(|n| *n >= 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        held(&sim, &account, &filed),
        vec![1; FILED],
        "exactly once each"
    );
    assert_eq!(
        sim.calls().get(&account, "POST ilmoitukset/base64"),
        FILED as u64,
        "the report made before the crash was adopted, not created again"
    );
    // And the resident sees every one as delivered.
    for id in &filed {
        let report: Value = eventually(30, "the report delivered", || async {
            let report: Value = http
                .get(format!("{}/api/v1/fault-reports/{id}", gateway.url))
                .bearer_auth(&token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (report["status"] == "open").then_some(report)
        })
        .await;
        assert!(report["number"].is_string());
    }
    gateway.child.kill().unwrap();
    gateway.child.wait().unwrap();
}
