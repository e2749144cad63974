use rappu_shared::display::{FeedBuilding, FeedContacts};
use rappu_shared::property::Address;

use super::*;

fn feed(name: &str, stale: bool) -> DisplayFeed {
    let at = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    DisplayFeed {
        building: FeedBuilding {
            id: 1,
            property_name: name.into(),
            name: "Rakennus 1".into(),
            address: Address::default(),
        },
        staircases: vec![],
        announcements: vec![],
        contacts: FeedContacts::default(),
        ongoing_work: vec![],
        generated_at: at,
        data_as_of: at,
        stale,
    }
}

fn modified(name: &str, etag: &str) -> Input {
    Input::Fetched(Ok(FeedFetch::Modified {
        feed: Box::new(feed(name, false)),
        etag: Some(etag.into()),
    }))
}

fn fetch(etag: Option<&str>) -> Command {
    Command::Fetch {
        if_none_match: etag.map(str::to_owned),
    }
}

/// A machine that has loaded version "1" with its stream open, at t = 1000.
fn running() -> FeedMachine {
    let mut m = FeedMachine::new(None);
    assert_eq!(m.handle(Input::Started, 0.0), [fetch(None)]);
    assert_eq!(
        m.handle(modified("A", "\"1\""), 500.0),
        [Command::Store, Command::OpenStream]
    );
    assert_eq!(m.handle(Input::StreamOpened, 1000.0), []);
    m
}

#[test]
fn an_announced_version_is_fetched_once_with_if_none_match() {
    let mut m = running();
    assert_eq!(
        m.handle(
            Input::Announced {
                etag: "\"1\"".into()
            },
            2000.0
        ),
        [],
        "the display has this version"
    );
    assert_eq!(
        m.handle(
            Input::Announced {
                etag: "\"2\"".into()
            },
            3000.0
        ),
        [fetch(Some("\"1\""))]
    );
    // Two more announcements while the fetch runs: one more fetch when it ends.
    assert_eq!(
        m.handle(
            Input::Announced {
                etag: "\"3\"".into()
            },
            3100.0
        ),
        []
    );
    assert_eq!(
        m.handle(
            Input::Announced {
                etag: "\"4\"".into()
            },
            3200.0
        ),
        []
    );
    assert_eq!(
        m.handle(modified("B", "\"3\""), 3300.0),
        [Command::Store, fetch(Some("\"3\""))]
    );
    assert_eq!(m.handle(modified("C", "\"4\""), 3400.0), [Command::Store]);
    let view = m.view();
    assert_eq!(
        view.feed.map(|f| f.building.property_name.clone()),
        Some("C".into())
    );
    assert_eq!(view.offline_since, None);
}

#[test]
fn polls_every_seven_seconds_with_or_without_a_stream() {
    let mut m = running();
    assert_eq!(m.handle(Input::Tick, 500.0 + POLL_WITH_STREAM - 1.0), []);
    assert_eq!(
        m.handle(Input::Tick, 500.0 + POLL_WITH_STREAM),
        [fetch(Some("\"1\""))]
    );
    let t = 500.0 + POLL_WITH_STREAM;
    assert_eq!(m.handle(Input::Fetched(Ok(FeedFetch::NotModified)), t), []);
    // The browser gives up on the stream: reopen after a pause, keep polling.
    assert_eq!(
        m.handle(Input::StreamFailed { closed: true }, t + 100.0),
        []
    );
    assert_eq!(m.stream(), Some(Stream::Closed));
    assert_eq!(
        m.handle(Input::Tick, t + 100.0 + STREAM_RETRY),
        [Command::OpenStream]
    );
    assert_eq!(
        m.handle(Input::Tick, t + POLL_WITHOUT_STREAM),
        [fetch(Some("\"1\""))]
    );
}

#[test]
fn offline_keeps_the_feed_marks_the_time_and_recovers_by_itself() {
    let mut m = running();
    // The gateway stops: the stream drops (the browser retries), a fetch confirms.
    assert_eq!(
        m.handle(Input::StreamFailed { closed: false }, 10_000.0),
        [fetch(Some("\"1\""))]
    );
    let down = Input::Fetched(Err(ApiError::Network("refused".into())));
    assert_eq!(m.handle(down.clone(), 10_050.0), []);
    let view = m.view();
    assert!(view.feed.is_some(), "the last feed stays");
    assert_eq!(
        view.offline_since,
        Some(crate::i18n::utc_from_millis(10_050.0))
    );
    // Retries every 5 s; the mark keeps its first time.
    assert_eq!(m.handle(Input::Tick, 12_000.0), []);
    assert_eq!(
        m.handle(Input::Tick, 10_050.0 + POLL_WHILE_FAILING),
        [fetch(Some("\"1\""))]
    );
    assert_eq!(m.handle(down, 15_100.0), []);
    assert_eq!(
        m.view().offline_since,
        Some(crate::i18n::utc_from_millis(10_050.0))
    );
    // The gateway is back: the reopened stream triggers a fetch at once.
    assert_eq!(
        m.handle(Input::StreamOpened, 16_000.0),
        [fetch(Some("\"1\""))]
    );
    assert_eq!(
        m.handle(Input::Fetched(Ok(FeedFetch::NotModified)), 16_010.0),
        []
    );
    assert_eq!(m.view().offline_since, None);
    assert!(m.view().feed.is_some());
}

#[test]
fn a_stale_feed_is_marked_from_its_data_time() {
    let mut m = FeedMachine::new(None);
    m.handle(Input::Started, 0.0);
    let stale = feed("A", true);
    let as_of = stale.data_as_of;
    m.handle(
        Input::Fetched(Ok(FeedFetch::Modified {
            feed: Box::new(stale),
            etag: None,
        })),
        10.0,
    );
    assert_eq!(m.view().offline_since, Some(as_of));
}

#[test]
fn a_lost_session_drops_the_feed_and_stops_the_stream() {
    let mut m = running();
    m.handle(
        Input::Announced {
            etag: "\"2\"".into(),
        },
        2000.0,
    );
    assert_eq!(
        m.handle(Input::Fetched(Err(ApiError::Unauthorized)), 2100.0),
        [Command::ForgetStored, Command::CloseStream]
    );
    let view = m.view();
    assert_eq!(view.feed, None);
    assert_eq!(view.blocked, Some(Blocked::NotEnrolled));
    assert_eq!(view.offline_since, None);
    // No stream comes back; a slow check remains.
    assert_eq!(m.handle(Input::Tick, 2200.0 + STREAM_RETRY), []);
    assert_eq!(
        m.handle(Input::Tick, 2100.0 + POLL_WHILE_BLOCKED),
        [fetch(None)]
    );
}

#[test]
fn a_kept_feed_shows_at_once_and_is_revalidated() {
    let mut m = FeedMachine::new(Some((feed("Kept", false), Some("\"9\"".into()))));
    assert!(m.view().feed.is_some());
    assert_eq!(m.handle(Input::Started, 0.0), [fetch(Some("\"9\""))]);
    assert_eq!(
        m.handle(Input::Fetched(Ok(FeedFetch::NotModified)), 50.0),
        [Command::OpenStream]
    );
}

#[test]
fn no_stream_without_a_session_or_while_the_gateway_is_down() {
    let mut m = FeedMachine::new(None);
    m.handle(Input::Started, 0.0);
    assert_eq!(
        m.handle(Input::Fetched(Err(ApiError::Unauthorized)), 10.0),
        [Command::ForgetStored]
    );
    let mut m = FeedMachine::new(None);
    m.handle(Input::Started, 0.0);
    assert_eq!(
        m.handle(Input::Fetched(Err(ApiError::Network("down".into()))), 10.0),
        []
    );
    assert_eq!(
        m.handle(Input::Tick, 10.0 + POLL_WHILE_FAILING),
        [fetch(None)]
    );
    assert_eq!(
        m.handle(modified("A", "\"1\""), 5100.0),
        [Command::Store, Command::OpenStream]
    );
}

#[test]
fn a_display_paired_while_blocked_fetches_at_once() {
    let mut m = FeedMachine::new(None);
    m.handle(Input::Started, 0.0);
    m.handle(Input::Fetched(Err(ApiError::Unauthorized)), 10.0);
    assert_eq!(m.view().blocked, Some(Blocked::NotEnrolled));
    assert_eq!(m.handle(Input::Restart, 500.0), [fetch(None)]);
    assert_eq!(m.view().blocked, None);
    assert_eq!(
        m.handle(modified("A", "\"1\""), 600.0),
        [Command::Store, Command::OpenStream]
    );
}
