//! What the clients saw: answers by client kind and status, and for changes that show on a
//! display, when they were made and when an SSE-connected display of their building was
//! told and had them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Changes that show on a display, and when SSE watchers had them.
#[derive(Debug, Default)]
pub struct Tracker {
    changes: Mutex<Vec<Observed>>,
    watched: Vec<i64>,
}

#[derive(Debug, Clone)]
struct Observed {
    building: i64,
    marker: Vec<u8>,
    made: Instant,
    seen: Option<Instant>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Latencies from a change to an SSE watcher having it.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Changes made on watched buildings.
    pub made: usize,
    /// Change → the event after which the feed had it.
    pub latencies: Vec<Duration>,
}

impl Tracker {
    /// A tracker of changes on `watched` buildings.
    pub fn new(watched: Vec<i64>) -> Self {
        Self {
            changes: Mutex::default(),
            watched,
        }
    }

    /// A change showing `marker` on `building` is being made now.
    pub fn made(&self, building: i64, marker: &str) {
        if self.watched.contains(&building) {
            lock(&self.changes).push(Observed {
                building,
                marker: marker.as_bytes().to_vec(),
                made: Instant::now(),
                seen: None,
            });
        }
    }

    /// An SSE watcher of `building` got an event at `at`, after which the feed was `body`.
    pub fn event_saw(&self, building: i64, body: &[u8], at: Instant) {
        for c in lock(&self.changes).iter_mut() {
            if c.building == building && c.seen.is_none() && contains(body, &c.marker) {
                c.seen = Some(at);
            }
        }
    }

    /// What was seen.
    pub fn seen(&self) -> Seen {
        let changes = lock(&self.changes);
        Seen {
            made: changes.len(),
            latencies: changes
                .iter()
                .filter_map(|c| c.seen.map(|s| s.saturating_duration_since(c.made)))
                .collect(),
        }
    }
}

/// Answers by client kind (`display`, `portal`, `partner`, `filing`, ...).
#[derive(Debug, Default)]
pub struct Answers {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default, Clone)]
struct Inner {
    statuses: BTreeMap<(&'static str, u16), u64>,
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    errors: BTreeMap<&'static str, u64>,
    first_error: Option<String>,
}

/// A copy of the answers of one kind.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Status → answers.
    pub statuses: BTreeMap<u16, u64>,
    /// Response times.
    pub latencies: Vec<Duration>,
    /// Transport errors.
    pub errors: u64,
}

impl Counts {
    /// Answers that are not 2xx or 304.
    pub fn bad(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !((200..300).contains(*s) || **s == 304))
            .map(|(_, n)| n)
            .sum()
    }

    /// `200 × 1,234, 304 × 5,678`.
    pub fn line(&self) -> String {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s} × {}", crate::report::thousands(*n)))
            .collect();
        if self.errors > 0 {
            parts.push(format!("transport errors × {}", self.errors));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

impl Answers {
    /// An answer to a client of `kind`.
    pub fn status(&self, kind: &'static str, status: u16, took: Duration) {
        let mut a = lock(&self.inner);
        *a.statuses.entry((kind, status)).or_default() += 1;
        a.latencies.entry(kind).or_default().push(took);
    }

    /// A transport error.
    pub fn error(&self, kind: &'static str, error: String) {
        let mut a = lock(&self.inner);
        *a.errors.entry(kind).or_default() += 1;
        a.first_error.get_or_insert(format!("{kind}: {error}"));
    }

    /// The answers to clients of `kind`.
    pub fn counts(&self, kind: &str) -> Counts {
        let a = lock(&self.inner);
        Counts {
            statuses: a
                .statuses
                .iter()
                .filter(|((k, _), _)| *k == kind)
                .map(|((_, s), n)| (*s, *n))
                .collect(),
            latencies: a.latencies.get(kind).cloned().unwrap_or_default(),
            errors: a.errors.get(kind).copied().unwrap_or(0),
        }
    }

    /// Every kind seen.
    pub fn kinds(&self) -> Vec<&'static str> {
        let a = lock(&self.inner);
        let mut kinds: Vec<&'static str> = a
            .statuses
            .keys()
            .map(|(k, _)| *k)
            .chain(a.errors.keys().copied())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }

    /// The first transport error.
    pub fn first_error(&self) -> Option<String> {
        lock(&self.inner).first_error.clone()
    }
}
