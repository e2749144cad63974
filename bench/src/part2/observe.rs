//! What the displays saw: when each change was made, when the first and the last of its
//! building's polling displays got a 200 containing it, when an SSE watcher was told; and
//! the displays' answers by status.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::world::PlannedChange;

/// One change as observed.
#[derive(Debug, Clone)]
struct Observed {
    building: i64,
    marker: Vec<u8>,
    made: Option<Instant>,
    first_seen: Option<Instant>,
    seen_by: usize,
    all_seen: Option<Instant>,
    sse_seen: Option<Instant>,
}

/// Shared by the displays, the SSE watchers and the change driver.
#[derive(Debug)]
pub struct Tracker {
    changes: Mutex<Vec<Observed>>,
    displays_per_building: usize,
}

/// Latencies from a change to its being seen.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// Changes made.
    pub made: usize,
    /// Change → the first display of the building with it.
    pub first: Vec<Duration>,
    /// Change → every display of the building with it.
    pub all: Vec<Duration>,
    /// Changes made early enough for every display to poll after them before the end.
    pub due: usize,
    /// Of those, the ones every display of the building saw.
    pub due_seen: usize,
    /// Changes on watched buildings.
    pub sse_made: usize,
    /// Change → the SSE event after which the feed had it.
    pub sse: Vec<Duration>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

impl Tracker {
    /// A tracker of `changes`.
    pub fn new(changes: &[PlannedChange], displays_per_building: usize) -> Self {
        Self {
            changes: Mutex::new(
                changes
                    .iter()
                    .map(|c| Observed {
                        building: c.building,
                        marker: c.marker.as_bytes().to_vec(),
                        made: None,
                        first_seen: None,
                        seen_by: 0,
                        all_seen: None,
                        sse_seen: None,
                    })
                    .collect(),
            ),
            displays_per_building,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Observed>> {
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of changes tracked.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Change `index` is being made now (stamped before the admin call is sent).
    pub fn made(&self, index: usize) {
        if let Some(c) = self.lock().get_mut(index) {
            c.made = Some(Instant::now());
        }
    }

    /// A display of `building` got `body` at `at`; `seen` is that display's own record.
    pub fn display_saw(&self, building: i64, body: &[u8], at: Instant, seen: &mut [bool]) {
        let mut changes = self.lock();
        for (i, c) in changes.iter_mut().enumerate() {
            if c.building != building || c.made.is_none() || seen.get(i).copied().unwrap_or(true) {
                continue;
            }
            if contains(body, &c.marker) {
                if let Some(s) = seen.get_mut(i) {
                    *s = true;
                }
                c.first_seen.get_or_insert(at);
                c.seen_by += 1;
                if c.seen_by == self.displays_per_building {
                    c.all_seen = Some(at);
                }
            }
        }
    }

    /// An SSE watcher of `building` got an event at `at`, after which the feed was `body`.
    pub fn event_saw(&self, building: i64, body: &[u8], at: Instant) {
        for c in self.lock().iter_mut() {
            if c.building == building
                && c.made.is_some()
                && c.sse_seen.is_none()
                && contains(body, &c.marker)
            {
                c.sse_seen = Some(at);
            }
        }
    }

    /// The latencies (for changes on `sse_buildings` for the SSE figure); changes made by
    /// `due_by` count as due to be seen by every display.
    pub fn visibility(&self, sse_buildings: &[i64], due_by: Instant) -> Visibility {
        let mut v = Visibility::default();
        for c in self.lock().iter() {
            let Some(made) = c.made else { continue };
            v.made += 1;
            if made <= due_by {
                v.due += 1;
                v.due_seen += usize::from(c.all_seen.is_some());
            }
            let since = |t: Option<Instant>| t.map(|t| t.saturating_duration_since(made));
            v.first.extend(since(c.first_seen));
            v.all.extend(since(c.all_seen));
            if sse_buildings.contains(&c.building) {
                v.sse_made += 1;
                v.sse.extend(since(c.sse_seen));
            }
        }
        v
    }
}

/// The displays' requests.
#[derive(Debug, Default)]
pub struct Answers {
    inner: Mutex<AnswersInner>,
}

#[derive(Debug, Default, Clone)]
struct AnswersInner {
    /// (in the counted window?, status) → count.
    statuses: BTreeMap<(bool, u16), u64>,
    /// (in the window?) → transport errors.
    errors: BTreeMap<bool, u64>,
    latencies: Vec<Duration>,
    first_error: Option<String>,
}

/// A copy of the counts.
#[derive(Debug, Clone)]
pub struct AnswerCounts {
    /// Status → count, in the window.
    pub window: BTreeMap<u16, u64>,
    /// Status → count, after the window.
    pub grace: BTreeMap<u16, u64>,
    /// Transport errors (window + after).
    pub errors: u64,
    /// The first transport error.
    pub first_error: Option<String>,
    /// Response times in the window.
    pub latencies: Vec<Duration>,
}

impl Answers {
    fn lock(&self) -> std::sync::MutexGuard<'_, AnswersInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A response.
    pub fn status(&self, in_window: bool, status: u16, took: Duration) {
        let mut a = self.lock();
        *a.statuses.entry((in_window, status)).or_default() += 1;
        if in_window {
            a.latencies.push(took);
        }
    }

    /// A transport error.
    pub fn error(&self, in_window: bool, error: String) {
        let mut a = self.lock();
        *a.errors.entry(in_window).or_default() += 1;
        a.first_error.get_or_insert(error);
    }

    /// The counts so far.
    pub fn counts(&self) -> AnswerCounts {
        let a = self.lock().clone();
        let pick = |w: bool| {
            a.statuses
                .iter()
                .filter(|((in_window, _), _)| *in_window == w)
                .map(|((_, s), n)| (*s, *n))
                .collect()
        };
        AnswerCounts {
            window: pick(true),
            grace: pick(false),
            errors: a.errors.values().sum(),
            first_error: a.first_error,
            latencies: a.latencies,
        }
    }
}
