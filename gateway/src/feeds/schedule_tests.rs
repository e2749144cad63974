//! Generated schedules: interleavings of changes in Tampuuri (names, turvakielto on and off,
//! hidden, moving out and back, the board chair opting out, announcements), webhook
//! deliveries (late, duplicated, reordered), slow answers and display polls, under paused
//! time, against the real feed service and invalidation code with a fake Tampuuri.
//!
//! Invariants:
//! - no protected person's name is served to a poll that starts after a webhook of the
//!   change that protected them was answered (and who stayed protected until the poll
//!   ended);
//! - once every webhook is answered and the world is quiet, every building's feed equals
//!   the feed a fresh service computes directly from the fake's current data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rappu_shared::display::DisplayFeed;
use tokio::time::Instant;

use super::FeedService;
use super::fake::{ACCOUNT, BUILDINGS, FakeTampuuri, World, today};
use super::resources::Keep;
use crate::config::Settings;
use crate::store::webhooks::NotificationRecord;
use crate::upstream::tampuuri::model::{Connection, ConnectionRole};
use crate::webhooks::apply_to_feeds;

/// The board chair's connection and party in the fake world.
const CHAIR: (u64, u64) = (3, 8);

#[derive(Debug, Clone)]
enum Op {
    Turvakielto { resident: usize, on: bool },
    Hide { resident: usize, on: bool },
    Rename { resident: usize },
    MoveOut { resident: usize },
    MoveBack { resident: usize },
    ChairHide { on: bool },
    Announce { building: usize },
    Deliver { pick: usize, duplicate: bool },
    Delay { ms: u64 },
    Poll { building: usize },
    Wait { ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<usize>(), any::<bool>()).prop_map(|(resident, on)| Op::Turvakielto { resident, on }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(resident, on)| Op::Hide { resident, on }),
        1 => any::<usize>().prop_map(|resident| Op::Rename { resident }),
        1 => any::<usize>().prop_map(|resident| Op::MoveOut { resident }),
        1 => any::<usize>().prop_map(|resident| Op::MoveBack { resident }),
        1 => any::<bool>().prop_map(|on| Op::ChairHide { on }),
        1 => (0usize..2).prop_map(|building| Op::Announce { building }),
        5 => (any::<usize>(), any::<bool>()).prop_map(|(pick, duplicate)| Op::Deliver { pick, duplicate }),
        2 => prop_oneof![Just(0u64), 1u64..3000].prop_map(|ms| Op::Delay { ms }),
        5 => (0usize..2).prop_map(|building| Op::Poll { building }),
        3 => (1u64..3000).prop_map(|ms| Op::Wait { ms }),
    ]
}

/// Whether the person of connection `c` may be on the board (resident or chair).
fn showable(c: &Connection) -> bool {
    super::privacy::may_name(c) && c.ends.is_none_or(|e| e >= today())
}

/// A change to one person: when, whether they may be shown after it, its notifications.
struct Change {
    party: u64,
    at: Instant,
    showable_after: bool,
    notifications: Vec<String>,
}

struct Poll {
    building: u64,
    started: Instant,
    handle: tokio::task::JoinHandle<(Instant, String)>,
}

struct Run {
    fake: FakeTampuuri,
    feeds: FeedService,
    residents: Vec<(u64, u64)>,
    changes: Vec<Change>,
    tokens: HashMap<u64, HashSet<String>>,
    pending: Vec<NotificationRecord>,
    delivered: HashSet<String>,
    answered: HashMap<String, Instant>,
    polls: Vec<Poll>,
    renames: u64,
}

impl Run {
    fn new(keep: Keep) -> Self {
        let fake = FakeTampuuri::new();
        let feeds = FeedService::with_upstream_keeping(
            Arc::new(fake.clone()),
            vec![Arc::from(ACCOUNT)],
            &Settings::default(),
            true,
            keep,
        );
        let world = fake.snapshot();
        let residents: Vec<(u64, u64)> = world
            .connections
            .values()
            .filter(|c| c.role == ConnectionRole::Resident)
            .map(|c| (c.id, c.party.id))
            .collect();
        let tokens = world
            .connections
            .values()
            .map(|c| (c.party.id, person_tokens(c)))
            .collect();
        Self {
            fake,
            feeds,
            residents,
            changes: Vec::new(),
            tokens,
            pending: Vec::new(),
            delivered: HashSet::new(),
            answered: HashMap::new(),
            polls: Vec::new(),
            renames: 0,
        }
    }

    fn record(&mut self, connection: u64, party: u64, records: Vec<NotificationRecord>) {
        let c = self.fake.snapshot().connections[&connection].clone();
        self.tokens
            .entry(party)
            .or_default()
            .extend(person_tokens(&c));
        self.changes.push(Change {
            party,
            at: Instant::now(),
            showable_after: showable(&c),
            notifications: records.iter().map(|r| r.id.clone()).collect(),
        });
        self.pending.extend(records);
    }

    async fn step(&mut self, op: Op) {
        let pick = |i: usize, residents: &[(u64, u64)]| residents[i % residents.len()];
        match op {
            Op::Turvakielto { resident, on } => {
                let (c, p) = pick(resident, &self.residents);
                let r = self
                    .fake
                    .patch_party(p, |party| party.non_disclosure = Some(!on));
                self.record(c, p, r);
            }
            Op::Hide { resident, on } => {
                let (c, p) = pick(resident, &self.residents);
                let r = self
                    .fake
                    .patch_connection(c, |x| x.hide_from_display = Some(on));
                self.record(c, p, r);
            }
            Op::Rename { resident } => {
                let (c, p) = pick(resident, &self.residents);
                self.renames += 1;
                let name = format!("Uusi{p}x{}q", self.renames);
                let r = self
                    .fake
                    .patch_party(p, |party| party.last_name = Some(name.clone()));
                self.record(c, p, r);
            }
            Op::MoveOut { resident } => {
                let (c, p) = pick(resident, &self.residents);
                let r = self
                    .fake
                    .patch_connection(c, |x| x.ends = Some(FakeTampuuri::yesterday()));
                self.record(c, p, r);
            }
            Op::MoveBack { resident } => {
                let (c, p) = pick(resident, &self.residents);
                let r = self.fake.patch_connection(c, |x| x.ends = None);
                self.record(c, p, r);
            }
            Op::ChairHide { on } => {
                let r = self
                    .fake
                    .patch_connection(CHAIR.0, |x| x.hide_from_display = Some(on));
                self.record(CHAIR.0, CHAIR.1, r);
            }
            Op::Announce { building } => {
                let b = BUILDINGS[building];
                let r = self.fake.change(|w: &mut World| {
                    let a = w.announcements.get_mut(&(400 + b)).unwrap();
                    a.body.push('!');
                    vec![("UutinenMuokkaa", a.id, None, Some(b))]
                });
                self.pending.extend(r);
            }
            Op::Deliver { pick, duplicate } => {
                if self.pending.is_empty() {
                    return;
                }
                let i = pick % self.pending.len();
                let record = if duplicate {
                    self.pending[i].clone()
                } else {
                    self.pending.remove(i)
                };
                self.deliver(record);
            }
            Op::Delay { ms } => self.fake.set_delay(Duration::from_millis(ms)),
            Op::Poll { building } => {
                let b = BUILDINGS[building];
                let feeds = self.feeds.clone();
                let key = feeds.key(ACCOUNT, b, None).unwrap();
                let started = Instant::now();
                let handle = tokio::spawn(async move {
                    let body = match feeds.get(key).await {
                        Ok(feed) => String::from_utf8(feed.json().unwrap().to_vec()).unwrap(),
                        Err(_) => String::new(),
                    };
                    (Instant::now(), body)
                });
                self.polls.push(Poll {
                    building: b,
                    started,
                    handle,
                });
            }
            Op::Wait { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
        }
        // Let what was just started run until it waits on the clock.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    /// As the webhook route after the secret check: the store's de-duplication, then the
    /// caches, then the answer.
    fn deliver(&mut self, record: NotificationRecord) {
        if self.delivered.insert(record.id.clone()) {
            apply_to_feeds(&self.feeds, ACCOUNT, std::slice::from_ref(&record));
        }
        self.answered.entry(record.id).or_insert_with(Instant::now);
    }

    /// Whether `party` was protected by a change answered before `started` and stayed so
    /// until `ended`.
    fn forbidden(&self, party: u64, started: Instant, ended: Instant) -> bool {
        let mine: Vec<&Change> = self.changes.iter().filter(|c| c.party == party).collect();
        mine.iter().enumerate().any(|(i, c)| {
            let answered = c
                .notifications
                .iter()
                .filter_map(|n| self.answered.get(n))
                .min()
                .is_some_and(|t| *t < started);
            let stayed = mine[i..]
                .iter()
                .filter(|later| later.at <= ended)
                .all(|later| !later.showable_after);
            !c.showable_after && answered && stayed
        })
    }

    async fn check(self) -> Result<(), TestCaseError> {
        let mut run = self;
        let polls = std::mem::take(&mut run.polls);
        for poll in polls {
            let (ended, body) = poll.handle.await.unwrap();
            let world = run.fake.snapshot();
            for c in world.connections.values() {
                let here = c.object_id == super::fake::PROPERTY
                    || world.building_of(c.object_id) == Some(poll.building);
                if !here || !run.forbidden(c.party.id, poll.started, ended) {
                    continue;
                }
                for token in &run.tokens[&c.party.id] {
                    prop_assert!(
                        !body.contains(token.as_str()),
                        "{token} of party {} served to a poll of {} started {:?} after it was protected",
                        c.party.id,
                        poll.building,
                        poll.started
                    );
                }
            }
        }
        // Quiet: every webhook answered, Tampuuri fast again, time for the rebuilds.
        for record in std::mem::take(&mut run.pending) {
            run.deliver(record);
        }
        run.fake.set_delay(Duration::ZERO);
        tokio::time::sleep(Duration::from_secs(10)).await;
        let direct = FeedService::with_upstream(
            Arc::new(FakeTampuuri::from_world(run.fake.snapshot())),
            vec![Arc::from(ACCOUNT)],
            &Settings::default(),
            true,
        );
        for b in BUILDINGS {
            let key = run.feeds.key(ACCOUNT, b, None).unwrap();
            let served = run.feeds.get(key).await.map_err(fail)?;
            let expected = direct.get(key).await.map_err(fail)?;
            prop_assert_eq!(
                content(&served.json().unwrap()),
                content(&expected.json().unwrap()),
                "building {}",
                b
            );
        }
        Ok(())
    }
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// What a feed shows, without its timestamps.
fn content(body: &[u8]) -> DisplayFeed {
    let mut feed: DisplayFeed = serde_json::from_slice(body).unwrap();
    feed.generated_at = chrono::DateTime::UNIX_EPOCH;
    feed.data_as_of = chrono::DateTime::UNIX_EPOCH;
    feed.stale = false;
    feed
}

fn person_tokens(c: &Connection) -> HashSet<String> {
    let p = &c.party;
    [&p.last_name, &p.phone, &p.email]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_schedule_shows_a_protected_person_and_every_schedule_converges(
        ops in prop::collection::vec(op(), 1..60)
    ) {
        run_schedule(Keep::Values, ops)?;
    }

    /// The same with the resources not kept between builds (production: feeds over the
    /// account mirror), where a change that may concern a person empties the feeds' names
    /// until they are rebuilt.
    #[test]
    fn without_kept_resources_no_schedule_shows_a_protected_person_and_every_schedule_converges(
        ops in prop::collection::vec(op(), 1..60)
    ) {
        run_schedule(Keep::InFlight, ops)?;
    }
}

fn run_schedule(keep: Keep, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut run = Run::new(keep);
        // Every display has seen its building once.
        for b in BUILDINGS {
            let key = run.feeds.key(ACCOUNT, b, None).unwrap();
            run.feeds.get(key).await.map_err(fail)?;
        }
        for op in ops {
            run.step(op).await;
        }
        run.check().await
    })
}
