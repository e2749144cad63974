//! The actors of part 2: polling displays, SSE watchers and the change driver, each a tokio
//! task bounded in time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use reqwest::header::{ACCEPT, ETAG, IF_NONE_MATCH};
use serde_json::json;

use super::observe::{Answers, Tracker};
use super::world::{ChangeKind, PlannedChange};
use crate::stack::{ACCOUNT, Env, Sim};

/// When the load runs.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The displays' time zero.
    pub start: Instant,
    /// Start of the counted window (changes start here).
    pub window_start: Instant,
    /// End of the counted window.
    pub window_end: Instant,
    /// When everyone stops.
    pub end: Instant,
}

/// One simulated display.
#[derive(Debug, Clone)]
pub struct Display {
    /// Its bearer token.
    pub token: String,
    /// Its building.
    pub building: i64,
    /// The ETag it starts with (it has been running: it has the current feed).
    pub etag: String,
    /// When in the poll period it polls.
    pub phase: Duration,
}

/// Polls `GET /api/v1/display/feed` with `If-None-Match` every `every` until `clock.end`.
pub async fn poll(
    http: reqwest::Client,
    url: Arc<str>,
    display: Display,
    every: Duration,
    clock: Clock,
    tracker: Arc<Tracker>,
    answers: Arc<Answers>,
) {
    let mut etag = display.etag;
    let mut seen = vec![false; tracker.len()];
    let mut next = clock.start + display.phase;
    while next < clock.end {
        tokio::time::sleep_until(next.into()).await;
        let sent = Instant::now();
        let in_window = sent >= clock.window_start && sent < clock.window_end;
        let result = http
            .get(&*url)
            .bearer_auth(&display.token)
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await;
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let new_etag = response
                    .headers()
                    .get(ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                match response.bytes().await {
                    Ok(body) => {
                        let at = Instant::now();
                        answers.status(in_window, status, at - sent);
                        if status == 200 {
                            tracker.display_saw(display.building, &body, at, &mut seen);
                            if let Some(e) = new_etag {
                                etag = e;
                            }
                        }
                    }
                    Err(e) => answers.error(in_window, format!("reading the feed: {e}")),
                }
            }
            Err(e) => answers.error(in_window, format!("{e}")),
        }
        next += every;
    }
}

/// One SSE watcher.
#[derive(Debug, Clone)]
pub struct Watcher {
    /// A client without a total timeout (the stream stays open).
    pub sse_http: reqwest::Client,
    /// A client for the feed fetched after each event.
    pub http: reqwest::Client,
    /// The gateway's base URL.
    pub base: String,
    /// The watcher's display token.
    pub token: String,
    /// Its building.
    pub building: i64,
    /// Events count from `clock.window_start`; the watcher stops at `clock.end`.
    pub clock: Clock,
    /// Where it reports.
    pub tracker: Arc<Tracker>,
}

/// Watches `GET /api/v1/display/events` of one building until `end`; after each `feed`
/// event it fetches the feed and tells the tracker which changes it now shows. Returns the
/// number of events after `start`.
pub async fn watch_events(
    w: Watcher,
    connected: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<u64> {
    let Watcher {
        sse_http,
        http,
        base,
        token,
        building,
        clock,
        tracker,
    } = w;
    let (start, end) = (clock.window_start, clock.end);
    let mut response = sse_http
        .get(format!("{base}/api/v1/display/events"))
        .bearer_auth(&token)
        .header(ACCEPT, "text/event-stream")
        .send()
        .await
        .context("opening the event stream")?;
    if response.status() != 200 {
        bail!("the event stream answered {}", response.status());
    }
    let _ = connected.send(());
    let mut buffer = String::new();
    let mut events = 0;
    loop {
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk.context("reading the event stream")?,
            () = tokio::time::sleep_until(end.into()) => break,
        };
        let Some(chunk) = chunk else {
            bail!("the gateway closed the event stream");
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(pos) = buffer.find("\n\n") {
            let block: String = buffer.drain(..pos + 2).collect();
            let is_feed = block
                .lines()
                .any(|l| l.trim_end() == "event: feed" || l.trim_end() == "event:feed");
            let at = Instant::now();
            if !is_feed || at < start {
                continue;
            }
            events += 1;
            let body = http
                .get(format!("{base}/api/v1/display/feed"))
                .bearer_auth(&token)
                .send()
                .await
                .context("fetching the feed after an event")?
                .bytes()
                .await?;
            tracker.event_saw(building, &body, at);
        }
    }
    Ok(events)
}

/// Makes the planned changes in the simulator, one every `every` (the first half a period
/// into the window), none after the window.
pub async fn drive_changes(
    env: &Env,
    sim: &Sim,
    changes: &[PlannedChange],
    every: Duration,
    clock: Clock,
    tracker: &Tracker,
) -> anyhow::Result<usize> {
    let mut made = 0;
    for (k, change) in changes.iter().enumerate() {
        let at = clock.window_start + every / 2 + every * u32::try_from(k).unwrap_or(u32::MAX);
        if at >= clock.window_end {
            break;
        }
        tokio::time::sleep_until(at.into()).await;
        tracker.made(k);
        match change.kind {
            ChangeKind::Rename { party } => {
                sim.admin(
                    env,
                    reqwest::Method::PATCH,
                    &format!("accounts/{ACCOUNT}/parties/{party}"),
                    Some(json!({ "Sukunimi": change.marker })),
                )
                .await?;
            }
            ChangeKind::Announce => {
                sim.admin(
                    env,
                    reqwest::Method::POST,
                    &format!("accounts/{ACCOUNT}/announcements"),
                    Some(json!({
                        "KohdeId": change.building,
                        "Otsikko": change.marker,
                        "Sisalto": "Rappu-benchmarkin tiedote: näkyykö tämä näytöllä?",
                    })),
                )
                .await?;
            }
        }
        made += 1;
    }
    Ok(made)
}
