//! A change that lands while a fetch is in flight is never lost, through the real `rappu`
//! binary: Tampuuri (the simulator, in this process) reads its data at once but answers
//! 2.5 s late; while a refetch of a building's residents is on its way, a resident gains
//! turvakielto and the webhook is answered. No poll made after that answer shows the name,
//! and it never comes back.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::time::{Duration, Instant};

use rappu_shared::Grant;
use rappu_shared::display::DisplayFeed;
use rappu_sim::model::Role;
use rappu_sim::{Faults, Simulator, WebhookListener};
use serde_json::json;
use support::{eventually, sim_config, start, token, write_config};

const SECRET: &str = "privacy-test-webhook-secret-42";

fn names(feed: &DisplayFeed) -> Vec<String> {
    feed.staircases
        .iter()
        .flat_map(|s| &s.floors)
        .flat_map(|f| &f.apartments)
        .flat_map(|a| a.names.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turvakielto_during_a_slow_refetch_removes_the_name_at_once() {
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let sim = running.sim().clone();
    let account = config.accounts[0].name.clone();
    let dir = tempfile::tempdir().unwrap();
    let config_file = write_config(
        dir.path(),
        &running.base_url(),
        &config,
        &format!("[webhooks]\nsecret = \"{SECRET}\"\n\n[rate_limit]\nenabled = false\n"),
    );
    let gateway = start(dir.path(), &config_file, 1).await;
    let mut listener = WebhookListener::new(format!(
        "{}/api/v1/webhooks/tampuuri/{account}",
        gateway.url
    ))
    .with_header("X-Rappu-Webhook-Secret", SECRET);
    listener.account = Some(account.clone());
    sim.add_listener(listener);

    // Two current residents of one building with surnames nobody else there has (a family
    // shares one: a relative's name legitimately stays on the board).
    let snapshot = sim.snapshot(&account).unwrap();
    let today = snapshot.today;
    let building_of = |apartment: i64| {
        snapshot
            .object(apartment)
            .and_then(|a| a.yla_kohde_id)
            .and_then(|s| snapshot.object(s))
            .and_then(|s| s.yla_kohde_id)
    };
    // (building, party, surname) of everyone named on a board.
    let shown: Vec<(i64, i64, String)> = snapshot
        .connections
        .iter()
        .filter(|c| c.rooli == Role::Asukas && !c.piilota_porrasnaytolta)
        .filter(|c| c.alkaa <= today && c.paattyy.is_none_or(|e| e >= today))
        .filter_map(|c| {
            let p = snapshot.party(c.osapuoli_id)?;
            (!p.turvakielto && p.arkistoitu.is_none()).then_some(())?;
            Some((building_of(c.kohde_id)?, p.id, p.sukunimi.clone()?))
        })
        .collect();
    let everyone: Vec<(Option<i64>, String)> = snapshot
        .connections
        .iter()
        .filter_map(|c| {
            Some((
                building_of(c.kohde_id),
                snapshot.party(c.osapuoli_id)?.sukunimi.clone()?,
            ))
        })
        .collect();
    let unique = |(b, _, name): &&(i64, i64, String)| {
        everyone
            .iter()
            .filter(|(ob, n)| *ob == Some(*b) && n == name)
            .count()
            == 1
    };
    let mut candidates = shown.iter().filter(unique);
    let (building, target, surname) = candidates
        .next()
        .expect("a resident with a surname of their own")
        .clone();
    let (_, neighbour, neighbour_name) = shown
        .iter()
        .filter(unique)
        .find(|(b, p, _)| *b == building && *p != target)
        .expect("a second one in the building")
        .clone();
    let display = token(
        dir.path(),
        &account,
        Grant::Display {
            building: u64::try_from(building).unwrap(),
            staircase: None,
        },
    );
    let http = reqwest::Client::new();
    let feed = || async {
        let response = http
            .get(format!("{}/api/v1/display/feed", gateway.url))
            .bearer_auth(&display)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<DisplayFeed>().await.unwrap()
    };
    assert!(names(&feed().await).contains(&surname));
    let admin = |path: String, body: serde_json::Value| {
        let http = http.clone();
        let url = format!("http://{}/_sim/accounts/{account}/{path}", running.addr);
        async move {
            let response = http.patch(url).json(&body).send().await.unwrap();
            assert!(response.status().is_success());
        }
    };
    let delivered = |party: i64| {
        sim.deliveries().into_iter().any(|d| {
            d.status == Some(200)
                && d.notifications
                    .iter()
                    .any(|n| n.reference_id == party.to_string())
        })
    };

    // 1. Tampuuri answers slowly. 2. A change about the neighbour (webhook answered), then a
    // display poll: the building's residents are refetched, the answer 2.5 s away.
    sim.set_faults(Faults {
        response_delay_ms: 2_500,
        ..Faults::default()
    });
    admin(
        format!("parties/{neighbour}"),
        json!({"Matkapuhelin": "040 000 0000"}),
    )
    .await;
    eventually(10, "the neighbour's webhook answered", || async {
        delivered(neighbour).then_some(())
    })
    .await;
    let slow_poll = tokio::spawn({
        let (http, url, display) = (
            http.clone(),
            format!("{}/api/v1/display/feed", gateway.url),
            display.clone(),
        );
        async move {
            http.get(url)
                .bearer_auth(display)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    // 3. While that answer is on its way, the resident gains turvakielto; the webhook is
    // answered.
    admin(format!("parties/{target}"), json!({"Turvakielto": true})).await;
    eventually(10, "the turvakielto webhook answered", || async {
        delivered(target).then_some(())
    })
    .await;
    let answered = Instant::now();

    // 4. Every poll from now on: no name. The first within a poll's own wait, and for the
    // next 8 s (the old fetch lands 2 s from now; the new one 2.5 s after it started).
    let first = feed().await;
    assert!(
        !names(&first).contains(&surname),
        "shown {:?} after the webhook was answered",
        answered.elapsed()
    );
    println!(
        "first poll after the webhook: no name, answered in {:?}",
        answered.elapsed()
    );
    assert_eq!(slow_poll.await.unwrap(), 200);
    while answered.elapsed() < Duration::from_secs(8) {
        assert!(!names(&feed().await).contains(&surname));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The neighbour's name is back once Tampuuri's answers arrived.
    sim.set_faults(Faults::default());
    eventually(10, "the neighbour named again", || async {
        names(&feed().await).contains(&neighbour_name).then_some(())
    })
    .await;
    drop(gateway);
}
