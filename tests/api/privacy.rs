//! The display's promise over generated worlds and under load: nobody under turvakielto,
//! nobody who asked to be left off (on any of their connections), nobody not a current
//! resident reaches any field of any feed; resident free text never does either; and a
//! webhook is never refused for quota, however busy the anonymous traffic.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use rappu_shared::display::DisplayFeed;
use rappu_sim::Snapshot;
use rappu_sim::model::Role;
use serde_json::json;

use crate::display::{buildings, display};
use crate::helpers::{TestApp, eventually, one_account, spawn_app_against};

const SECRET: &str = "privacy-webhook-secret-0123456789";

/// The building of an apartment (or of a staircase's child), per the simulator's tree.
fn building_of(snapshot: &Snapshot, object: i64) -> Option<i64> {
    let mut id = object;
    loop {
        let o = snapshot.object(id)?;
        if o.kohde_metatyyppi == rappu_sim::model::ObjectKind::Rakennus {
            return Some(id);
        }
        id = o.yla_kohde_id?;
    }
}

/// Parties who may appear on a public screen at all, by the rule computed from the
/// simulator's own data: a person known not to be under turvakielto, not archived, who has
/// not asked to be left off on any connection still in force.
fn may_appear(snapshot: &Snapshot) -> HashSet<i64> {
    let today = snapshot.today;
    let asked: HashSet<i64> = snapshot
        .connections
        .iter()
        .filter(|c| c.piilota_porrasnaytolta && c.paattyy.is_none_or(|e| e >= today))
        .map(|c| c.osapuoli_id)
        .collect();
    snapshot
        .parties
        .iter()
        .filter(|p| p.arkistoitu.is_none() && !asked.contains(&p.id))
        .filter(|p| p.osapuolityyppi == rappu_sim::model::PartyKind::Yritys || !p.turvakielto)
        .map(|p| p.id)
        .collect()
}

/// Every text that identifies a party (names, phones, e-mail).
fn tokens(snapshot: &Snapshot, party: i64) -> Vec<String> {
    let Some(p) = snapshot.party(party) else {
        return Vec::new();
    };
    let full = match (&p.etunimi, &p.sukunimi) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        _ => None,
    };
    [
        full,
        Some(p.nimi.clone()),
        p.puhelin.clone(),
        p.matkapuhelin.clone(),
        p.sahkoposti.clone(),
    ]
    .into_iter()
    .flatten()
    .filter(|t| t.len() >= 5)
    .collect()
}

#[tokio::test]
async fn no_feed_of_a_generated_world_shows_anyone_the_rule_forbids_in_any_field() {
    for seed in [3u64, 8, 2026] {
        let mut config = one_account(8);
        config.accounts[0].seed = seed;
        let app = spawn_app_against(config, |s| s.rate_limit.enabled = false).await;
        no_one_forbidden_in_any_feed(&app, seed).await;
        app.stop().await;
    }
}

/// The same over the account mirror shared in PostgreSQL: the replica that writes it and
/// one that only reads it (its feeds built from rows another process wrote).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_feed_of_a_generated_world_on_two_replicas_sharing_the_mirror_shows_anyone_the_rule_forbids()
 {
    if !crate::pg::available() {
        return;
    }
    for seed in [3u64, 2026] {
        let mut config = one_account(8);
        config.accounts[0].seed = seed;
        let url = crate::pg::database();
        let adjust = move |s: &mut rappu_gateway::Settings| {
            s.rate_limit.enabled = false;
            s.database_url = Some(url.clone());
        };
        let writer = spawn_app_against(config, adjust.clone()).await;
        let reader = crate::helpers::spawn_replica_of(&writer, adjust).await;
        assert!(writer.state.mirror.is_writer() && !reader.state.mirror.is_writer());
        no_one_forbidden_in_any_feed(&writer, seed).await;
        no_one_forbidden_in_any_feed(&reader, seed).await;
        reader.stop().await;
        writer.stop().await;
    }
}

/// Every building's feed on `app`: no phone, e-mail or full name of anyone the rule forbids
/// in any field; the board chair shown exactly when the rule allows.
async fn no_one_forbidden_in_any_feed(app: &TestApp, seed: u64) {
    let snapshot = app.sim.snapshot("acct").unwrap();
    let allowed = may_appear(&snapshot);
    let today = snapshot.today;
    let mut chairs_checked = 0;
    for building in buildings(&snapshot) {
        let feed = app.feed(&display(app, building)).await;
        let json = serde_json::to_string(&feed).unwrap();
        // Who is connected to this building or its property, and may not be shown.
        let property = snapshot.object(building).map(|b| b.kustannuspaikka_id);
        let forbidden: BTreeSet<i64> = snapshot
            .connections
            .iter()
            .filter(|c| {
                building_of(&snapshot, c.kohde_id) == Some(building) || Some(c.kohde_id) == property
            })
            .filter(|c| !allowed.contains(&c.osapuoli_id))
            .map(|c| c.osapuoli_id)
            .collect();
        for party in &forbidden {
            // A relative may share the surname; phones, e-mails and full names are theirs.
            for token in tokens(&snapshot, *party) {
                assert!(
                    !json.contains(&token),
                    "seed {seed}: {token} of party {party} in the feed of {building}"
                );
            }
        }
        // The board chair: shown exactly when the rule allows.
        let chair = snapshot.connections.iter().find(|c| {
            Some(c.kohde_id) == property
                && c.rooli == Role::HallituksenPuheenjohtaja
                && c.alkaa <= today
                && c.paattyy.is_none_or(|e| e >= today)
        });
        if let Some(chair) = chair {
            chairs_checked += 1;
            assert_eq!(
                feed.contacts.board_chair.is_some(),
                allowed.contains(&chair.osapuoli_id),
                "seed {seed}, building {building}: chair {}",
                chair.osapuoli_id
            );
        }
    }
    assert!(chairs_checked > 0);
}

/// A generated world's board chair who is also a resident, named on their property's
/// displays, with their resident connection.
fn a_named_chair(snapshot: &Snapshot) -> (i64, i64, i64) {
    snapshot
        .connections
        .iter()
        .filter(|c| c.rooli == Role::HallituksenPuheenjohtaja)
        .find_map(|chair| {
            let home = snapshot.connections.iter().find(|c| {
                c.osapuoli_id == chair.osapuoli_id
                    && c.rooli == Role::Asukas
                    && !c.piilota_porrasnaytolta
                    && c.paattyy.is_none()
            })?;
            let p = snapshot.party(chair.osapuoli_id)?;
            (!p.turvakielto && p.arkistoitu.is_none()).then_some((
                chair.kohde_id,
                chair.osapuoli_id,
                home.id,
            ))
        })
        .expect("a chair who may be shown")
}

#[tokio::test]
async fn a_chair_who_asks_to_be_left_off_their_home_board_leaves_every_board_within_2_s() {
    let app = spawn_app_against(one_account(4), |s| {
        s.webhooks.secret = Some(SECRET.into());
        s.rate_limit.enabled = false;
    })
    .await;
    app.subscribe_webhooks(SECRET);
    let snapshot = app.sim.snapshot("acct").unwrap();
    let (property, chair, home) = a_named_chair(&snapshot);
    let theirs: Vec<i64> = buildings(&snapshot)
        .into_iter()
        .filter(|b| snapshot.object(*b).map(|o| o.kustannuspaikka_id) == Some(property))
        .collect();
    let name = {
        let p = snapshot.party(chair).unwrap();
        format!(
            "{} {}",
            p.etunimi.clone().unwrap(),
            p.sukunimi.clone().unwrap()
        )
    };
    for b in &theirs {
        let feed = app.feed(&display(&app, *b)).await;
        assert_eq!(feed.contacts.board_chair.unwrap().name, name);
    }
    app.sim_admin(
        reqwest::Method::PATCH,
        &format!("accounts/acct/connections/{home}"),
        json!({"PiilotaPorrasnaytolta": true}),
    )
    .await;
    let changed = Instant::now();
    for b in &theirs {
        let token = display(&app, *b);
        eventually(2, "the chair off the board", || async {
            let feed = app.feed(&token).await;
            let json = serde_json::to_string(&feed).unwrap();
            (!json.contains(&name)).then_some(())
        })
        .await;
    }
    println!(
        "chair off {} boards in {:?}",
        theirs.len(),
        changed.elapsed()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_title_naming_a_neighbour_never_reaches_the_display() {
    let app = spawn_app_against(one_account(1), |s| {
        s.webhooks.secret = Some(SECRET.into());
        s.rate_limit.enabled = false;
    })
    .await;
    app.subscribe_webhooks(SECRET);
    let summary = app.summary();
    let resident = &summary.residents.plain[0];
    let neighbour = &summary.residents.plain[1];
    let snapshot = app.sim.snapshot("acct").unwrap();
    let neighbour_name = snapshot
        .party(neighbour.party_id)
        .and_then(|p| p.sukunimi.clone())
        .unwrap();
    let token = app.token(rappu_shared::Grant::Resident {
        party: crate::helpers::uid(resident.party_id),
        apartment: crate::helpers::uid(resident.apartment_id),
    });
    let title = format!("{neighbour_name}ien koira haukkuu rapussa");
    let display_token = display(&app, resident.building_id);
    let before = app.feed(&display_token).await.ongoing_work.len();
    let response = app
        .http
        .post(format!("{}/api/v1/fault-reports", app.url))
        .bearer_auth(&token)
        .header("idempotency-key", "title-naming-a-neighbour")
        .json(
            &json!({"topic": "common_areas", "title": title, "description": "Joka yö.",
            "location": "A-rappu", "master_key_allowed": false, "contact_phone": "040 111 2222"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // Delivered to Tampuuri, announced by its webhook, on the display: as its place and
    // state only.
    eventually(10, "the report in Tampuuri", || async {
        let s = app.sim.snapshot("acct").unwrap();
        s.reports.iter().any(|r| r.otsikko == title).then_some(())
    })
    .await;
    let feed: DisplayFeed = eventually(5, "the report on the display", || async {
        let feed = app.feed(&display_token).await;
        (feed.ongoing_work.len() > before || before >= 10).then_some(feed)
    })
    .await;
    let json = serde_json::to_string(&feed).unwrap();
    assert!(!json.contains("koira haukkuu"), "{json}");
    assert!(!json.contains(&title), "{json}");
    assert!(feed.ongoing_work.iter().all(|w| w.title.is_none()));
    app.stop().await;
}

/// 500 changes in a burst while anonymous clients (sharing the webhook's address, as behind
/// a proxy) keep the per-IP quota exhausted: every delivery is answered 200 at its first
/// attempt and every change reaches the feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_storm_in_a_busy_minute_loses_nothing() {
    let app = spawn_app_against(one_account(2), |s| {
        s.webhooks.secret = Some(SECRET.into());
        s.rate_limit.display_per_minute = 100_000;
        s.rate_limit.display_burst = 10_000;
    })
    .await;
    app.subscribe_webhooks(SECRET);
    let snapshot = app.sim.snapshot("acct").unwrap();
    // Anonymous traffic from the same address, well past 120 a minute.
    let stop = tokio_util::sync::CancellationToken::new();
    let noise = tokio::spawn({
        let (http, url, stop) = (app.http.clone(), app.url.clone(), stop.clone());
        async move {
            let mut refused = 0u32;
            while !stop.is_cancelled() {
                let r = http.get(format!("{url}/api/v1/me")).send().await.unwrap();
                refused += u32::from(r.status() == 429);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            refused
        }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // 500 changes: renames of the current residents, round after round.
    let residents: Vec<i64> = snapshot
        .connections
        .iter()
        .filter(|c| c.rooli == Role::Asukas)
        .map(|c| c.osapuoli_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let started = Instant::now();
    let mut last_name = std::collections::HashMap::new();
    let mut changes = futures::stream::FuturesUnordered::new();
    for i in 0..500usize {
        let party = residents[i % residents.len()];
        let name = format!("Myrsky{i}q");
        last_name.insert(party, name.clone());
        let (http, url) = (
            app.http.clone(),
            format!("{}/_sim/accounts/acct/parties/{party}", app.sim_url),
        );
        changes.push(async move {
            http.patch(url)
                .json(&json!({"Sukunimi": name}))
                .send()
                .await
                .unwrap()
                .status()
        });
        if changes.len() >= 16 {
            use futures::StreamExt as _;
            assert!(changes.next().await.unwrap().is_success());
        }
    }
    use futures::StreamExt as _;
    while let Some(status) = changes.next().await {
        assert!(status.is_success());
    }
    // Every delivery answered 200, none retried.
    let deliveries = eventually(60, "every bundle delivered", || async {
        let d = app.sim.deliveries();
        (d.iter().filter(|d| d.status == Some(200)).count() >= 500).then_some(d)
    })
    .await;
    println!("500 changes delivered in {:?}", started.elapsed());
    assert!(
        deliveries
            .iter()
            .all(|d| d.status == Some(200) && d.attempt == 1),
        "refused: {:?}",
        deliveries
            .iter()
            .filter(|d| d.status != Some(200))
            .take(3)
            .collect::<Vec<_>>()
    );
    stop.cancel();
    let refused = noise.await.unwrap();
    assert!(
        refused > 0,
        "the anonymous traffic did exhaust the per-IP quota"
    );
    // Every change reached the feeds: each resident's last name is the one shown. The
    // changed rows are fetched in the background after the answers, paced per account.
    let after = app.sim.snapshot("acct").unwrap();
    let allowed = may_appear(&after);
    eventually(120, "every change on the screens", || async {
        for building in buildings(&after) {
            let token = display(&app, building);
            let feed = app.feed(&token).await;
            let shown: BTreeSet<String> = feed
                .staircases
                .iter()
                .flat_map(|s| &s.floors)
                .flat_map(|f| &f.apartments)
                .flat_map(|a| a.names.clone())
                .collect();
            let complete = after
                .connections
                .iter()
                .filter(|c| {
                    c.rooli == Role::Asukas
                        && building_of(&after, c.kohde_id) == Some(building)
                        && !c.piilota_porrasnaytolta
                        && c.alkaa <= after.today
                        && c.paattyy.is_none_or(|e| e >= after.today)
                        && allowed.contains(&c.osapuoli_id)
                })
                .all(|c| shown.contains(&last_name[&c.osapuoli_id]));
            if !complete {
                tokio::time::sleep(Duration::from_secs(1)).await;
                return None;
            }
        }
        Some(())
    })
    .await;
    app.stop().await;
}
