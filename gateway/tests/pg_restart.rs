//! The database server restarted under display load (`pg_ctl stop -m fast`, a few seconds
//! down, started again on the same port): displays polling their feeds get no 5xx at any
//! point (a cached poll never touches the database); a fault report sent meanwhile is either
//! stored (201, and then in Tampuuri exactly once) or refused with 503 and `Retry-After`,
//! never answered 201 and lost; `/readyz` says 503 while the database is away and 200 once
//! it is back, and the refused reports, sent again with the same keys, are filed.
//!
//! This test binary holds this one test: it stops its process's PostgreSQL cluster
//! (`tests/api/pg.rs`), which every other test of the process would share.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../tests/api/pg.rs"]
#[allow(dead_code)]
mod pg;
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rappu_shared::Grant;
use rappu_sim::Simulator;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use support::{eventually, held, sim_config, start_with_env, token, write_config};

/// Pollers, each a display of its own reading its building's feed as fast as it can.
const DISPLAYS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_restarted_under_display_load_costs_no_feed_and_no_report() {
    if !pg::available() {
        return;
    }
    let database = pg::database();
    let env = [("RAPPU_DATABASE_URL", database.expose_secret())];
    let config = sim_config();
    let account = config.accounts[0].name.clone();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let sim = running.sim().clone();
    let summary = sim.summary(&account).unwrap();
    let resident = &summary.residents.plain[0];
    let buildings: Vec<u64> = summary
        .properties
        .iter()
        .flat_map(|p| p.buildings.iter().map(|b| u64::try_from(b.id).unwrap()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let extra = "[rate_limit]\ndisplay_per_minute = 10000000\ndisplay_burst = 1000000\n\
                 token_per_minute = 100000\ntoken_burst = 10000\n\n\
                 [reports]\noutbox_backoff_min_ms = 20\noutbox_backoff_max_ms = 500\n";
    let config_file = write_config(dir.path(), &running.base_url(), &config, extra);
    let resident_token = token(
        dir.path(),
        &account,
        Grant::Resident {
            party: u64::try_from(resident.party_id).unwrap(),
            apartment: u64::try_from(resident.apartment_id).unwrap(),
        },
    );
    let gateway = start_with_env(dir.path(), &config_file, 1, &env).await;
    let http = reqwest::Client::new();
    let file = |key: String| {
        let (http, token, url) = (http.clone(), resident_token.clone(), gateway.url.clone());
        async move {
            http.post(format!("{url}/api/v1/fault-reports"))
                .bearer_auth(&token)
                .header("idempotency-key", &key)
                .json(&json!({
                    "topic": "apartment", "title": format!("Vika {key}"),
                    "description": "Ei toimi.", "master_key_allowed": false,
                    "contact_phone": "040 765 4321"
                }))
                .send()
                .await
                .unwrap()
        }
    };
    let ready = || {
        let (http, url) = (http.clone(), gateway.url.clone());
        async move {
            http.get(format!("{url}/readyz"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    // The displays poll from here to the end; every answer's status is counted.
    let stop = Arc::new(AtomicBool::new(false));
    let mut pollers = Vec::new();
    for i in 0..DISPLAYS {
        let building = buildings[i % buildings.len()];
        let token = token(
            dir.path(),
            &account,
            Grant::Display {
                building,
                staircase: None,
            },
        );
        let (http, url, stop) = (http.clone(), gateway.url.clone(), stop.clone());
        let first = http
            .get(format!("{url}/api/v1/display/feed"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 200, "building {building}'s feed");
        pollers.push(tokio::spawn(async move {
            let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
            let mut failures = 0u64;
            while !stop.load(Ordering::Relaxed) {
                match http
                    .get(format!("{url}/api/v1/display/feed"))
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    Ok(r) => {
                        *statuses.entry(r.status().as_u16()).or_default() += 1;
                        let _ = r.bytes().await;
                    }
                    Err(_) => failures += 1,
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (statuses, failures)
        }));
    }

    let mut stored = Vec::new();
    for i in 0..3 {
        let response = file(format!("before-{i}")).await;
        assert_eq!(response.status(), 201);
        stored.push(
            response.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    pg::stop();
    eventually(20, "/readyz to say 503 with the database away", || async {
        (ready().await == 503).then_some(())
    })
    .await;
    // Down for a while, reports arriving meanwhile: each stored or refused, never lost.
    let mut refused = Vec::new();
    let mut slowest = Duration::ZERO;
    for i in 0..4 {
        let key = format!("during-{i}");
        let sent = std::time::Instant::now();
        let response = file(key.clone()).await;
        slowest = slowest.max(sent.elapsed());
        match response.status().as_u16() {
            201 => stored.push(
                response.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            503 => {
                assert!(
                    response.headers().get("retry-after").is_some(),
                    "a 503 without Retry-After"
                );
                let problem: Value = response.json().await.unwrap();
                assert!(problem["title"].is_string(), "{problem}");
                refused.push(key);
            }
            other => panic!("a report during the outage answered {other}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        !refused.is_empty(),
        "with the database stopped, some report must have been refused"
    );
    println!(
        "{} of 4 reports refused during the outage, the slowest answer in {slowest:?}",
        refused.len()
    );
    pg::start_again();
    eventually(60, "/readyz to say 200 with the database back", || async {
        (ready().await == 200).then_some(())
    })
    .await;
    // The refused ones, sent again with the same keys, are filed now; and a new one.
    for key in refused.iter().cloned().chain(["after-0".to_owned()]) {
        let response = eventually(30, "a report accepted after the restart", || {
            let key = key.clone();
            let file = &file;
            async move {
                let response = file(key).await;
                (response.status() == 201).then_some(response)
            }
        })
        .await;
        stored.push(
            response.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // A little more polling with the database back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all: BTreeMap<u16, u64> = BTreeMap::new();
    let mut failures = 0;
    for poller in pollers {
        let (statuses, f) = poller.await.unwrap();
        failures += f;
        for (status, n) in statuses {
            *all.entry(status).or_default() += n;
        }
    }
    assert_eq!(failures, 0, "connections failed: {all:?}");
    assert_eq!(
        all.keys().copied().collect::<Vec<_>>(),
        vec![200],
        "every poll answered 200 throughout: {all:?}"
    );
    assert!(all[&200] > 100, "the displays kept polling: {all:?}");
    println!(
        "feeds polled across the restart: {all:?}; reports stored {}",
        stored.len()
    );

    // Every stored report reaches Tampuuri exactly once.
    eventually(60, "every stored report in Tampuuri", || async {
        held(&sim, &account, &stored)
            .iter()
            .all(|n| *n >= 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        held(&sim, &account, &stored),
        vec![1; stored.len()],
        "exactly once each"
    );
    drop(gateway);
}
