//! Two `rappu serve` replicas on one PostgreSQL database (the throw-away cluster of
//! `tests/api/pg.rs`): replica B is killed with SIGKILL while Tampuuri (the simulator, in
//! this process) has made a report B sent but not yet answered; replica A, running on, takes
//! B's reports once B's lease on the one in flight has run out. Every report ends up in
//! Tampuuri exactly once, by the simulator's own count; none is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../tests/api/pg.rs"]
#[allow(dead_code)]
mod pg;
mod support;

use rappu_shared::Grant;
use rappu_sim::{Faults, Simulator};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use support::{eventually, held, sim_config, start_with_env, token, write_config};

const FILED: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_delivery_leaves_its_reports_to_another_exactly_once() {
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
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // One set of signing keys for both (in B's directory, where `token` makes them).
    let keys = dir_b.path().join("keys");
    let token = token(
        dir_b.path(),
        &account,
        Grant::Resident {
            party: u64::try_from(resident.party_id).unwrap(),
            apartment: u64::try_from(resident.apartment_id).unwrap(),
        },
    );
    let extra = |lease: u32| {
        format!(
            "exactly_once = \"reference\"\n\n[auth]\nkeys_dir = \"{}\"\n\n[reports]\noutbox_lease_secs = {lease}\noutbox_backoff_min_ms = 20\noutbox_backoff_max_ms = 200\ncache_ttl_secs = 0\n",
            keys.display()
        )
    };
    let config_b = write_config(dir_b.path(), &running.base_url(), &config, &extra(3));
    // A looks for work every 8 s when it has none (its lease length): not while B is
    // still delivering below.
    let config_a = write_config(dir_a.path(), &running.base_url(), &config, &extra(8));

    let mut b = start_with_env(dir_b.path(), &config_b, 1, &env).await;
    let http = reqwest::Client::new();
    let file = |url: String, i: usize| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let response = http
                .post(format!("{url}/api/v1/fault-reports"))
                .bearer_auth(&token)
                .header("idempotency-key", format!("replica-{i}"))
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
            report["id"].as_str().unwrap().to_owned()
        }
    };
    let delivered = |url: String, id: String| {
        let (http, token) = (http.clone(), token.clone());
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
    // A first report, delivered by B: where the apartment's reports go is read on the way.
    let warm = file(b.url.clone(), FILED).await;
    eventually(30, "the first report delivered", || {
        delivered(b.url.clone(), warm.clone())
    })
    .await;
    let a = start_with_env(dir_a.path(), &config_a, 1, &env).await;

    // Tampuuri will make each report but hold its answer back.
    sim.set_faults(Faults {
        response_delay_ms: 600_000,
        ..Faults::default()
    });
    let mut filed = Vec::new();
    for i in 0..FILED {
        filed.push(file(b.url.clone(), i).await);
    }
    eventually(30, "B's first delivery in Tampuuri", || async {
        (held(&sim, &account, &filed).iter().sum::<usize>() == 1).then_some(())
    })
    .await;
    b.child.kill().unwrap(); // SIGKILL
    b.child.wait().unwrap();
    drop(b);
    sim.set_faults(Faults::default());
    assert_eq!(held(&sim, &account, &filed).iter().sum::<usize>(), 1);

    // A takes them all: the one in flight once B's lease is over, by finding it in Tampuuri.
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
        "the report B made before it died was adopted, not created again"
    );
    for id in &filed {
        eventually(30, "the report delivered, as A tells", || {
            delivered(a.url.clone(), id.clone())
        })
        .await;
    }
    drop(a);
}

const SECRET: &str = "replicas-test-webhook-secret-7";

/// Two `rappu serve` replicas share the account mirror in the database; B, started first,
/// writes it. A person becomes protected and Tampuuri tells A; B's fetch waits for
/// Tampuuri's slow answer and B is killed with SIGKILL in the middle of it. A takes the
/// writer's lock (the database released it with B's connection), fetches the change again,
/// and never serves the name meanwhile or after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirror_writer_killed_mid_fetch_is_replaced_and_no_replica_names_a_protected_person() {
    if !pg::available() {
        return;
    }
    let database = pg::database();
    let env = [("RAPPU_DATABASE_URL", database.expose_secret())];
    let config = sim_config();
    let account = config.accounts[0].name.clone();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let sim = running.sim().clone();
    let resident = sim.summary(&account).unwrap().residents.plain[0].clone();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let keys = dir_b.path().join("keys");
    let display = token(
        dir_b.path(),
        &account,
        Grant::Display {
            building: u64::try_from(resident.building_id).unwrap(),
            staircase: None,
        },
    );
    let extra = format!(
        "[auth]\nkeys_dir = \"{}\"\n\n[webhooks]\nsecret = \"{SECRET}\"\n\n[rate_limit]\nenabled = false\n",
        keys.display()
    );
    let config_b = write_config(dir_b.path(), &running.base_url(), &config, &extra);
    let config_a = write_config(dir_a.path(), &running.base_url(), &config, &extra);
    let mut b = start_with_env(dir_b.path(), &config_b, 1, &env).await;
    let a = start_with_env(dir_a.path(), &config_a, 1, &env).await;
    let log_a = dir_a.path().join("rappu-1.log");
    let writes = |log: &std::path::Path| {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .contains("this replica writes the account mirror")
    };
    assert!(
        writes(&dir_b.path().join("rappu-1.log")),
        "B, first, writes"
    );
    assert!(!writes(&log_a), "A does not");

    let http = reqwest::Client::new();
    let feed = |url: String| {
        let (http, display) = (http.clone(), display.clone());
        async move {
            let response = http
                .get(format!("{url}/api/v1/display/feed"))
                .bearer_auth(&display)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };
    let admin = |body: Value| {
        let http = http.clone();
        let url = format!(
            "http://{}/_sim/accounts/{account}/parties/{}",
            running.addr, resident.party_id
        );
        async move {
            let response = http.patch(url).json(&body).send().await.unwrap();
            assert!(response.status().is_success());
        }
    };
    // Tampuuri's webhook, to A only.
    let notify_a = || {
        let http = http.clone();
        let url = format!("{}/api/v1/webhooks/tampuuri/{account}", a.url);
        let bundle = json!({"Id": uuid::Uuid::new_v4().simple().to_string(), "Attempt": 1,
            "Notifications": [{"Action": "OsapuoliTietoMuokkaa",
                               "Id": uuid::Uuid::new_v4().to_string(),
                               "ReferenceId": resident.party_id.to_string(),
                               "ReferenceData": ""}]});
        async move {
            let response = http
                .post(url)
                .header("x-rappu-webhook-secret", SECRET)
                .json(&bundle)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    };
    admin(json!({"Sukunimi": "Suojattava"})).await;
    notify_a().await;
    for url in [&a.url, &b.url] {
        eventually(10, "the new name on both replicas", || {
            let url = url.clone();
            async move { feed(url).await.contains("Suojattava").then_some(()) }
        })
        .await;
    }

    // Protected now; Tampuuri answers 3 s late.
    sim.set_faults(Faults {
        response_delay_ms: 3_000,
        ..Faults::default()
    });
    let asked = sim.calls().total;
    admin(json!({"Turvakielto": true})).await;
    notify_a().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!feed(a.url.clone()).await.contains("Suojattava"));
    assert!(!feed(b.url.clone()).await.contains("Suojattava"));
    eventually(10, "B's fetch on its way", || async {
        (sim.calls().total > asked).then_some(())
    })
    .await;
    b.child.kill().unwrap(); // SIGKILL, while Tampuuri holds B's answer
    b.child.wait().unwrap();
    drop(b);
    let fetched_by_b = sim.calls().total;

    // A takes over and fetches again; its feed never names the person.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut done_at = None;
    loop {
        assert!(
            !feed(a.url.clone()).await.contains("Suojattava"),
            "a protected person named after the writer died"
        );
        if done_at.is_none() && writes(&log_a) && sim.calls().total > fetched_by_b {
            // A's own fetch reached Tampuuri: answered within the 3 s delay.
            done_at = Some(std::time::Instant::now() + std::time::Duration::from_secs(5));
        }
        if done_at.is_some_and(|at| std::time::Instant::now() > at) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "A never took over and fetched (writes: {})",
            writes(&log_a)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    sim.set_faults(Faults::default());
    assert!(!feed(a.url.clone()).await.contains("Suojattava"));
    drop(a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_password_is_never_printed_or_logged() {
    if !pg::available() {
        return;
    }
    let database = pg::database();
    let url = database.expose_secret().to_owned();
    assert!(url.contains(pg::PASSWORD));
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config_file = write_config(dir.path(), &running.base_url(), &config, "");
    let gateway =
        start_with_env(dir.path(), &config_file, 1, &[("RAPPU_DATABASE_URL", &url)]).await;
    let ready = reqwest::get(format!("{}/readyz", gateway.url))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    drop(gateway);
    let mut seen = vec![(
        "the gateway's log".to_owned(),
        std::fs::read_to_string(dir.path().join("rappu-1.log")).unwrap(),
    )];
    assert!(seen[0].1.contains("using PostgreSQL"), "{}", seen[0].1);
    let wrong = url.replace(pg::PASSWORD, "wrong-Salasana-5d2f");
    for (env_url, args) in [
        (url.as_str(), vec!["check-config"]),
        (url.as_str(), vec!["token", "list"]),
        // A refused password: the error names the database, not the password.
        (wrong.as_str(), vec!["token", "list"]),
        (
            "postgres://rappu:pw-in-a-bad-url@[::1",
            vec!["check-config"],
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rappu"))
            .arg("--config")
            .arg(&config_file)
            .args(&args)
            .env_remove("RAPPU_CONFIG")
            .env("RAPPU_DATABASE_URL", env_url)
            .output()
            .unwrap();
        seen.push((
            format!("rappu {}", args.join(" ")),
            format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ));
    }
    assert!(
        seen[1].1.contains("\"database_url\": \"[redacted]\""),
        "{}",
        seen[1].1
    );
    assert!(
        seen[3].1.contains("password authentication failed"),
        "{}",
        seen[3].1
    );
    assert!(seen[4].1.contains("database_url"), "{}", seen[4].1);
    for (what, text) in &seen {
        for secret in [pg::PASSWORD, "wrong-Salasana-5d2f", "pw-in-a-bad-url"] {
            assert!(!text.contains(secret), "{what} shows a password:\n{text}");
        }
    }
}
