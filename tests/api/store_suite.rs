//! The store suite: the same tests against both engines, SQLite (a file in a temporary
//! directory) and PostgreSQL (a database of its own in the throw-away cluster of
//! [`crate::pg`]). Each `async fn` below takes a store and is run twice, as
//! `store_suite::on_sqlite::NAME` and `store_suite::on_postgres::NAME`.
//!
//! The concurrency tests (several stores on one database, as several replicas) run on
//! PostgreSQL only; on SQLite one process owns the file.

use chrono::{Duration, Utc};
use rappu_gateway::reports::Owner;
use rappu_gateway::reports::filing::{Outcome, store_once};
use rappu_gateway::reports::outbox_db::{self, Due, Lease};
use rappu_gateway::reports::photos::Photo;
use rappu_gateway::reports::view::RemoteView;
use rappu_gateway::reports::{db, db::Delivery, db::ReportRow};
use rappu_gateway::store::codes::{CodeGrant, CodeKind};
use rappu_gateway::store::revocations::IssuedToken;
use rappu_gateway::store::signing_keys::{self, Published, Retired};
use rappu_gateway::store::usage::UsageRow;
use rappu_gateway::store::webhooks::NotificationRecord;
use rappu_gateway::store::{EngineKind, Store};
use rappu_shared::report::{NewFaultReport, ReportTopic};

use crate::pg;

/// A store on a fresh PostgreSQL database (migrated), or `None` without PostgreSQL.
pub fn postgres_store() -> Option<Store> {
    if !pg::available() {
        return None;
    }
    Some(Store::connect_postgres(&pg::database(), 8).expect("connect to PostgreSQL"))
}

macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = rappu_gateway::store::Store::open(&dir.path().join("t.db")).unwrap();
                    assert_eq!(store.kind(), rappu_gateway::store::EngineKind::Sqlite);
                    super::$name(store).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(store) = super::postgres_store() else { return };
                    assert_eq!(store.kind(), rappu_gateway::store::EngineKind::Postgres);
                    super::$name(store).await;
                }
            )*
        }
    };
}

both_engines!(
    webhook_ids_are_recorded_once,
    a_revocation_is_recorded_once_and_listed,
    a_one_time_code_works_once_and_not_late,
    the_signin_mail_cap_counts_the_window,
    usage_counts_add_up_by_month_and_day,
    a_report_is_stored_with_its_photos_and_read_back,
    an_idempotency_key_replays_or_refuses,
    the_outbox_lease_gives_a_report_to_one_replica_at_a_time,
    a_delivered_report_drops_its_photos_and_lease,
    rotating_an_apps_secret_revokes_its_tokens,
    pairing_a_display_and_unpairing_it,
    the_last_upstream_check_is_kept,
    an_exclusive_job_runs_where_no_one_else_holds_it,
    housekeeping_removes_what_ran_out,
    the_schema_is_complete_after_opening_and_a_missing_step_shows,
    signing_keys_are_published_once_and_retired_for_good,
    the_mirror_tables_keep_and_find_rows_alike,
);

fn notification(id: &str) -> NotificationRecord {
    NotificationRecord {
        id: id.into(),
        account: "demo".into(),
        bundle_id: "b1".into(),
        attempt: 1,
        action: "OsapuoliTietoMuokkaa".into(),
        reference_id: "200001".into(),
        reference_secondary_id: String::new(),
        reference_data: "{}".into(),
    }
}

async fn webhook_ids_are_recorded_once(store: Store) {
    let fresh = store
        .record_notifications(vec![notification("n1"), notification("n2")], 100)
        .await
        .unwrap();
    assert_eq!(fresh.len(), 2);
    let again = store
        .record_notifications(vec![notification("n2"), notification("n3")], 200)
        .await
        .unwrap();
    assert_eq!(again, vec![notification("n3")]);
    assert_eq!(store.notification_count().await.unwrap(), 3);
    assert_eq!(store.prune_notifications(150).await.unwrap(), 2);
    assert_eq!(store.notification_count().await.unwrap(), 1);
}

fn issued(jti: &str, subject: &str, role: &str, expires_at: i64) -> IssuedToken {
    IssuedToken {
        jti: jti.into(),
        subject: subject.into(),
        account: "demo".into(),
        role: role.into(),
        grant_json: "{}".into(),
        issued_at: 100,
        expires_at,
        revoked: false,
    }
}

async fn a_revocation_is_recorded_once_and_listed(store: Store) {
    store
        .record_issued(issued("t1", "admin", "admin", 10_000))
        .await
        .unwrap();
    store
        .record_issued(issued("t2", "admin", "admin", 10_000))
        .await
        .unwrap();
    assert!(
        store
            .revoke("t1".into(), 500, Some("lost".into()))
            .await
            .unwrap()
    );
    assert!(!store.revoke("t1".into(), 600, None).await.unwrap());
    // A token Rappu did not record can still be revoked.
    assert!(store.revoke("foreign".into(), 700, None).await.unwrap());
    let (jtis, newest) = store.revoked_since(500).await.unwrap();
    assert_eq!(jtis, vec!["t1".to_owned(), "foreign".to_owned()]);
    assert_eq!(newest, 700);
    let (later, _) = store.revoked_since(701).await.unwrap();
    assert!(later.is_empty());
    let listed = store.list_issued(200).await.unwrap();
    let revoked: Vec<_> = listed.iter().map(|t| (t.jti.as_str(), t.revoked)).collect();
    assert_eq!(revoked, vec![("t1", true), ("t2", false)]);
}

async fn a_one_time_code_works_once_and_not_late(store: Store) {
    let grant = CodeGrant {
        account: "demo".into(),
        subject: "resident:1".into(),
        grant_json: "{\"role\":\"resident\"}".into(),
    };
    store
        .insert_code(
            "h1".into(),
            CodeKind::ResidentLogin,
            grant.clone(),
            100,
            200,
        )
        .await
        .unwrap();
    store
        .insert_code(
            "h2".into(),
            CodeKind::ResidentLogin,
            grant.clone(),
            100,
            200,
        )
        .await
        .unwrap();
    let kind = CodeKind::ResidentLogin;
    assert_eq!(
        store.peek_code("h1".into(), kind, 150).await.unwrap(),
        Some(grant.clone())
    );
    assert_eq!(
        store
            .redeem_code("h1".into(), CodeKind::AdminLogin, 150)
            .await
            .unwrap(),
        None,
        "a code of another kind"
    );
    assert_eq!(
        store.redeem_code("h1".into(), kind, 150).await.unwrap(),
        Some(grant)
    );
    assert_eq!(
        store.redeem_code("h1".into(), kind, 151).await.unwrap(),
        None
    );
    assert_eq!(store.peek_code("h1".into(), kind, 151).await.unwrap(), None);
    assert_eq!(
        store.redeem_code("h2".into(), kind, 200).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.prune_codes(201).await.unwrap(), 2);
}

async fn the_signin_mail_cap_counts_the_window(store: Store) {
    let h = "abc".to_owned();
    for at in [100, 200, 300] {
        assert!(store.take_signin_mail(h.clone(), at, 0, 3).await.unwrap());
    }
    assert!(!store.take_signin_mail(h.clone(), 400, 0, 3).await.unwrap());
    assert!(
        store
            .take_signin_mail("other".into(), 400, 0, 3)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_signin_mail(h.clone(), 3700, 100, 3)
            .await
            .unwrap()
    );
    assert!(!store.take_signin_mail(h, 3701, 101, 3).await.unwrap());
    assert_eq!(store.prune_signin_mails(250).await.unwrap(), 2);
}

fn usage(account: &str, period: &str, route: &str, calls: u64) -> UsageRow {
    UsageRow {
        account: account.into(),
        month: period.into(),
        route: route.into(),
        calls,
    }
}

async fn usage_counts_add_up_by_month_and_day(store: Store) {
    for _ in 0..2 {
        store
            .add_usage(
                vec![usage("a", "2026-11", "GET kohteet", 3)],
                vec![
                    usage("a", "2026-11-29", "GET kohteet", 1),
                    usage("a", "2026-11-30", "GET kohteet", 2),
                ],
            )
            .await
            .unwrap();
    }
    store
        .add_usage(vec![usage("a", "2026-10", "GET kohteet", 5)], vec![])
        .await
        .unwrap();
    let month = store.usage(Some("2026-11".into())).await.unwrap();
    assert_eq!(month, vec![usage("a", "2026-11", "GET kohteet", 6)]);
    assert_eq!(store.usage(None).await.unwrap().len(), 2);
    let days = store
        .daily_usage("a".into(), "2026-11".into())
        .await
        .unwrap();
    let calls: Vec<_> = days.iter().map(|d| (d.month.as_str(), d.calls)).collect();
    assert_eq!(calls, vec![("2026-11-29", 2), ("2026-11-30", 4)]);
}

fn owner() -> Owner {
    Owner {
        account: "demo".into(),
        party: 200_002,
        apartment: 100_003,
    }
}

fn report(title: &str) -> NewFaultReport {
    NewFaultReport {
        topic: ReportTopic::Apartment,
        title: title.into(),
        description: "Tippuu".into(),
        location: None,
        master_key_allowed: true,
        pets: None,
        contact_phone: "040 123 4567".into(),
        photos: vec![],
    }
}

fn photo() -> Photo {
    Photo {
        media_type: "image/jpeg",
        file_name: "kuva-1.jpg".into(),
        data: vec![0xFF, 0xD8, 0x00, 0xFF],
    }
}

/// Files report `id` now (as the filing path does, in one durable transaction).
async fn file(store: &Store, id: &str, at: chrono::DateTime<Utc>) {
    let id = id.to_owned();
    store
        .call(move |c| {
            c.durably(|tx| db::insert(tx, &id, &owner(), &report("Hana vuotaa"), &[photo()], at))
        })
        .await
        .unwrap();
}

async fn a_report_is_stored_with_its_photos_and_read_back(store: Store) {
    let now = Utc::now();
    file(&store, "r1", now).await;
    file(&store, "r2", now + Duration::seconds(1)).await;
    let row = store
        .call(|c| db::one(c, &owner(), "r1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.report, report("Hana vuotaa"));
    assert_eq!((row.photo_count, row.delivery), (1, Delivery::Pending));
    assert_eq!(row.created_at.timestamp_millis(), now.timestamp_millis());
    let other = Owner {
        party: 1,
        ..owner()
    };
    assert!(
        store
            .call(move |c| db::one(c, &other, "r1"))
            .await
            .unwrap()
            .is_none()
    );
    let (rows, total) = store.call(|c| db::page(c, &owner(), 0, 1)).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r2"]
    );
    let kept = store
        .call(move |c| {
            rappu_gateway::reports::kept_photos::get(c, &owner(), "r1", 0, now.timestamp())
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.data, photo().data);
    let counts = store.call(db::delivery_counts).await.unwrap();
    assert_eq!(counts, vec![("pending".to_owned(), 2)]);
}

fn new_row(id: &str) -> ReportRow {
    ReportRow {
        id: id.into(),
        owner: owner(),
        report: report("Ovi jumittaa"),
        photo_count: 0,
        created_at: Utc::now(),
        delivery: Delivery::Pending,
        attempts: 0,
        last_error: None,
        tampuuri_id: None,
        settled_at: None,
        remote: None,
    }
}

async fn an_idempotency_key_replays_or_refuses(store: Store) {
    let run = |row: ReportRow, hash: &'static str| {
        let store = store.clone();
        async move {
            store
                .call(move |c| {
                    c.durably(|tx| {
                        store_once(tx, &row, &[], "key-1", hash, "{\"id\":1}", Utc::now(), 3600)
                    })
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(run(new_row("r1"), "h").await, Outcome::Created);
    assert_eq!(
        run(new_row("r2"), "h").await,
        Outcome::Replay {
            status: 201,
            body: "{\"id\":1}".into(),
            id: "r1".into()
        }
    );
    assert_eq!(run(new_row("r3"), "other").await, Outcome::KeyReused);
    let (_, total) = store.call(|c| db::page(c, &owner(), 0, 10)).await.unwrap();
    assert_eq!(total, 1, "one report for one key");
}

fn lease(owner: &str) -> Lease {
    Lease {
        owner: owner.into(),
        length: Duration::seconds(30),
    }
}

async fn claim(store: &Store, at: chrono::DateTime<Utc>, owner: &str) -> Due {
    let lease = lease(owner);
    store
        .call(move |c| outbox_db::claim_due(c, at, &lease))
        .await
        .unwrap()
}

async fn the_outbox_lease_gives_a_report_to_one_replica_at_a_time(store: Store) {
    let now = Utc::now();
    assert!(matches!(claim(&store, now, "a").await, Due::Idle));
    file(&store, "r1", now).await;
    let Due::Now(job) = claim(&store, now, "a").await else {
        panic!("the report is due")
    };
    assert_eq!((job.row.id.as_str(), job.photos.len()), ("r1", 1));
    // Replica b finds it leased and is told when the lease ends.
    match claim(&store, now, "b").await {
        Due::At(at) => assert_eq!(
            at.timestamp_millis(),
            (now + Duration::seconds(30)).timestamp_millis()
        ),
        other => panic!("{other:?}"),
    }
    let attempt = |owner: &'static str| {
        let store = store.clone();
        async move {
            store
                .call(move |c| outbox_db::begin_attempt(c, "r1", owner))
                .await
                .unwrap()
        }
    };
    assert!(attempt("a").await, "the holder may send");
    assert!(!attempt("b").await, "another replica may not");
    // a's attempt failed before a could let the lease go (its database went away for a
    // moment): a takes the report again at once, b still waits for the lease.
    assert!(matches!(claim(&store, now, "a").await, Due::Now(_)));
    assert!(matches!(claim(&store, now, "b").await, Due::At(_)));
    // a dies; after the lease b takes the report, with the attempt a counted.
    let later = now + Duration::seconds(31);
    let Due::Now(job) = claim(&store, later, "b").await else {
        panic!("the lease is over")
    };
    assert_eq!(
        job.row.attempts, 1,
        "b searches Tampuuri before sending again"
    );
    let renewed = store
        .call(move |c| outbox_db::renew_lease(c, "r1", "a", later + Duration::seconds(30)))
        .await
        .unwrap();
    assert!(!renewed, "a's lease is gone");
    // A transient failure lets the lease go and schedules the retry.
    let retry_at = later + Duration::seconds(5);
    store
        .call(move |c| outbox_db::record_retry(c, "r1", "b", retry_at, "timeout"))
        .await
        .unwrap();
    match claim(&store, later, "c").await {
        Due::At(at) => assert_eq!(at.timestamp_millis(), retry_at.timestamp_millis()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(claim(&store, retry_at, "c").await, Due::Now(_)));
}

async fn a_delivered_report_drops_its_photos_and_lease(store: Store) {
    let now = Utc::now();
    file(&store, "r1", now).await;
    assert!(matches!(claim(&store, now, "a").await, Due::Now(_)));
    let view = RemoteView {
        status: rappu_shared::report::ReportStatus::Open,
        number: Some("2026-17".into()),
        timeline: vec![],
    };
    store
        .call(move |c| outbox_db::record_delivered(c, "r1", 4242, &view))
        .await
        .unwrap();
    assert!(matches!(claim(&store, now, "b").await, Due::Idle));
    let row = store.call(|c| db::by_id(c, "r1")).await.unwrap().unwrap();
    assert_eq!(
        (row.delivery, row.tampuuri_id),
        (Delivery::Delivered, Some(4242))
    );
    assert_eq!(
        row.remote.and_then(|r| r.number).as_deref(),
        Some("2026-17")
    );
    let party = store.call(|c| db::party_of(c, "demo", 4242)).await.unwrap();
    assert_eq!(party, Some(200_002));
}

async fn rotating_an_apps_secret_revokes_its_tokens(store: Store) {
    use rappu_gateway::store::apps;
    let app = rappu_gateway::apps::registry::RegisteredApp {
        client_id: "rappu-app-1".into(),
        account: "demo".into(),
        name: "Huolto".into(),
        contact: "it@example.fi".into(),
        scopes: vec![],
        origins: vec!["https://tyot.example.fi".into()],
        per_minute: Some(60),
        burst: None,
        secret_hash: "old".into(),
        secret_set_at: 100,
        created_at: 100,
        created_by: "cli".into(),
        updated_at: 100,
        revoked_at: None,
    };
    let stored = app.clone();
    store.call(move |c| apps::insert(c, &stored)).await.unwrap();
    store
        .record_issued(issued("a1", "rappu-app-1", "app", 10_000))
        .await
        .unwrap();
    store
        .record_issued(issued("x1", "someone", "admin", 10_000))
        .await
        .unwrap();
    let revoked = store
        .call(|c| apps::rotate(c, "rappu-app-1", "new", 500))
        .await
        .unwrap();
    assert_eq!(revoked, Some(vec!["a1".to_owned()]));
    let (jtis, _) = store.revoked_since(0).await.unwrap();
    assert_eq!(jtis, vec!["a1".to_owned()]);
    let read = store
        .call(|c| apps::get(c, "rappu-app-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.secret_hash.as_str(), read.origins),
        ("new", app.origins)
    );
    assert_eq!(
        store
            .call(|c| apps::revoke(c, "nobody", 600))
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .call(|c| apps::revoke(c, "rappu-app-1", 600))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .call(|c| apps::rotate(c, "rappu-app-1", "newer", 700))
            .await
            .unwrap(),
        None,
        "a revoked app gets no new secret"
    );
    let calls = vec![apps::CallCount {
        client_id: "rappu-app-1".into(),
        month: "2026-11".into(),
        route: "GET /api/v1/feeds".into(),
        calls: 2,
        last_at: 900,
    }];
    for _ in 0..2 {
        let calls = calls.clone();
        store
            .call(move |c| apps::add_calls(c, &calls))
            .await
            .unwrap();
    }
    let counted = store
        .call(|c| apps::calls(c, "demo", Some("2026-11")))
        .await
        .unwrap();
    assert_eq!(counted[0].calls, 4);
}

async fn pairing_a_display_and_unpairing_it(store: Store) {
    use rappu_gateway::pairing::db;
    let now = 1_000;
    let taken = store
        .call(move |c| {
            Ok((
                db::insert_pairing(c, "dev-1", "ABCD2345", now, now + 900)?,
                db::insert_pairing(c, "dev-2", "ABCD2345", now, now + 900)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(taken, (true, false), "a user code is one screen's");
    let display = db::DisplayRow {
        id: "d1".into(),
        account: "demo".into(),
        building: 100_001,
        staircase: None,
        label: Some("A-rappu".into()),
        paired_at: now,
        paired_by: "admin".into(),
        last_seen_at: None,
    };
    let row = display.clone();
    assert!(
        store
            .call(move |c| db::approve(c, "ABCD2345", &row, now + 1))
            .await
            .unwrap()
    );
    let row = display.clone();
    assert!(
        !store
            .call(move |c| db::approve(c, "ABCD2345", &row, now + 2))
            .await
            .unwrap(),
        "approved once"
    );
    let pending = store
        .call(move |c| db::pending(c, "dev-1", now + 3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.display_id.as_deref(), Some("d1"));
    let listed = store.call(|c| db::displays(c, "demo")).await.unwrap();
    assert_eq!(listed, vec![display]);
    store
        .record_issued(issued("s1", "display:d1", "display", 10_000))
        .await
        .unwrap();
    let live = store
        .call(move |c| {
            if !db::remove(c, "demo", "d1")? {
                return Ok(None);
            }
            db::live_tokens(c, "display:d1", now).map(Some)
        })
        .await
        .unwrap();
    assert_eq!(live, Some(vec!["s1".to_owned()]));
    assert!(
        store
            .call(|c| db::display(c, "d1"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_last_upstream_check_is_kept(store: Store) {
    use rappu_gateway::store::profiles::UpstreamProfile;
    let profile = |kept, at| UpstreamProfile {
        external_id_kept: kept,
        checked_at: at,
        report_json: "{}".into(),
    };
    store
        .save_profile("demo", profile(Some(true), 1))
        .await
        .unwrap();
    store.save_profile("demo", profile(None, 2)).await.unwrap();
    assert_eq!(
        store.profile("demo").await.unwrap(),
        Some(profile(Some(true), 2)),
        "a check that did not test the external id keeps the earlier finding"
    );
    assert_eq!(store.profile("other").await.unwrap(), None);
}

async fn an_exclusive_job_runs_where_no_one_else_holds_it(store: Store) {
    use rappu_gateway::store::postgres::exclusively;
    let ran = store
        .call(|c| exclusively(c, "sweep", |_| Ok(7)))
        .await
        .unwrap();
    assert_eq!(ran, Some(7));
    if store.kind() == EngineKind::Postgres {
        // While one connection holds the lock in a transaction, another is refused.
        let other = store.clone();
        let nested = store
            .call(move |c| {
                exclusively(c, "sweep", |_| {
                    let inner = other.call_blocking(|c2| exclusively(c2, "sweep", |_| Ok(1)));
                    Ok(inner.map_err(|e| e.to_string()))
                })
            })
            .await
            .unwrap();
        assert_eq!(nested, Some(Ok(None)), "the second runner is turned away");
    }
}

async fn housekeeping_removes_what_ran_out(store: Store) {
    let now = 100_000;
    store
        .record_notifications(vec![notification("old")], now - 20 * 86_400)
        .await
        .unwrap();
    store
        .record_notifications(vec![notification("new")], now)
        .await
        .unwrap();
    assert!(
        store
            .take_signin_mail("a".into(), now - 7200, 0, 3)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_signin_mail("a".into(), now - 60, 0, 3)
            .await
            .unwrap()
    );
    let grant = CodeGrant {
        account: "demo".into(),
        subject: "s".into(),
        grant_json: "{}".into(),
    };
    store
        .insert_code(
            "c1".into(),
            CodeKind::AdminLogin,
            grant,
            0,
            now - 2 * 86_400,
        )
        .await
        .unwrap();
    let pruned = store
        .housekeeping(now, now - 14 * 86_400)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (pruned.signin_mails, pruned.codes, pruned.notifications),
        (1, 1, 1)
    );
    assert_eq!(store.notification_count().await.unwrap(), 1);
    if store.kind() == EngineKind::Postgres {
        // A replica holding the job's lock makes the others skip the round.
        let other = store.clone();
        let skipped = store
            .call(move |c| {
                rappu_gateway::store::postgres::exclusively(
                    c,
                    rappu_gateway::store::housekeeping::JOB,
                    |_| {
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .build()
                            .unwrap();
                        Ok(rt
                            .block_on(other.housekeeping(now, 0))
                            .map_err(|e| e.to_string()))
                    },
                )
            })
            .await
            .unwrap();
        assert_eq!(skipped, Some(Ok(None)));
    }
}

async fn the_schema_is_complete_after_opening_and_a_missing_step_shows(store: Store) {
    let (applied, known) = store.schema().await.unwrap();
    assert!(known > 0);
    assert_eq!(applied, known);
    // As if the database were an older one: readiness reports the steps missing.
    store
        .call(move |c| {
            if c.is_postgres() {
                c.execute(
                    "DELETE FROM rappu_migrations WHERE version = $1",
                    rappu_gateway::args![known],
                )
                .map(|_| ())
            } else {
                c.batch(&format!("PRAGMA user_version = {}", known - 1))
            }
        })
        .await
        .unwrap();
    assert_eq!(store.schema().await.unwrap(), (known - 1, known));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_count_each_other_by_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&dir.path().join("t.db")).unwrap();
    assert_eq!(
        sqlite.heartbeat(1_000).await.unwrap(),
        1,
        "one instance on SQLite"
    );
    if !pg::available() {
        return;
    }
    let url = pg::database();
    let a = Store::connect_postgres(&url, 4).unwrap();
    let b = Store::connect_postgres(&url, 4).unwrap();
    assert_ne!(a.instance(), b.instance());
    assert_eq!(a.heartbeat(1_000).await.unwrap(), 1);
    assert_eq!(b.heartbeat(1_001).await.unwrap(), 2);
    // a falls silent: no longer counted once its heartbeat is old.
    assert_eq!(b.heartbeat(1_020).await.unwrap(), 1);
    assert_eq!(a.heartbeat(1_021).await.unwrap(), 2);
    a.leave().await.unwrap();
    assert_eq!(b.heartbeat(1_022).await.unwrap(), 1);
}

/// Two stores on one PostgreSQL database, as two replicas; `None` without PostgreSQL.
fn two_replicas() -> Option<(Store, Store)> {
    if !pg::available() {
        return None;
    }
    let url = pg::database();
    Some((
        Store::connect_postgres(&url, 8).unwrap(),
        Store::connect_postgres(&url, 8).unwrap(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_claiming_at_once_take_each_report_once() {
    let Some((a, b)) = two_replicas() else {
        return;
    };
    let now = Utc::now();
    for i in 0..20 {
        file(&a, &format!("r{i:02}"), now + Duration::milliseconds(i)).await;
    }
    // Four claimers on each replica, each delivering what it claims (as an outbox loop
    // does) until nothing is left for them.
    let mut workers = Vec::new();
    for (n, store) in [a.clone(), a, b.clone(), b].into_iter().enumerate() {
        for k in 0..2 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                let owner = format!("replica-{n}-{k}");
                let mut mine = Vec::new();
                loop {
                    match claim(&store, Utc::now(), &owner).await {
                        Due::Now(job) => {
                            let (id, view) = (
                                job.row.id.clone(),
                                RemoteView {
                                    status: rappu_shared::report::ReportStatus::Open,
                                    number: None,
                                    timeline: vec![],
                                },
                            );
                            let tampuuri_id = 5000 + job.row.id[1..].parse::<u64>().unwrap();
                            store
                                .call(move |c| {
                                    outbox_db::record_delivered(c, &id, tampuuri_id, &view)
                                })
                                .await
                                .unwrap();
                            mine.push(job.row.id);
                        }
                        Due::At(_) | Due::Idle => return mine,
                    }
                }
            }));
        }
    }
    let mut claimed = Vec::new();
    for w in workers {
        claimed.extend(w.await.unwrap());
    }
    claimed.sort();
    let expected: Vec<String> = (0..20).map(|i| format!("r{i:02}")).collect();
    assert_eq!(claimed, expected, "every report claimed exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_webhook_and_the_same_key_on_two_replicas_at_once_count_once() {
    let Some((a, b)) = two_replicas() else {
        return;
    };
    let bundle: Vec<NotificationRecord> = (0..10).map(|i| notification(&format!("n{i}"))).collect();
    let (fresh_a, fresh_b) = tokio::join!(
        a.record_notifications(bundle.clone(), 100),
        b.record_notifications(bundle.clone(), 100)
    );
    let (fresh_a, fresh_b) = (fresh_a.unwrap(), fresh_b.unwrap());
    assert_eq!(
        fresh_a.len() + fresh_b.len(),
        10,
        "each notification applied once"
    );
    let file_once = |store: Store, id: &'static str| async move {
        store
            .call(move |c| {
                c.durably(|tx| {
                    store_once(
                        tx,
                        &new_row(id),
                        &[],
                        "same-key",
                        "h",
                        "{}",
                        Utc::now(),
                        3600,
                    )
                })
            })
            .await
            .unwrap()
    };
    let (first, second) = tokio::join!(file_once(a.clone(), "ra"), file_once(b, "rb"));
    let created = [&first, &second]
        .iter()
        .filter(|o| ***o == Outcome::Created)
        .count();
    assert_eq!(created, 1, "{first:?} {second:?}");
    let (_, total) = a.call(|c| db::page(c, &owner(), 0, 10)).await.unwrap();
    assert_eq!(total, 1, "one report for one key across replicas");
}

async fn signing_keys_are_published_once_and_retired_for_good(store: Store) {
    let (a, b) = ([1u8; 32], [2u8; 32]);
    let outcomes = store
        .signing_keys(move |c| {
            Ok([
                signing_keys::publish(c, "k1", &a, 100)?,
                signing_keys::publish(c, "k1", &a, 200)?,
                signing_keys::publish(c, "k1", &b, 300)?,
                signing_keys::publish(c, "k2", &b, 400)?,
            ])
        })
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            Published::New,
            Published::Known,
            Published::Conflict,
            Published::New
        ]
    );
    let all = store.signing_keys(signing_keys::all).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].kid.as_str(), all[0].public, all[0].published_at),
        ("k1", a, 100)
    );
    assert_eq!(all[0].retired_at, None);

    let retired = store
        .signing_keys(|c| {
            Ok([
                signing_keys::retire(c, "k1", 500)?,
                signing_keys::retire(c, "k1", 600)?,
                signing_keys::retire(c, "nope", 700)?,
            ])
        })
        .await
        .unwrap();
    assert_eq!(
        retired,
        [Retired::Now, Retired::Already(500), Retired::Unknown]
    );
    // Published again (a gateway restarted with the key still in its directory): it stays
    // retired.
    let again = store
        .signing_keys(move |c| signing_keys::publish(c, "k1", &a, 800))
        .await
        .unwrap();
    assert_eq!(again, Published::Known);
    let all = store.signing_keys(signing_keys::all).await.unwrap();
    assert_eq!(all[0].retired_at, Some(500));
    assert_eq!(all[1].retired_at, None);
}

/// Whether the store's connection is encrypted (PostgreSQL's own view of it).
async fn over_tls(store: &Store) -> bool {
    store
        .call(|c| {
            c.query_one(
                "SELECT CAST(CASE WHEN ssl THEN 1 ELSE 0 END AS BIGINT) FROM pg_stat_ssl \
                 WHERE pid = pg_backend_pid()",
                &[],
            )?
            .get::<i64>(0)
        })
        .await
        .unwrap()
        == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_over_tls_verifies_the_server_certificate() {
    use secrecy::{ExposeSecret, SecretString};
    if !pg::available() {
        return;
    }
    let store = Store::connect_postgres(&pg::database_tls(), 2).expect("connect over TLS");
    assert!(
        over_tls(&store).await,
        "sslmode=verify-full connected in plain"
    );
    let plain = Store::connect_postgres(&pg::database(), 2).unwrap();
    assert!(!over_tls(&plain).await, "no sslmode: plain, as before");

    // The system's roots do not know the test CA: refused, saying why, never the password.
    let url = pg::database();
    let unknown = SecretString::from(format!("{}?sslmode=require", url.expose_secret()));
    let err = Store::connect_postgres(&unknown, 2)
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(!err.contains(pg::PASSWORD), "{err}");
    // The name checked too: the certificate is for 127.0.0.1 and localhost only.
    let host = url.expose_secret().replace("@127.0.0.1:", "@127.0.0.2:");
    let wrong_name = SecretString::from(format!(
        "{host}?sslmode=verify-full&sslrootcert={}",
        pg::ca_file().display()
    ));
    assert!(Store::connect_postgres(&wrong_name, 2).is_err());
    // A CA file that is not there is named at once.
    let missing = SecretString::from(format!(
        "{}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        url.expose_secret()
    ));
    let err = Store::connect_postgres(&missing, 2)
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    assert!(!err.contains(pg::PASSWORD), "{err}");
}

/// The account mirror's rows, on either engine: SQLite keeps them in a file of their own
/// (`mirror.db`), PostgreSQL in the shared database's `mirror_*` tables (migration step 4).
/// Upserts replace, versioned report writes never go back, lookups by column find their rows,
/// and a digest of every row is read row by row.
async fn the_mirror_tables_keep_and_find_rows_alike(store: Store) {
    use rappu_gateway::mirror::{MirrorDb, db as mirror_db};
    let dir = tempfile::tempdir().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let mirror = match store.kind() {
        EngineKind::Postgres => {
            let mirror = MirrorDb::in_store(store.clone());
            // Writes need this replica elected the mirror's writer.
            rappu_gateway::mirror::shared::spawn_election(
                store.postgres().unwrap().target().clone(),
                mirror.writer().clone(),
                "suite".into(),
                stop.clone(),
            );
            let writer = mirror.writer().clone();
            wait_for(|| writer.is_writer()).await;
            mirror
        }
        EngineKind::Sqlite => MirrorDb::open_in(dir.path()).unwrap(),
    };
    let object = |id: u64, kind: &str, building: Option<u64>, row: &str| mirror_db::ObjectRow {
        id,
        parent_id: building.filter(|b| *b != id),
        kind: kind.into(),
        property_id: Some(1),
        building_id: building,
        row: row.into(),
    };
    let connection = |id: u64, party: u64, hides: bool| mirror_db::ConnectionRow {
        id,
        party_id: party,
        object_id: 20,
        role: "resident".into(),
        building_id: Some(10),
        property_id: Some(1),
        hides,
        row: format!("{{\"id\":{id},\"party\":{party}}}"),
    };
    let report = |state: &str| mirror_db::ReportRow {
        id: 500,
        object_id: Some(20),
        building_id: Some(10),
        assignee_id: Some(9),
        reporter_id: Some(7),
        state: state.into(),
        open: state == "open",
        row: format!("{{\"state\":\"{state}\"}}"),
    };
    mirror
        .write(move |c| {
            c.transaction(|tx| {
                mirror_db::put_objects(
                    tx,
                    "acc",
                    &[
                        object(1, "cost_centre", None, "p"),
                        object(10, "building", Some(10), "b-old"),
                        object(20, "apartment", Some(10), "a"),
                    ],
                )?;
                // Replaced, not duplicated.
                mirror_db::put_objects(tx, "acc", &[object(10, "building", Some(10), "b")])?;
                mirror_db::put_connections(tx, "acc", &[connection(100, 7, false)])?;
                mirror_db::put_connections(tx, "acc", &[connection(101, 8, true)])?;
                mirror_db::put_announcements(tx, "acc", &[(300, Some(10), "news".into())])?;
                mirror_db::put_reports(tx, "acc", &[(report("open"), 5)], 1_000)?;
                mirror_db::record_sync(tx, "acc", "people", 42, 2, 1)?;
                // Another account's rows are never read for this one.
                mirror_db::put_objects(tx, "other", &[object(10, "building", Some(10), "x")])
            })
        })
        .await
        .unwrap();

    let (building, below, parties, staff, digests, sync) = mirror
        .read(|c| {
            Ok((
                mirror_db::row(c, "mirror_objects", "acc", 10)?,
                mirror_db::rows_where(c, "mirror_objects", "acc", Some(("building_id", 10)))?,
                mirror_db::ids_where(c, "mirror_connections", "party_id", "acc", "object_id", 20)?,
                mirror_db::ids_where(c, "mirror_connections", "property_id", "acc", "party_id", 8)?,
                mirror_db::digests(c, "mirror_objects", "acc")?,
                mirror_db::last_sync(c, "acc", "people")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(building.as_deref(), Some("b"));
    assert_eq!(
        below,
        vec![(10, "b".to_owned()), (20, "a".to_owned())],
        "in id order, this account only"
    );
    let mut parties = parties;
    parties.sort_unstable();
    assert_eq!(parties, vec![7, 8]);
    assert_eq!(staff, vec![1]);
    assert_eq!(digests.len(), 3);
    assert_eq!(digests.get(&10), Some(&mirror_db::digest("b")));
    assert_eq!(sync, Some((42, 2, 1)));

    // A report row is replaced only by data of its version or a later one; a delete by an
    // older fetch leaves a newer row.
    let (older_deleted, newer_deleted, after) = mirror
        .write(move |c| {
            c.transaction(|tx| {
                mirror_db::confirm_reports(tx, "acc", &[500], 7)?;
                let older = mirror_db::delete_report(tx, "acc", 500, 6)?;
                mirror_db::put_reports(tx, "acc", &[(report("done"), 8)], 2_000)?;
                let state = mirror_db::row(tx, "mirror_reports", "acc", 500)?;
                let newer = mirror_db::delete_report(tx, "acc", 500, 8)?;
                Ok((older, newer, state))
            })
        })
        .await
        .unwrap();
    assert!(
        !older_deleted,
        "a fetch older than the row's version deletes nothing"
    );
    assert_eq!(after.as_deref(), Some("{\"state\":\"done\"}"));
    assert!(newer_deleted);

    mirror
        .write(|c| mirror_db::delete_ids(c, "mirror_connections", "acc", &[100, 101]))
        .await
        .unwrap();
    let left = mirror
        .read(|c| mirror_db::rows_where(c, "mirror_connections", "acc", None))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    stop.cancel();
}

/// The shared mirror's writer: of two replicas on one database one is elected; the other's
/// writes are refused; when the writer goes, the other takes over in a later epoch, and a
/// write in the old epoch is refused (the fence) and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_writes_the_shared_mirror_and_a_fenced_writer_cannot() {
    use rappu_gateway::mirror::shared::{fence, spawn_election};
    use rappu_gateway::mirror::{MirrorDb, db as mirror_db};
    let Some((one, two)) = two_replicas() else {
        return;
    };
    let (a, b) = (
        MirrorDb::in_store(one.clone()),
        MirrorDb::in_store(two.clone()),
    );
    let (stop_a, stop_b) = (
        tokio_util::sync::CancellationToken::new(),
        tokio_util::sync::CancellationToken::new(),
    );
    let target = |s: &Store| s.postgres().unwrap().target().clone();
    let election_a = spawn_election(target(&one), a.writer().clone(), "a".into(), stop_a.clone());
    let writer_a = a.writer().clone();
    wait_for(|| writer_a.is_writer()).await;
    let election_b = spawn_election(target(&two), b.writer().clone(), "b".into(), stop_b.clone());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(!b.writer().is_writer(), "two writers at once");
    let first = a.writer().epoch();

    let put = |db: &MirrorDb, row: &'static str| {
        let db = db.clone();
        async move {
            db.write(move |c| mirror_db::put_announcements(c, "acc", &[(1, None, row.to_owned())]))
                .await
        }
    };
    put(&a, "by a").await.unwrap();
    let refused = put(&b, "by b").await.unwrap_err();
    assert!(refused.to_string().contains("does not write"), "{refused}");

    // A goes; B takes over in a later epoch.
    stop_a.cancel();
    election_a.await.unwrap();
    let writer_b = b.writer().clone();
    wait_for(|| writer_b.is_writer()).await;
    assert!(b.writer().epoch() > first);
    put(&b, "by b").await.unwrap();
    // A write fenced with A's epoch (a writer that has not noticed yet) changes nothing.
    let stale = one
        .call(move |c| {
            c.transaction(|tx| {
                fence(tx, first)?;
                mirror_db::put_announcements(tx, "acc", &[(1, None, "late".to_owned())])
            })
        })
        .await;
    assert!(stale.is_err());
    let row = b
        .read(|c| mirror_db::row(c, "mirror_announcements", "acc", 1))
        .await
        .unwrap();
    assert_eq!(row.as_deref(), Some("by b"));
    stop_b.cancel();
    election_b.await.unwrap();
}

async fn wait_for(done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "not within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
