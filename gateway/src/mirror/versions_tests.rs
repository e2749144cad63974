//! Reports in the mirror carry versions: whatever order Rappu's own writes, fetches begun at
//! different times and notifications interleave in, the row ends as the latest read has it,
//! and a notification's fetch never loses to one that began before the notification.
//!
//! The mirror here has no Tampuuri to call (its address answers nothing): the tests play
//! Tampuuri themselves and land each writer's answer through the mirror's own write path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use proptest::prelude::*;
use rappu_shared::report::ReportStatus;

use super::{Key, Mirror, MirrorDb, Origin, db};
use crate::config::{MirrorSettings, TampuuriSettings};
use crate::store::Store;
use crate::upstream::tampuuri::Tampuuri;
use crate::upstream::tampuuri::model::FaultReport;
use crate::usage::{Budget, UsageRecorder};

const ACCOUNT: &str = "tili";
const REPORT: u64 = 9;

/// A mirror over a fresh file in `dir`, for account [`ACCOUNT`].
fn mirror(dir: &std::path::Path) -> Mirror {
    let settings: TampuuriSettings = serde_json::from_value(serde_json::json!({
        "base_url": "http://127.0.0.1:9/api/",
        "api_key": "AAAA1111-2222-3333",
        "customer_name": "Isännöinti Oy",
        "accounts": [{"name": ACCOUNT, "user": "api", "password": "salasana"}],
    }))
    .unwrap();
    let usage = UsageRecorder::start(Store::open(&dir.join("rappu.db")).unwrap());
    let tampuuri = Tampuuri::new(&settings, usage.clone()).unwrap();
    let (mirror, _events) = Mirror::new(
        tampuuri,
        MirrorDb::open_in(dir).unwrap(),
        MirrorSettings::default(),
        true,
        Budget::new(40_000, usage),
        Duration::from_secs(3_600),
    );
    mirror
}

/// Report [`REPORT`] as Tampuuri has it after `step` changes (its title names the step).
fn report(step: u32, state: ReportStatus) -> FaultReport {
    let state = match state {
        ReportStatus::Open => "Avoin",
        ReportStatus::Received => "Vastaanotettu",
        ReportStatus::Waiting => "Odottaa",
        ReportStatus::Done => "Valmis",
        _ => "Kuitattu",
    };
    serde_json::from_value(serde_json::json!({
        "Id": REPORT, "Otsikko": format!("step {step}"), "Tila": state, "KohdeId": 70,
    }))
    .unwrap()
}

/// The step the mirror's row of [`REPORT`] holds, if it holds one.
async fn held(mirror: &Mirror) -> Option<u32> {
    let text = mirror
        .db()
        .read(|c| db::row(c, "mirror_reports", ACCOUNT, REPORT))
        .await
        .unwrap()?;
    let report: FaultReport = serde_json::from_str(&text).unwrap();
    report.title.strip_prefix("step ")?.parse().ok()
}

/// The failure CI met once (`work_orders::the_whole_lifecycle…`): the partner's `done` was
/// answered by Tampuuri, and before Rappu's write of that answer reached the mirror, the
/// webhook about the partner's previous step (`receive`) arrived. The old rule skipped any
/// write of a row a notification had touched since the write began, so the own write was
/// dropped; the webhook's fetch, begun before the own write settled, was dropped too, and
/// the mirror kept `received` for good.
#[tokio::test]
async fn rappus_own_write_is_kept_when_a_notification_arrives_before_it_lands() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = mirror(dir.path());
    let state = mirror.account(ACCOUNT).unwrap();
    mirror
        .put_report(ACCOUNT, report(1, ReportStatus::Received), Origin::Answer)
        .await
        .unwrap();

    // The webhook about `receive` is noted, and its fetch begins and reads `received`...
    state.mark(&[Key::Report(REPORT)]);
    let webhook_fetch = mirror.fetch_begins(ACCOUNT);
    let stale = report(1, ReportStatus::Received);
    // ...Tampuuri answers `done`; a second notice of the old step arrives before the write.
    let own = state.next_seq();
    state.mark(&[Key::Report(REPORT)]);
    mirror
        .write_reports(ACCOUNT, own, vec![report(2, ReportStatus::Done)], false)
        .await
        .unwrap();
    assert_eq!(held(&mirror).await, Some(2), "the own write was skipped");

    // The fetch that began before Tampuuri's answer lands last: it is older.
    mirror
        .put_report(
            ACCOUNT,
            stale,
            Origin::Fetched {
                began: webhook_fetch,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        held(&mirror).await,
        Some(2),
        "an older fetch put `received` back"
    );

    // A fetch begun after the answer has the last word (here Tampuuri moved on meanwhile).
    let later = mirror.fetch_begins(ACCOUNT);
    mirror
        .put_report(
            ACCOUNT,
            report(3, ReportStatus::Completed),
            Origin::Fetched { began: later },
        )
        .await
        .unwrap();
    assert_eq!(held(&mirror).await, Some(3));
}

/// Versions start again with the process: a row kept from the last run never outranks
/// what this run reads.
#[tokio::test]
async fn rows_kept_from_the_last_run_are_older_than_anything_read_now() {
    let dir = tempfile::tempdir().unwrap();
    {
        let before = mirror(dir.path());
        for _ in 0..50 {
            before.account(ACCOUNT).unwrap().next_seq();
        }
        before
            .put_report(ACCOUNT, report(1, ReportStatus::Open), Origin::Answer)
            .await
            .unwrap();
    }
    let after = mirror(dir.path());
    assert_eq!(held(&after).await, Some(1));
    let began = after.fetch_begins(ACCOUNT);
    after
        .put_report(
            ACCOUNT,
            report(2, ReportStatus::Received),
            Origin::Fetched { began },
        )
        .await
        .unwrap();
    assert_eq!(held(&after).await, Some(2));
}

/// One event of a generated schedule.
#[derive(Debug, Clone)]
enum Event {
    /// Rappu changes the report in Tampuuri; its answer lands later.
    OwnWrite,
    /// Someone else changes it in Tampuuri (a notification follows).
    TheirChange,
    /// A fetch begins (a sweep, the refresher, a transition's read).
    Begin,
    /// One of the begun fetches reads Tampuuri (the n-th of those not yet read).
    Read(usize),
    /// One of the writers that has its data lands in the mirror (the n-th of those).
    Land(usize),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        1 => Just(Event::OwnWrite),
        1 => Just(Event::TheirChange),
        2 => Just(Event::Begin),
        2 => (0..8usize).prop_map(Event::Read),
        3 => (0..8usize).prop_map(Event::Land),
    ]
}

/// A writer on its way to the mirror.
#[derive(Debug, Clone, Copy)]
struct Writer {
    /// Its version (when its fetch began, or Tampuuri answered the own write).
    version: u64,
    /// What it read (a step of Tampuuri's), once it has read.
    read: Option<u32>,
    landed: bool,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    /// Over every interleaving: after each landing, the row holds what the last-landed of
    /// the latest-versioned writers read, so no write ever loses to one that began before
    /// it; and once a fetch begun after Tampuuri's last change has landed, the row is
    /// Tampuuri's.
    #[test]
    fn the_latest_read_wins_in_every_interleaving(events in prop::collection::vec(event(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let dir = tempfile::tempdir().unwrap();
            let mirror = mirror(dir.path());
            let state = mirror.account(ACCOUNT).unwrap();
            let mut tampuuri = 0u32;
            let mut last_change_at = 0u64;
            let mut writers: Vec<Writer> = Vec::new();
            // (version, step) of the writer the row must follow, by the rule above.
            let mut expected: Option<(u64, u32)> = None;
            for event in events {
                match event {
                    Event::OwnWrite => {
                        tampuuri += 1;
                        let version = state.next_seq();
                        last_change_at = version;
                        writers.push(Writer { version, read: Some(tampuuri), landed: false });
                    }
                    Event::TheirChange => {
                        tampuuri += 1;
                        last_change_at = state.mark(&[Key::Report(REPORT)]);
                    }
                    Event::Begin => writers.push(Writer {
                        version: mirror.fetch_begins(ACCOUNT),
                        read: None,
                        landed: false,
                    }),
                    Event::Read(n) => {
                        let unread: Vec<usize> =
                            (0..writers.len()).filter(|i| writers[*i].read.is_none()).collect();
                        if let Some(i) = unread.get(n % unread.len().max(1)) {
                            writers[*i].read = Some(tampuuri);
                        }
                    }
                    Event::Land(n) => {
                        let ready: Vec<usize> = (0..writers.len())
                            .filter(|i| writers[*i].read.is_some() && !writers[*i].landed)
                            .collect();
                        let Some(&i) = ready.get(n % ready.len().max(1)) else { continue };
                        let writer = &mut writers[i];
                        writer.landed = true;
                        let step = writer.read.unwrap();
                        mirror
                            .write_reports(
                                ACCOUNT,
                                writer.version,
                                vec![report(step, ReportStatus::Open)],
                                false,
                            )
                            .await
                            .unwrap();
                        if expected.is_none_or(|(version, _)| writer.version >= version) {
                            expected = Some((writer.version, step));
                        }
                        let (version, step) = expected.unwrap();
                        prop_assert_eq!(held(&mirror).await, Some(step), "after a landing of version {}", version);
                        if writers.iter().any(|w| w.landed && w.version >= last_change_at) {
                            prop_assert_eq!(held(&mirror).await, Some(tampuuri));
                        }
                    }
                }
            }
            Ok(())
        })?;
    }
}
