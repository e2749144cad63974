//! The load beside the changes: displays polling with `If-None-Match`, displays on
//! Server-Sent Events, partners reading their work orders. Each a task that ends at a
//! given instant; none of them should cost a Tampuuri call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rand::Rng as _;
use reqwest::header::{ACCEPT, ETAG, IF_NONE_MATCH};

use super::fleet::Fleet;
use super::month::Driver;
use super::observe::{Answers, Tracker};
use crate::stack::{self, Gateway};

/// The running load; [`Load::finish`] waits for it (it stops at its end instant).
pub struct Load {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    watchers: Vec<tokio::task::JoinHandle<anyhow::Result<u64>>>,
    /// The displays' answers.
    pub answers: Arc<Answers>,
    /// Buildings watched over SSE.
    pub watched: Vec<i64>,
}

/// What the load saw.
#[derive(Debug, Default)]
pub struct LoadOutcome {
    /// SSE feed events received.
    pub events: u64,
    /// SSE watchers that failed, with the first reason.
    pub failed_watchers: Vec<String>,
}

impl Load {
    /// Starts `displays` displays over the fleet's buildings (two a building, in order),
    /// the first `sse` of them on Server-Sent Events, the rest polling every `every` at a
    /// random phase; all stop at `end`.
    pub async fn start(
        gateway: &Gateway,
        fleet: &Fleet,
        displays: usize,
        sse: usize,
        every: Duration,
        end: Instant,
        tracker: Option<Arc<Tracker>>,
    ) -> anyhow::Result<Self> {
        let answers = Arc::new(Answers::default());
        let http = stack::client(Duration::from_secs(10), displays + 64)?;
        let sse_http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let url: Arc<str> = Arc::from(gateway.feed_url());
        let per_building = displays.div_ceil(fleet.buildings.len().max(1)).max(1);
        let mut tasks = Vec::new();
        let mut watchers = Vec::new();
        let mut watched = Vec::new();
        let mut connected = Vec::new();
        let mut rng = rand::rng();
        for d in 0..displays {
            let building = fleet.buildings[(d / per_building) % fleet.buildings.len()];
            let token = gateway.display_token(building, &format!("bench-display-{d}"))?;
            // SSE on the first display of the first `sse` buildings.
            if d % per_building == 0 && watched.len() < sse {
                watched.push(building);
                let (tx, rx) = tokio::sync::oneshot::channel();
                watchers.push(tokio::spawn(watch_events(
                    sse_http.clone(),
                    http.clone(),
                    gateway.url.clone(),
                    token,
                    building,
                    end,
                    tracker.clone(),
                    tx,
                )));
                connected.push(rx);
                continue;
            }
            let phase = every.mul_f64(rng.random_range(0.0..1.0));
            tasks.push(tokio::spawn(poll(
                http.clone(),
                url.clone(),
                token,
                every,
                Instant::now() + phase,
                end,
                answers.clone(),
            )));
        }
        for rx in connected {
            tokio::time::timeout(Duration::from_secs(10), rx)
                .await
                .context("an SSE display did not connect within 10 s")?
                .context("an SSE display failed to connect")?;
        }
        Ok(Self {
            tasks,
            watchers,
            answers,
            watched,
        })
    }

    /// The driver's partners reading their open work orders every `every` until `end`
    /// (as a partner's system does on a schedule); new ones join what the bench may move on.
    pub fn partners(&mut self, driver: &Driver<'_>, every: Duration, end: Instant) {
        for (p, &assignee) in driver.fleet.partners.iter().enumerate() {
            let http = driver.env.http.clone();
            let base = driver.gateway.url.clone();
            let token = driver.partners.get(p).cloned().unwrap_or_default();
            let book = driver.book.clone();
            let answers = driver.answers.clone();
            self.tasks.push(tokio::spawn(async move {
                let mut next = Instant::now();
                while next < end {
                    tokio::time::sleep_until(next.into()).await;
                    let sent = Instant::now();
                    match http
                        .get(format!("{base}/api/v1/work-orders?state=open&limit=100"))
                        .bearer_auth(&token)
                        .send()
                        .await
                    {
                        Ok(r) => {
                            answers.status("partner", r.status().as_u16(), sent.elapsed());
                            if let Ok(page) = r.json::<serde_json::Value>().await {
                                for item in page
                                    .get("items")
                                    .and_then(serde_json::Value::as_array)
                                    .into_iter()
                                    .flatten()
                                {
                                    if let Some(id) =
                                        item.get("id").and_then(serde_json::Value::as_i64)
                                    {
                                        book.saw(id, assignee);
                                    }
                                }
                            }
                        }
                        Err(e) => answers.error("partner", e.to_string()),
                    }
                    next += every;
                }
            }));
        }
    }

    /// Stops every task now.
    pub fn abort(self) {
        for t in &self.tasks {
            t.abort();
        }
        for w in &self.watchers {
            w.abort();
        }
    }

    /// Waits for every task (they end at their end instant).
    pub async fn finish(self) -> LoadOutcome {
        let mut out = LoadOutcome::default();
        for t in self.tasks {
            let _ = t.await;
        }
        for w in self.watchers {
            match w.await {
                Ok(Ok(n)) => out.events += n,
                Ok(Err(e)) => out.failed_watchers.push(format!("{e:#}")),
                Err(e) => out.failed_watchers.push(e.to_string()),
            }
        }
        out
    }
}

/// Polls the feed with `If-None-Match` every `every` from `first` until `end`.
async fn poll(
    http: reqwest::Client,
    url: Arc<str>,
    token: String,
    every: Duration,
    first: Instant,
    end: Instant,
    answers: Arc<Answers>,
) {
    let mut etag = String::new();
    let mut next = first;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        let sent = Instant::now();
        let mut request = http.get(&*url).bearer_auth(&token);
        if !etag.is_empty() {
            request = request.header(IF_NONE_MATCH, &etag);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                if let Some(e) = response.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
                    etag = e.to_owned();
                }
                match response.bytes().await {
                    Ok(_) => answers.status("display", status, sent.elapsed()),
                    Err(e) => answers.error("display", format!("reading the feed: {e}")),
                }
            }
            Err(e) => answers.error("display", e.to_string()),
        }
        next += every;
    }
}

/// Watches `GET /api/v1/display/events` of one building until `end`; after each `feed`
/// event it fetches the feed and tells the tracker. Returns the number of events.
#[allow(clippy::too_many_arguments)]
async fn watch_events(
    sse_http: reqwest::Client,
    http: reqwest::Client,
    base: String,
    token: String,
    building: i64,
    end: Instant,
    tracker: Option<Arc<Tracker>>,
    connected: tokio::sync::oneshot::Sender<()>,
) -> anyhow::Result<u64> {
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
            if !is_feed {
                continue;
            }
            let at = Instant::now();
            events += 1;
            let body = http
                .get(format!("{base}/api/v1/display/feed"))
                .bearer_auth(&token)
                .send()
                .await
                .context("fetching the feed after an event")?
                .bytes()
                .await?;
            if let Some(t) = &tracker {
                t.event_saw(building, &body, at);
            }
        }
    }
    Ok(events)
}
