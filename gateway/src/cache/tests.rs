//! One test per rule of the flight cache, with a fake upstream that can be held and
//! released, under paused time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::{FlightCache, Redaction};
use crate::upstream::tampuuri::UpstreamError;

const TTL: Duration = Duration::from_secs(60);
const MAX_STALE: Duration = Duration::from_secs(600);

/// A fake upstream: a list of names that a fetch reads *when it starts* (as Tampuuri reads
/// its data at once) and answers when its gate lets it. While held, every new fetch waits
/// for its own release, so a test decides the order in which fetches land.
#[derive(Clone)]
struct Fake {
    world: Arc<Mutex<Vec<String>>>,
    calls: Arc<AtomicUsize>,
    held: Arc<Mutex<bool>>,
    gates: Arc<Mutex<Vec<Arc<Semaphore>>>>,
    fail: Arc<Mutex<bool>>,
}

impl Fake {
    fn new(names: &[&str]) -> Self {
        Self {
            world: Arc::new(Mutex::new(names.iter().map(|s| (*s).to_owned()).collect())),
            calls: Arc::default(),
            held: Arc::default(),
            gates: Arc::default(),
            fail: Arc::default(),
        }
    }

    /// Fetches started from now on wait for [`Fake::release`].
    fn hold(&self) {
        *self.held.lock().unwrap() = true;
    }

    /// Lets the fetch started `n`-th (from 0) answer.
    fn release(&self, n: usize) {
        self.gates.lock().unwrap()[n].add_permits(1);
    }

    /// Lets every waiting fetch answer, and new ones answer at once.
    fn open(&self) {
        *self.held.lock().unwrap() = false;
        for gate in self.gates.lock().unwrap().iter() {
            gate.add_permits(1);
        }
    }

    fn set(&self, names: &[&str]) {
        *self.world.lock().unwrap() = names.iter().map(|s| (*s).to_owned()).collect();
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn fetch(
        &self,
    ) -> impl FnOnce() -> futures::future::BoxFuture<'static, Result<Vec<String>, UpstreamError>>
    {
        let this = self.clone();
        move || {
            this.calls.fetch_add(1, Ordering::SeqCst);
            let read = this.world.lock().unwrap().clone();
            let fail = *this.fail.lock().unwrap();
            let permits = usize::from(!*this.held.lock().unwrap());
            let gate = Arc::new(Semaphore::new(permits));
            this.gates.lock().unwrap().push(Arc::clone(&gate));
            Box::pin(async move {
                gate.acquire().await.expect("gate").forget();
                if fail {
                    Err(UpstreamError::Unavailable {
                        route: "test",
                        reason: "down".into(),
                        retry_after: None,
                    })
                } else {
                    Ok(read)
                }
            })
        }
    }
}

fn cache() -> FlightCache<&'static str, Vec<String>> {
    FlightCache::new(100, Duration::from_secs(86_400), MAX_STALE)
}

fn without(name: &'static str) -> Redaction<Vec<String>> {
    Arc::new(move |v: &Vec<String>| v.iter().filter(|n| *n != name).cloned().collect())
}

async fn get(c: &FlightCache<&'static str, Vec<String>>, fake: &Fake) -> (Vec<String>, bool) {
    let f = c.get(&"k", TTL, fake.fetch()).await.expect("value");
    (f.entry.value.clone(), f.stale)
}

/// Lets spawned tasks run until they block.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_hundred_concurrent_misses_make_one_fetch() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen"]));
    fake.hold();
    let readers: Vec<_> = (0..100)
        .map(|_| {
            let (c, fake) = (c.clone(), fake.clone());
            tokio::spawn(async move { get(&c, &fake).await })
        })
        .collect();
    settle().await;
    fake.release(0);
    for r in readers {
        assert_eq!(r.await.unwrap().0, vec!["Virtanen"]);
    }
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_value_is_fresh_for_its_ttl_then_fetched_again() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen"]));
    get(&c, &fake).await;
    tokio::time::advance(TTL - Duration::from_secs(1)).await;
    fake.set(&["Korhonen"]);
    assert_eq!(get(&c, &fake).await.0, vec!["Virtanen"], "still fresh");
    assert_eq!(fake.calls(), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(get(&c, &fake).await.0, vec!["Korhonen"], "refetched");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failed_fetch_serves_the_old_value_until_max_stale() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen"]));
    get(&c, &fake).await;
    *fake.fail.lock().unwrap() = true;
    tokio::time::advance(TTL).await;
    assert_eq!(
        get(&c, &fake).await,
        (vec!["Virtanen".to_owned()], true),
        "stale-if-error"
    );
    tokio::time::advance(MAX_STALE).await;
    let err = c.get(&"k", TTL, fake.fetch()).await;
    assert!(err.is_err(), "past max_stale the error shows");
}

#[tokio::test(start_paused = true)]
async fn an_invalidation_before_a_fetch_makes_the_next_reader_fetch() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen"]));
    get(&c, &fake).await;
    fake.set(&["Korhonen"]);
    assert!(c.invalidate(&"k", None));
    assert_eq!(get(&c, &fake).await.0, vec!["Korhonen"]);
    assert_eq!(fake.calls(), 2);
    assert!(
        !c.invalidate(&"other", None),
        "nothing stored or in the air"
    );
}

#[tokio::test(start_paused = true)]
async fn an_invalidation_during_a_fetch_wins_over_it() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen", "Korhonen"]));
    fake.hold();
    let early = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { get(&c, &fake).await })
    };
    settle().await;
    // Korhonen gets turvakielto while the fetch's answer is on its way.
    fake.set(&["Virtanen"]);
    assert!(c.invalidate(&"k", Some(without("Korhonen"))));
    // A reader after the notification does not join the overtaken flight.
    let late = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { get(&c, &fake).await })
    };
    settle().await;
    assert_eq!(fake.calls(), 2, "a new flight for the late reader");
    // The late fetch lands first, the overtaken early one after it.
    fake.release(1);
    settle().await;
    fake.release(0);
    let early = early.await.unwrap().0;
    assert!(
        !early.contains(&"Korhonen".to_owned()),
        "even the overtaken result is redacted"
    );
    assert_eq!(late.await.unwrap().0, vec!["Virtanen"]);
    // Whichever landed last, what is stored now is the late fetch's (or a stale copy that
    // the next reader refetches): never Korhonen.
    assert_eq!(get(&c, &fake).await.0, vec!["Virtanen"]);
}

#[tokio::test(start_paused = true)]
async fn an_overtaken_result_is_stored_stale_and_refetched() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen"]));
    fake.hold();
    let early = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { get(&c, &fake).await })
    };
    settle().await;
    fake.set(&["Korhonen"]);
    c.invalidate(&"k", None);
    fake.release(0);
    assert_eq!(early.await.unwrap().0, vec!["Virtanen"]);
    let stored = c.peek(&"k").unwrap();
    assert!(stored.is_invalidated(), "stored already stale");
    fake.open();
    assert_eq!(
        get(&c, &fake).await.0,
        vec!["Korhonen"],
        "the next reader fetches"
    );
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn two_invalidations_during_one_fetch_both_apply() {
    let (c, fake) = (cache(), Fake::new(&["A", "B", "C"]));
    fake.hold();
    let early = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { get(&c, &fake).await })
    };
    settle().await;
    c.invalidate(&"k", Some(without("A")));
    c.invalidate(&"k", Some(without("B")));
    fake.release(0);
    assert_eq!(early.await.unwrap().0, vec!["C"]);
    assert_eq!(c.peek(&"k").unwrap().value, vec!["C"]);
}

#[tokio::test(start_paused = true)]
async fn an_invalidation_while_stale_data_is_served_redacts_it() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen", "Korhonen"]));
    get(&c, &fake).await;
    *fake.fail.lock().unwrap() = true;
    tokio::time::advance(TTL).await;
    assert!(get(&c, &fake).await.1, "serving stale");
    c.invalidate(&"k", Some(without("Korhonen")));
    assert_eq!(
        get(&c, &fake).await,
        (vec!["Virtanen".to_owned()], true),
        "the stale copy is redacted"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_fetch_after_an_invalidation_serves_the_redacted_value() {
    let (c, fake) = (cache(), Fake::new(&["Virtanen", "Korhonen"]));
    get(&c, &fake).await;
    *fake.fail.lock().unwrap() = true;
    c.invalidate(&"k", Some(without("Korhonen")));
    let (names, stale) = get(&c, &fake).await;
    assert_eq!(names, vec!["Virtanen"]);
    assert!(stale);
    assert_eq!(fake.calls(), 2, "it did try to fetch");
}

#[tokio::test(start_paused = true)]
async fn an_older_flight_never_replaces_a_newer_value() {
    let (c, fake) = (cache(), Fake::new(&["old"]));
    fake.hold();
    let early = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { get(&c, &fake).await })
    };
    settle().await;
    fake.set(&["new"]);
    c.invalidate(&"k", None);
    let late = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { get(&c, &fake).await })
    };
    settle().await;
    // The newer fetch lands first; the older, overtaken one after it must not replace it.
    fake.release(1);
    assert_eq!(late.await.unwrap().0, vec!["new"]);
    fake.release(0);
    assert_eq!(early.await.unwrap().0, vec!["old"]);
    let stored = c.peek(&"k").unwrap();
    assert_eq!(stored.value, vec!["new"]);
    assert!(!stored.is_invalidated());
}

#[tokio::test(start_paused = true)]
async fn invalidate_where_reaches_stored_and_in_flight_keys() {
    let c: FlightCache<&'static str, Vec<String>> = cache();
    let fake = Fake::new(&["x"]);
    c.get(&"a1", TTL, fake.fetch()).await.unwrap();
    fake.hold();
    let pending = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { c.get(&"a2", TTL, fake.fetch()).await })
    };
    settle().await;
    let other = Fake::new(&["y"]);
    c.get(&"b1", TTL, other.fetch()).await.unwrap();
    assert_eq!(c.invalidate_where(|k| k.starts_with('a')), 2);
    fake.open();
    pending.await.unwrap().unwrap();
    assert!(c.peek(&"a1").unwrap().is_invalidated());
    assert!(
        c.peek(&"a2").unwrap().is_invalidated(),
        "overtaken in the air"
    );
    assert!(!c.peek(&"b1").unwrap().is_invalidated());
}

// A transient cache (the feeds over the account mirror): single flight and the
// invalidation rule, nothing kept.

#[tokio::test(start_paused = true)]
async fn a_transient_cache_joins_concurrent_misses_and_keeps_nothing() {
    let (c, fake) = (FlightCache::transient(None), Fake::new(&["Virtanen"]));
    assert!(!c.keeps_values());
    fake.hold();
    let readers: Vec<_> = (0..10)
        .map(|_| {
            let (c, fake) = (c.clone(), fake.clone());
            tokio::spawn(async move { get(&c, &fake).await })
        })
        .collect();
    settle().await;
    fake.release(0);
    for r in readers {
        assert_eq!(r.await.unwrap().0, vec!["Virtanen"]);
    }
    assert_eq!(fake.calls(), 1, "one fetch for ten readers");
    assert!(c.peek(&"k").is_none(), "nothing kept");
    assert!(c.stored_where(|_, _| true).is_empty());
    fake.open();
    fake.set(&["Korhonen"]);
    assert_eq!(get(&c, &fake).await.0, vec!["Korhonen"], "read again");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn in_a_transient_cache_an_invalidation_during_a_fetch_wins_over_it() {
    let (c, fake) = (
        FlightCache::transient(None),
        Fake::new(&["Virtanen", "Korhonen"]),
    );
    fake.hold();
    let early = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { c.get(&"k", TTL, fake.fetch()).await.unwrap() })
    };
    settle().await;
    fake.set(&["Virtanen"]);
    assert!(
        c.invalidate(&"k", Some(without("Korhonen"))),
        "a fetch in the air is touched"
    );
    let late = {
        let (c, fake) = (c.clone(), fake.clone());
        tokio::spawn(async move { get(&c, &fake).await })
    };
    settle().await;
    assert_eq!(
        fake.calls(),
        2,
        "the late reader does not join the overtaken flight"
    );
    fake.release(0);
    let early = early.await.unwrap();
    assert_eq!(
        early.entry.value,
        vec!["Virtanen"],
        "the overtaken result is redacted"
    );
    assert!(early.entry.is_invalidated(), "and never counts as fresh");
    assert!(early.fresh_until <= tokio::time::Instant::now());
    fake.release(1);
    assert_eq!(late.await.unwrap().0, vec!["Virtanen"]);
    assert!(
        !c.invalidate(&"k", None),
        "nothing stored, nothing in the air"
    );
}

#[tokio::test(start_paused = true)]
async fn a_transient_cache_has_no_stale_value_to_serve() {
    let (c, fake) = (FlightCache::transient(None), Fake::new(&["Virtanen"]));
    get(&c, &fake).await;
    *fake.fail.lock().unwrap() = true;
    assert!(c.get(&"k", TTL, fake.fetch()).await.is_err());
}
