//! The display feed: privacy over generated worlds, single flight, 304, stale data while
//! Tampuuri is slow or down, webhooks and live updates, rate limits.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use rappu_shared::Grant;
use rappu_shared::display::DisplayFeed;
use rappu_sim::model::{ObjectKind, Role};
use rappu_sim::{Faults, Snapshot};
use serde_json::json;

use crate::helpers::{
    TestApp, eventually, expect_problem, one_account, spawn_app_against, spawn_app_cold, uid,
};

const SECRET: &str = "test-webhook-secret-0123456789";

/// A display token for `building`.
pub(crate) fn display(app: &TestApp, building: i64) -> String {
    app.token(Grant::Display {
        building: uid(building),
        staircase: None,
    })
}

/// The building ids of a generated world.
pub(crate) fn buildings(snapshot: &Snapshot) -> Vec<i64> {
    snapshot
        .objects
        .iter()
        .filter(|o| o.kohde_metatyyppi == ObjectKind::Rakennus)
        .map(|o| o.id)
        .collect()
}

/// The surnames the rules allow for `apartment`, computed from the simulator's own data.
fn permitted(snapshot: &Snapshot, apartment: i64) -> BTreeSet<String> {
    let today = snapshot.today;
    snapshot
        .connections
        .iter()
        .filter(|c| c.kohde_id == apartment && c.rooli == Role::Asukas)
        .filter(|c| c.alkaa <= today && c.paattyy.is_none_or(|e| e >= today))
        .filter(|c| !c.piilota_porrasnaytolta)
        .filter_map(|c| snapshot.party(c.osapuoli_id))
        .filter(|p| !p.turvakielto && p.arkistoitu.is_none())
        .filter_map(|p| p.sukunimi.clone())
        .collect()
}

/// Apartment number as shown → names, for every apartment line of a feed.
fn lines(feed: &DisplayFeed) -> HashMap<String, Vec<String>> {
    feed.staircases
        .iter()
        .flat_map(|s| &s.floors)
        .flat_map(|f| &f.apartments)
        .map(|a| (a.number.clone(), a.names.clone()))
        .collect()
}

#[tokio::test]
async fn every_feed_names_exactly_the_permitted_residents_in_generated_worlds() {
    for seed in [1u64, 7, 42, 2026, 90_210] {
        let mut config = one_account(4);
        config.accounts[0].seed = seed;
        let app = spawn_app_against(config, |s| s.rate_limit.enabled = false).await;
        names_exactly_the_permitted(&app, seed).await;
        app.stop().await;
    }
}

/// The same over the account mirror shared in PostgreSQL, on the replica that writes it and
/// on one that only reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_sharing_the_mirror_name_exactly_the_permitted_residents_in_generated_worlds()
{
    if !crate::pg::available() {
        return;
    }
    for seed in [7u64, 90_210] {
        let mut config = one_account(4);
        config.accounts[0].seed = seed;
        let url = crate::pg::database();
        let adjust = move |s: &mut rappu_gateway::Settings| {
            s.rate_limit.enabled = false;
            s.database_url = Some(url.clone());
        };
        let writer = spawn_app_against(config, adjust.clone()).await;
        let reader = crate::helpers::spawn_replica_of(&writer, adjust).await;
        assert!(writer.state.mirror.is_writer() && !reader.state.mirror.is_writer());
        names_exactly_the_permitted(&writer, seed).await;
        names_exactly_the_permitted(&reader, seed).await;
        reader.stop().await;
        writer.stop().await;
    }
}

/// Every building's feed on `app` has a line for each apartment with exactly the residents
/// the rule permits.
async fn names_exactly_the_permitted(app: &crate::helpers::TestApp, seed: u64) {
    let snapshot = app.sim.snapshot("acct").unwrap();
    for building in buildings(&snapshot) {
        let feed = app.feed(&display(app, building)).await;
        let shown = lines(&feed);
        let apartments: Vec<_> = snapshot
            .objects
            .iter()
            .filter(|o| o.kohde_metatyyppi == ObjectKind::Huoneisto)
            .filter(|o| {
                let stair = o.yla_kohde_id.and_then(|s| snapshot.object(s));
                stair.and_then(|s| s.yla_kohde_id) == Some(building)
            })
            .collect();
        assert_eq!(
            shown.len(),
            apartments.len(),
            "seed {seed}: every apartment has a line"
        );
        for apartment in apartments {
            let names: BTreeSet<String> = shown
                .get(&apartment.tunnus)
                .unwrap_or_else(|| panic!("seed {seed}: no line for {}", apartment.tunnus))
                .iter()
                .cloned()
                .collect();
            assert_eq!(
                names,
                permitted(&snapshot, apartment.id),
                "seed {seed}, apartment {}",
                apartment.tunnus
            );
        }
    }
}

#[tokio::test]
async fn the_interesting_residents_of_the_demo_data_never_appear() {
    let app = crate::helpers::spawn_app().await;
    let snapshot = app.sim.snapshot(&app.account()).unwrap();
    let r = app.summary().residents;
    for (kind, examples) in [
        ("turvakielto", &r.turvakielto),
        ("hidden", &r.hidden),
        ("former", &r.former),
        ("future", &r.future),
        ("archived", &r.archived),
    ] {
        assert!(!examples.is_empty(), "the demo data has {kind} residents");
        for example in examples {
            let surname = snapshot
                .party(example.party_id)
                .and_then(|p| p.sukunimi.clone())
                .unwrap();
            let apartment = snapshot.object(example.apartment_id).unwrap();
            let feed = app.feed(&display(&app, example.building_id)).await;
            let names = lines(&feed).remove(&apartment.tunnus).unwrap();
            // Only a permitted co-resident of the same surname could put it there.
            if !permitted(&snapshot, example.apartment_id).contains(&surname) {
                assert!(
                    !names.contains(&surname),
                    "{kind} resident {surname} shown in {}",
                    apartment.tunnus
                );
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_hundred_concurrent_misses_make_one_build_and_no_upstream_call() {
    let app = spawn_app_against(one_account(2), |_| {}).await;
    let building = buildings(&app.sim.snapshot("acct").unwrap())[0];
    // A hundred displays of one building, each with its own token, all at once.
    let tokens: Vec<String> = (0..100).map(|_| display(&app, building)).collect();
    app.sim.set_faults(Faults {
        latency_ms: 50,
        ..Faults::default()
    });
    app.sim.reset_calls();
    let responses = futures::future::join_all(
        tokens
            .iter()
            .map(|t| app.get("/api/v1/display/feed", Some(t))),
    )
    .await;
    let etags: BTreeSet<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status(), 200);
            r.headers()["etag"].to_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(etags.len(), 1, "everyone got the same version");
    assert_eq!(
        app.sim.calls().total(),
        0,
        "feeds are built from the account mirror: no Tampuuri call per building"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unchanged_feed_answers_304_and_gzip_is_served_when_asked() {
    let app = spawn_app_against(one_account(1), |_| {}).await;
    let token = display(&app, buildings(&app.sim.snapshot("acct").unwrap())[0]);
    let first = app.get("/api/v1/display/feed", Some(&token)).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.len() == 34,
        "strong etag {etag}"
    );
    let cache_control = first.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cache_control.starts_with("private, max-age="),
        "{cache_control}"
    );
    assert!(
        cache_control.contains("stale-while-revalidate=")
            && cache_control.contains("stale-if-error=")
    );
    let body = first.bytes().await.unwrap();

    let again = app
        .http
        .get(format!("{}/api/v1/display/feed", app.url))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    let other = app
        .http
        .get(format!("{}/api/v1/display/feed", app.url))
        .bearer_auth(&token)
        .header("if-none-match", "\"something-else\"")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(other.headers()["content-encoding"], "gzip");
    let gz = other.bytes().await.unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
    assert_eq!(plain, body.to_vec());
    app.stop().await;
}

/// The feed is answered by its own lane in front of the router (gateway/src/http/lane.rs):
/// the same request id, headers, errors and timeout as every other route.
#[tokio::test]
async fn the_feed_lane_answers_as_the_router_would() {
    // A gateway just started against a slow Tampuuri: the account is still being loaded.
    let slow_tampuuri = Faults {
        latency_ms: 2_500,
        ..Default::default()
    };
    let app = spawn_app_cold(one_account(1), slow_tampuuri, |s| {
        s.server.request_timeout_secs = 1;
    })
    .await;
    let building = buildings(&app.sim.snapshot("acct").unwrap())[0];
    let token = display(&app, building);
    let url = format!("{}/api/v1/display/feed", app.url);

    // The first feed waits for the load, but not past the request timeout: 503
    // problem+json, as the router's timeout layer answers.
    let slow = app.get("/api/v1/display/feed", Some(&token)).await;
    let problem = expect_problem(slow, 503).await;
    assert_eq!(problem.slug(), "unavailable");
    assert_eq!(problem.instance.as_deref(), Some("/api/v1/display/feed"));
    app.sim.set_faults(Faults::default());

    // 200: a generated request id and the security headers.
    let first = eventually(60, "the feed once Tampuuri answers", || async {
        let response = app.get("/api/v1/display/feed", Some(&token)).await;
        (response.status() == 200).then_some(response)
    })
    .await;
    let h = first.headers().clone();
    let issued = h["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(issued).is_ok(), "{issued}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["content-type"], "application/json");
    let etag = h["etag"].to_str().unwrap().to_owned();
    let body = first.bytes().await.unwrap();

    // HEAD goes through the router: the same status and validators.
    let head = app
        .http
        .head(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], etag.as_str());
    assert_eq!(head.headers()["cache-control"], h["cache-control"]);
    assert_eq!(head.headers()["x-frame-options"], "DENY");

    // A query string does not change the answer; the caller's request id comes back.
    let queried = app
        .http
        .get(format!("{url}?screen=7"))
        .bearer_auth(&token)
        .header("x-request-id", "display-7-poll-42")
        .send()
        .await
        .unwrap();
    assert_eq!(queried.status(), 200);
    assert_eq!(queried.headers()["x-request-id"], "display-7-poll-42");
    assert_eq!(queried.bytes().await.unwrap(), body);

    // 304: validators and caching headers, no content and no content headers.
    let not_modified = app
        .http
        .get(&url)
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    let h304 = not_modified.headers();
    assert_eq!(h304["etag"], etag.as_str());
    assert_eq!(h304["cache-control"], h["cache-control"]);
    assert_eq!(h304["vary"], "Accept-Encoding");
    assert!(h304.contains_key("x-request-id") && h304.contains_key("date"));
    for absent in ["content-type", "last-modified", "x-frame-options"] {
        assert!(!h304.contains_key(absent), "{absent} on a 304");
    }

    // Errors are problem documents naming the request.
    let anonymous = app.http.get(&url).send().await.unwrap();
    let id = anonymous.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(anonymous.headers()["x-frame-options"], "DENY");
    let problem = expect_problem(anonymous, 401).await;
    assert_eq!(problem.request_id.as_deref(), Some(id.as_str()));
    assert_eq!(problem.instance.as_deref(), Some("/api/v1/display/feed"));
    expect_problem(
        app.get("/api/v1/display/feed", Some("not-a-token")).await,
        401,
    )
    .await;
    let admin = app.token(Grant::Admin);
    expect_problem(app.get("/api/v1/display/feed", Some(&admin)).await, 403).await;
    let post = app
        .http
        .post(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_problem(post, 405).await;
    app.stop().await;
}

/// Moves tokio's clock (the gateway's timers run on it) forward by `secs`, in steps of at
/// most 20 s with a moment of real time after each, so that calls the timers start are
/// answered before the clock jumps past their timeouts.
pub async fn advance(secs: u64) {
    let mut left = secs;
    while left > 0 {
        let step = left.min(20);
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(step)).await;
        tokio::time::resume();
        tokio::time::sleep(Duration::from_millis(30)).await;
        left -= step;
    }
}

#[tokio::test]
async fn without_webhooks_a_change_shows_after_the_next_poll_then_stale_then_gone() {
    let app = spawn_app_against(one_account(1), |s| {
        s.mirror.poll_secs = 60;
        s.feeds.max_stale_secs = 600;
        s.tampuuri.as_mut().unwrap().max_retries = 0;
        // The test polls while it waits.
        s.rate_limit.enabled = false;
    })
    .await;
    let snapshot = app.sim.snapshot("acct").unwrap();
    let building = buildings(&snapshot)[0];
    let token = display(&app, building);
    let first = app.feed(&token).await;
    assert!(!first.stale);

    // A change in Tampuuri, no webhook: visible only after the next poll.
    let example = app
        .summary()
        .residents
        .plain
        .into_iter()
        .find(|r| r.building_id == building)
        .unwrap();
    app.sim_admin(
        reqwest::Method::PATCH,
        &format!("accounts/acct/parties/{}", example.party_id),
        json!({"Sukunimi": "Uusinimi"}),
    )
    .await;
    assert_eq!(app.feed(&token).await, first, "served from the mirror");

    app.sim.reset_calls();
    advance(61).await;
    let fresh = eventually(5, "the poll's change on the board", || async {
        let feed = app.feed(&token).await;
        (feed != first).then_some(feed)
    })
    .await;
    assert!(lines(&fresh).values().flatten().any(|n| n == "Uusinimi"));
    // One reconciliation, account-wide: people, open reports and news, one call each for a
    // small account. Nothing per building; the registry waits for its own cadence.
    assert_eq!(
        (
            app.sim.calls().get("acct", "POST osapuolet/yhteydet/selaa"),
            app.sim.calls().get("acct", "POST ilmoitukset/selaa"),
            app.sim.calls().get("acct", "POST uutiset/selaa"),
            app.sim.calls().total(),
        ),
        (1, 1, 1, 3)
    );

    // Tampuuri goes down: the board stays, marked stale ...
    app.sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    advance(61).await;
    let stale = eventually(5, "a stale-marked feed", || async {
        let feed = app.feed(&token).await;
        feed.stale.then_some(feed)
    })
    .await;
    assert_eq!(
        stale.staircases, fresh.staircases,
        "the same data, marked stale"
    );

    // ... until it has been down longer than stale data may be shown.
    advance(700).await;
    let problem = eventually(5, "no more feed", || async {
        let response = app.get("/api/v1/display/feed", Some(&token)).await;
        (response.status() == 503).then_some(response)
    })
    .await;
    assert_eq!(
        expect_problem(problem, 503).await.slug(),
        "upstream-unavailable"
    );

    // Tampuuri is back: the next retry (and the circuit breaker's probe) bring it back.
    app.sim.set_faults(Faults::default());
    advance(1_000).await;
    let recovered = eventually(10, "the feed again", || async {
        let response = app.get("/api/v1/display/feed", Some(&token)).await;
        if response.status() != 200 {
            return None;
        }
        let feed: DisplayFeed = response.json().await.ok()?;
        (!feed.stale).then_some(feed)
    })
    .await;
    assert_eq!(recovered.staircases, fresh.staircases);
    app.stop().await;
}

async fn post_bundle(app: &TestApp, secret: &str, bundle: &serde_json::Value) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/webhooks/tampuuri/acct", app.url))
        .header("x-rappu-webhook-secret", secret)
        .json(bundle)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bundle_delivered_five_times_has_one_effect() {
    let app = spawn_app_against(one_account(1), |s| s.webhooks.secret = Some(SECRET.into())).await;
    let building = buildings(&app.sim.snapshot("acct").unwrap())[0];
    let token = display(&app, building);
    app.feed(&token).await;
    let example = app
        .summary()
        .residents
        .plain
        .into_iter()
        .find(|r| r.building_id == building)
        .unwrap();
    let bundle = json!({"Id": "b1", "Attempt": 1, "Properties": {}, "Notifications": [
        {"Action": "KohdeOsapuoliMuokkaa", "Id": "n1", "Account": "*****",
         "ReferenceId": example.apartment_id.to_string(), "ReferenceSecondaryId": example.party_id.to_string(),
         "ReferenceData": "", "ReferenceJson": "", "Timestamp": "2026-11-23T10:00:00.00", "DateTimeZone": "UTC"},
        {"Action": "JokinUusiTapahtuma", "Id": "n2", "ReferenceId": "1"}
    ]});
    app.sim.reset_calls();
    let mut receipts = Vec::new();
    for attempt in 1..=5 {
        let mut b = bundle.clone();
        b["Attempt"] = json!(attempt);
        let response = post_bundle(&app, SECRET, &b).await;
        assert_eq!(response.status(), 200);
        let receipt: serde_json::Value = response.json().await.unwrap();
        receipts.push((
            receipt["new"].as_u64().unwrap(),
            receipt["feeds_affected"].as_u64().unwrap(),
        ));
        app.feed(&token).await;
    }
    assert_eq!(
        receipts[0],
        (2, 1),
        "first delivery: two new notifications, one feed"
    );
    assert!(receipts[1..].iter().all(|r| *r == (0, 0)), "{receipts:?}");
    // The change is fetched once (the party's connections, one search), in the background.
    eventually(5, "the change's fetch", || async {
        (app.sim.calls().get("acct", "POST osapuolet/yhteydet/selaa") == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.sim.calls().total(), 1, "nothing else refetched");
    assert_eq!(app.state.store.notification_count().await.unwrap(), 2);

    // Wrong, missing secret: refused before parsing.
    let p = expect_problem(
        post_bundle(&app, "wrong-secret-wrong-secret", &bundle).await,
        401,
    )
    .await;
    assert_eq!(p.slug(), "invalid-secret");
    let response = app
        .http
        .post(format!("{}/api/v1/webhooks/tampuuri/acct", app.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_problem(response, 401).await;
    // Right secret, garbage body: 400; unknown account: 404.
    let response = app
        .http
        .post(format!(
            "{}/api/v1/webhooks/tampuuri/acct?secret={SECRET}",
            app.url
        ))
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_problem(response, 400).await;
    let response = app
        .http
        .post(format!("{}/api/v1/webhooks/tampuuri/nobody", app.url))
        .header("x-rappu-webhook-secret", SECRET)
        .json(&bundle)
        .send()
        .await
        .unwrap();
    expect_problem(response, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn webhooks_are_off_without_a_secret() {
    let app = spawn_app_against(one_account(1), |_| {}).await;
    let response = post_bundle(&app, SECRET, &json!({"Notifications": []})).await;
    expect_problem(response, 404).await;
    app.stop().await;
}

/// Reads Server-Sent Events from a response, one `(id, data)` per `feed` event.
pub(crate) struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    pub(crate) async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app
            .http
            .get(format!("{}/api/v1/display/events", app.url))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next `feed` event within `within`, or `None`.
    pub(crate) async fn next(&mut self, within: Duration) -> Option<(String, serde_json::Value)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim_start().to_owned()))
                };
                if field("event:").as_deref() == Some("feed") {
                    let data = serde_json::from_str(&field("data:").unwrap()).unwrap();
                    return Some((field("id:").unwrap(), data));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test]
async fn a_webhook_reaches_subscribed_displays_as_an_event() {
    let app = spawn_app_against(one_account(1), |s| s.webhooks.secret = Some(SECRET.into())).await;
    app.subscribe_webhooks(SECRET);
    let building = buildings(&app.sim.snapshot("acct").unwrap())[0];
    let token = display(&app, building);
    let mut events = Events::open(&app, &token, None).await;
    let (first_id, first) = events
        .next(Duration::from_secs(5))
        .await
        .expect("the current version at once");
    assert_eq!(first["etag"].as_str().unwrap().trim_matches('"'), first_id);

    let example = app
        .summary()
        .residents
        .plain
        .into_iter()
        .find(|r| r.building_id == building)
        .unwrap();
    let started = std::time::Instant::now();
    app.sim_admin(
        reqwest::Method::PATCH,
        &format!("accounts/acct/parties/{}", example.party_id),
        json!({"Sukunimi": "Muuttunut"}),
    )
    .await;
    // A change that may concern a person is announced twice: at once with the cached feed
    // minus the names it may concern (provisional), then with Tampuuri's new data.
    let mut seen = Vec::new();
    let id = loop {
        let (id, data) = events
            .next(Duration::from_secs(5))
            .await
            .expect("an event after the change");
        assert_ne!(id, first_id);
        seen.push(started.elapsed());
        let response = app.get("/api/v1/display/feed", Some(&token)).await;
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let feed: DisplayFeed = response.json().await.unwrap();
        // The event whose ETag is the feed's, once the feed has the new name.
        if etag == data["etag"].as_str().unwrap()
            && lines(&feed).values().flatten().any(|n| n == "Muuttunut")
        {
            break id;
        }
        assert!(seen.len() < 4, "the new name never came: {seen:?}");
    };
    println!("change → events: {seen:?}");
    // Reconnecting with the current id: no event until the next change; with an old one: at once.
    let mut up_to_date = Events::open(&app, &token, Some(&id)).await;
    assert!(up_to_date.next(Duration::from_millis(300)).await.is_none());
    let mut behind = Events::open(&app, &token, Some(&first_id)).await;
    assert_eq!(behind.next(Duration::from_secs(5)).await.unwrap().0, id);
    app.stop().await;
}

#[tokio::test]
async fn displays_and_anonymous_clients_are_rate_limited_with_429() {
    let app = spawn_app_against(one_account(1), |s| {
        s.rate_limit.display_burst = 3;
        s.rate_limit.display_per_minute = 1;
        s.rate_limit.ip_burst = 2;
        s.rate_limit.ip_per_minute = 1;
    })
    .await;
    let token = display(&app, buildings(&app.sim.snapshot("acct").unwrap())[0]);
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/display/feed", Some(&token)).await.status(),
            200
        );
    }
    let refused = app.get("/api/v1/display/feed", Some(&token)).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        refused.headers()["ratelimit-policy"],
        "\"display\";q=1;w=60"
    );
    assert!(
        refused.headers()["ratelimit"]
            .to_str()
            .unwrap()
            .starts_with("\"display\";r=0;t=")
    );
    expect_problem(refused, 429).await;
    // Another display is not affected.
    let other = display(&app, buildings(&app.sim.snapshot("acct").unwrap())[0]);
    assert_eq!(
        app.get("/api/v1/display/feed", Some(&other)).await.status(),
        200
    );

    // Without a token: per IP. Health checks are never limited.
    for _ in 0..2 {
        assert_eq!(app.get("/openapi.json", None).await.status(), 200);
    }
    expect_problem(app.get("/openapi.json", None).await, 429).await;
    // The feed's own lane draws on the same per-IP bucket, for no token or a bad one.
    expect_problem(app.get("/api/v1/display/feed", None).await, 429).await;
    expect_problem(
        app.get("/api/v1/display/feed", Some("not-a-token")).await,
        429,
    )
    .await;
    for _ in 0..5 {
        assert_eq!(app.get("/healthz", None).await.status(), 200);
    }
    app.stop().await;
}

#[tokio::test]
async fn misconfigured_or_wrong_tokens_are_refused() {
    let app = spawn_app_against(one_account(1), |_| {}).await;
    let snapshot = app.sim.snapshot("acct").unwrap();
    let building = buildings(&snapshot)[0];
    let property = snapshot
        .objects
        .iter()
        .find(|o| o.kohde_metatyyppi == ObjectKind::Kustannuspaikka)
        .unwrap()
        .id;
    let not_a_building = app.token(Grant::Display {
        building: uid(property),
        staircase: None,
    });
    expect_problem(
        app.get("/api/v1/display/feed", Some(&not_a_building)).await,
        404,
    )
    .await;
    let no_such = app.token(Grant::Display {
        building: 999_999_999,
        staircase: None,
    });
    expect_problem(app.get("/api/v1/display/feed", Some(&no_such)).await, 404).await;
    let wrong_stair = app.token(Grant::Display {
        building: uid(building),
        staircase: Some(1),
    });
    expect_problem(
        app.get("/api/v1/display/feed", Some(&wrong_stair)).await,
        404,
    )
    .await;
    let admin = app.token(Grant::Admin);
    expect_problem(app.get("/api/v1/display/feed", Some(&admin)).await, 403).await;
    expect_problem(app.get("/api/v1/display/events", Some(&admin)).await, 403).await;
    expect_problem(app.get("/api/v1/display/feed", None).await, 401).await;

    // A staircase display shows only its staircase.
    let stair = snapshot
        .objects
        .iter()
        .find(|o| o.kohde_metatyyppi == ObjectKind::Porras && o.yla_kohde_id == Some(building))
        .unwrap();
    let token = app.token(Grant::Display {
        building: uid(building),
        staircase: Some(uid(stair.id)),
    });
    let feed = app.feed(&token).await;
    assert_eq!(feed.staircases.len(), 1);
    assert_eq!(feed.staircases[0].id, uid(stair.id));
    app.stop().await;
}
