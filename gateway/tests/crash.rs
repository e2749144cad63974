//! Exactly once across a crash: the real `rappu` binary is killed with SIGKILL while
//! Tampuuri (the simulator, in this process) has made a report but not yet answered, then
//! restarted on the same data directory. Every filed report ends up in Tampuuri exactly
//! once, by the simulator's own count; none is lost. Both schemes of finding a report
//! again: by `UlkoinenTunniste` on an account that keeps it, by Rappu's reference line in
//! the description on one that does not (the help pages' dialect).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use rappu_shared::Grant;
use rappu_sim::{Dialect, Faults, Simulator};
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
                .filter(|r| {
                    let line = format!("Rappu-viite: {id}");
                    r.kuvaus
                        .as_deref()
                        .is_some_and(|k| k.lines().any(|l| l.trim() == line))
                })
                .count()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_delivery_on_an_account_that_keeps_external_ids() {
    killed_mid_delivery(Dialect::classic(), "external-id").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_delivery_on_an_account_of_the_help_pages() {
    killed_mid_delivery(Dialect::vendor_help(), "reference").await;
}

async fn killed_mid_delivery(dialect: Dialect, scheme: &str) {
    let mut config = sim_config();
    let account = config.accounts[0].name.clone();
    config = config.with_dialect(&account, dialect);
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let sim = running.sim().clone();
    let summary = sim.summary(&account).unwrap();
    let resident = &summary.residents.plain[0];
    let dir = tempfile::tempdir().unwrap();
    let config_file = write_config(
        dir.path(),
        &running.base_url(),
        &config,
        &format!(
            "exactly_once = \"{scheme}\"\n\n[reports]\noutbox_backoff_min_ms = 20\noutbox_backoff_max_ms = 200\ncache_ttl_secs = 0\n"
        ),
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

    // A first report, delivered: where the apartment's reports go is read on the way.
    let mut gateway = start(dir.path(), &config_file, 1).await;
    let http = reqwest::Client::new();
    let file = |i: usize| {
        let (http, url, token) = (http.clone(), gateway.url.clone(), token.clone());
        async move {
            let response = http
                .post(format!("{url}/api/v1/fault-reports"))
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
            report["id"].as_str().unwrap().to_owned()
        }
    };
    let warm = file(FILED).await;
    let seen = |id: String| {
        let (http, url, token) = (http.clone(), gateway.url.clone(), token.clone());
        async move {
            let report: Value = http
                .get(format!("{url}/api/v1/fault-reports/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (report["status"] == "open").then_some(report)
        }
    };
    eventually(30, "the first report delivered", || seen(warm.clone())).await;

    // Tampuuri will make each report but hold its answer back.
    sim.set_faults(Faults {
        response_delay_ms: 600_000,
        ..Faults::default()
    });
    let mut filed = Vec::new();
    for i in 0..FILED {
        filed.push(file(i).await);
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
    let gateway = start(dir.path(), &config_file, 2).await;
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
        sim.calls().get(&account, "POST ilmoitukset/lisaa"),
        FILED as u64 + 1,
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
        // (An account may leave optional fields out: the help pages' dialect drops the
        // report number from some rows.)
        if scheme == "external-id" {
            assert!(report["number"].is_string());
        }
    }
    // Dropping the gateway stops it.
    drop(gateway);
}
