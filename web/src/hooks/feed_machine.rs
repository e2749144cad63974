//! How a display keeps its feed current, as a pure state machine: [`FeedMachine::handle`]
//! takes what happened ([`Input`]) and the time, and answers what to do ([`Command`]).
//! [`super::use_feed`] wires it to the browser (EventSource, fetch, timers, storage); the
//! tests here drive it by hand.
//!
//! - **Live**: the SSE stream (opened once the gateway has answered a first fetch) announces
//!   each new ETag; a fetch with `If-None-Match` follows unless the display already has that
//!   version. Announcements during a fetch are coalesced into one more fetch.
//! - **Liveness and polling fallback**: a conditional fetch (a `304` when nothing changed)
//!   every 7 s, with or without the stream, each given 5 s to answer: a stream can look open
//!   while the gateway no longer answers (a half-open connection, a hung process), and the
//!   screen must say it is offline within 15 s. Every 5 s while the gateway is unreachable
//!   (so the display recovers by itself within seconds). A stream the browser gave up on is
//!   reopened after 5 s.
//! - **Offline**: the last feed stays; [`FeedView::offline_since`] is when the failures
//!   began (or the feed's `data_as_of` when the gateway itself serves stale data).
//! - **Not enrolled**: 401/403 drops the feed (a revoked display must stop showing names)
//!   and checks again only once a minute; [`Input::Restart`] (the screen was just paired)
//!   fetches at once.

use std::rc::Rc;

use rappu_shared::display::DisplayFeed;

use crate::api::{ApiError, FeedFetch};

/// Milliseconds since the epoch (`Date.now()`).
pub type Millis = f64;

/// Poll interval while the stream is open: the liveness check.
pub const POLL_WITH_STREAM: Millis = 7_000.0;
/// Poll interval while the stream is not open.
pub const POLL_WITHOUT_STREAM: Millis = 7_000.0;
/// Poll interval while the gateway cannot be reached.
pub const POLL_WHILE_FAILING: Millis = 5_000.0;
/// Poll interval while the display is not enrolled (or its building is gone).
pub const POLL_WHILE_BLOCKED: Millis = 60_000.0;
/// Wait before reopening a stream the browser closed for good.
pub const STREAM_RETRY: Millis = 5_000.0;
/// A stream error triggers a fetch (to learn at once whether the gateway is gone) unless
/// one ran this recently.
const ERROR_FETCH_GAP: Millis = 2_000.0;

/// The live-update stream's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Opening, or the browser is reconnecting by itself.
    Connecting,
    /// Receiving events.
    Open,
    /// The browser gave up (e.g. an HTTP error): the machine reopens it.
    Closed,
}

/// Why the display shows no feed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// No valid display session (never enrolled, expired or revoked).
    NotEnrolled,
    /// The display's building is not in Tampuuri.
    NoBuilding,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The page started.
    Started,
    /// A second passed.
    Tick,
    /// The stream is open.
    StreamOpened,
    /// The stream failed; `closed` when the browser will not retry by itself.
    StreamFailed {
        /// `EventSource.readyState == CLOSED`.
        closed: bool,
    },
    /// The stream announced a version.
    Announced {
        /// Its ETag, with quotes.
        etag: String,
    },
    /// A fetch finished.
    Fetched(Result<FeedFetch, ApiError>),
    /// The display just got a session (paired): look again now.
    Restart,
}

/// Something to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `GET /api/v1/display/feed`, conditional when an ETag is given.
    Fetch {
        /// `If-None-Match`.
        if_none_match: Option<String>,
    },
    /// Close any stream and open a new one.
    OpenStream,
    /// Close the stream.
    CloseStream,
    /// Keep this version for a reload while offline.
    Store,
    /// Forget the kept version (the display lost its session).
    ForgetStored,
}

/// What the page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedView {
    /// The newest feed the display has.
    pub feed: Option<Rc<DisplayFeed>>,
    /// When the display lost touch (or the gateway's data went stale).
    pub offline_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Why there is no feed, when that is known.
    pub blocked: Option<Blocked>,
}

/// The display's connection state.
#[derive(Debug, Clone, Default)]
pub struct FeedMachine {
    feed: Option<Rc<DisplayFeed>>,
    etag: Option<String>,
    in_flight: bool,
    /// A version was announced during a fetch: fetch again when it ends.
    again: bool,
    last_fetch: Option<Millis>,
    stream: Option<Stream>,
    stream_closed_at: Option<Millis>,
    failing_since: Option<Millis>,
    blocked: Option<Blocked>,
}

impl FeedMachine {
    /// A machine starting from a kept version (shown at once, then revalidated).
    pub fn new(kept: Option<(DisplayFeed, Option<String>)>) -> Self {
        let (feed, etag) = match kept {
            Some((feed, etag)) => (Some(Rc::new(feed)), etag),
            None => (None, None),
        };
        Self {
            feed,
            etag,
            ..Self::default()
        }
    }

    /// The feed and its ETag, for keeping.
    pub fn current(&self) -> Option<(&DisplayFeed, Option<&str>)> {
        self.feed.as_deref().map(|f| (f, self.etag.as_deref()))
    }

    /// What the page shows now.
    pub fn view(&self) -> FeedView {
        let offline_since = match (self.failing_since, &self.feed) {
            (Some(since), _) => Some(crate::i18n::utc_from_millis(since)),
            (None, Some(feed)) if feed.stale => Some(feed.data_as_of),
            _ => None,
        };
        FeedView {
            feed: self.feed.clone(),
            offline_since,
            blocked: self.blocked,
        }
    }

    /// Whether the stream is open (for tests and diagnostics).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn stream(&self) -> Option<Stream> {
        self.stream
    }

    fn poll_interval(&self) -> Millis {
        if self.blocked.is_some() {
            POLL_WHILE_BLOCKED
        } else if self.failing_since.is_some() {
            POLL_WHILE_FAILING
        } else if self.stream == Some(Stream::Open) {
            POLL_WITH_STREAM
        } else {
            POLL_WITHOUT_STREAM
        }
    }

    /// A fetch now, or after the one in flight.
    fn fetch(&mut self, now: Millis, out: &mut Vec<Command>) {
        if self.in_flight {
            self.again = true;
            return;
        }
        self.in_flight = true;
        self.last_fetch = Some(now);
        out.push(Command::Fetch {
            if_none_match: self.etag.clone(),
        });
    }

    fn open_stream(&mut self, out: &mut Vec<Command>) {
        self.stream = Some(Stream::Connecting);
        self.stream_closed_at = None;
        out.push(Command::OpenStream);
    }

    /// Feeds one input in; returns what to do.
    pub fn handle(&mut self, input: Input, now: Millis) -> Vec<Command> {
        let mut out = Vec::new();
        match input {
            // The stream opens after the first answer: a display without a session (or
            // a gateway that is down) has nothing to listen to yet.
            Input::Started => self.fetch(now, &mut out),
            Input::Restart => {
                self.blocked = None;
                self.fetch(now, &mut out);
            }
            Input::Tick => {
                let due = self
                    .last_fetch
                    .is_none_or(|last| now - last >= self.poll_interval());
                if due && !self.in_flight {
                    self.fetch(now, &mut out);
                }
                let reopen = self.blocked.is_none()
                    && self.stream == Some(Stream::Closed)
                    && self
                        .stream_closed_at
                        .is_some_and(|at| now - at >= STREAM_RETRY);
                if reopen {
                    self.open_stream(&mut out);
                }
            }
            Input::StreamOpened => {
                self.stream = Some(Stream::Open);
                // Back from an outage (or never loaded): do not wait for the next poll.
                if self.failing_since.is_some() || self.feed.is_none() {
                    self.fetch(now, &mut out);
                }
            }
            Input::StreamFailed { closed } => {
                if closed {
                    self.stream = Some(Stream::Closed);
                    self.stream_closed_at = Some(now);
                } else {
                    self.stream = Some(Stream::Connecting);
                }
                let recent = self
                    .last_fetch
                    .is_some_and(|last| now - last < ERROR_FETCH_GAP);
                if !recent {
                    self.fetch(now, &mut out);
                }
            }
            Input::Announced { etag } => {
                if self.etag.as_deref() != Some(etag.as_str()) || self.failing_since.is_some() {
                    self.fetch(now, &mut out);
                }
            }
            Input::Fetched(result) => {
                self.in_flight = false;
                self.last_fetch = Some(now);
                let answered = result.is_ok();
                self.fetched(result, now, &mut out);
                if answered && self.stream.is_none() {
                    self.open_stream(&mut out);
                }
                if self.again {
                    self.again = false;
                    if self.blocked.is_none() {
                        self.fetch(now, &mut out);
                    }
                }
            }
        }
        out
    }

    fn fetched(
        &mut self,
        result: Result<FeedFetch, ApiError>,
        now: Millis,
        out: &mut Vec<Command>,
    ) {
        match result {
            Ok(FeedFetch::Modified { feed, etag }) => {
                self.feed = Some(Rc::new(*feed));
                self.etag = etag;
                self.failing_since = None;
                self.blocked = None;
                out.push(Command::Store);
            }
            Ok(FeedFetch::NotModified) => {
                self.failing_since = None;
                self.blocked = None;
            }
            Err(ApiError::Unauthorized | ApiError::Forbidden) => {
                self.lose_feed(Blocked::NotEnrolled, out);
            }
            Err(ApiError::NotFound) => self.lose_feed(Blocked::NoBuilding, out),
            Err(_) => {
                self.failing_since.get_or_insert(now);
            }
        }
    }

    fn lose_feed(&mut self, why: Blocked, out: &mut Vec<Command>) {
        self.feed = None;
        self.etag = None;
        self.failing_since = None;
        self.blocked = Some(why);
        out.push(Command::ForgetStored);
        if self.stream.take().is_some() {
            out.push(Command::CloseStream);
        }
    }
}

#[cfg(test)]
#[path = "feed_machine_tests.rs"]
mod tests;
