//! Pieces the runs of part 2 share: the gateway's settings in compressed time, waiting for
//! the mirror to settle, a lost webhook, a restart, a day of Tampuuri outage.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use rappu_gateway::config::MirrorSettings;
use reqwest::Method;
use serde_json::{Value, json};

use super::calls;
use super::fleet::{Fleet, Resident};
use crate::report::{secs_ms, thousands};
use crate::stack::{ACCOUNT, Env, Gateway, Sim};

/// The account's pace, raised: a compressed month's sweeps must not wait for it (at the
/// default 20 calls a second an 81-page sweep takes 4 s, a sixth of a compressed day).
const PACE: &str = "1000";
/// The monthly budget, raised: a compressed month spends in minutes what a month spends,
/// so the budget's pace projection would speak of the compression, not of the fleet.
const BUDGET: &str = "1000000000";

/// The gateway's settings for cadences divided by `k` (`None`: the defaults, unscaled);
/// `news_like_people` gives announcements the people cadence (the outage run, so that a
/// catch-up is one read of each kind).
pub fn settings(
    k: Option<u64>,
    webhooks: Option<&str>,
    news_like_people: bool,
) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("RAPPU_TAMPUURI__CALLS_PER_SECOND", PACE.to_owned()),
        ("RAPPU_TAMPUURI__CALLS_BURST", PACE.to_owned()),
        ("RAPPU_USAGE__MONTHLY_BUDGET_CALLS", BUDGET.to_owned()),
    ];
    if let Some(secret) = webhooks {
        out.push(("RAPPU_WEBHOOKS__SECRET", secret.to_owned()));
    }
    if let Some(k) = k {
        let d = MirrorSettings::default();
        let scale = |secs: u64, min: u64| (secs as f64 / k as f64).round().max(min as f64) as u64;
        let reconcile = scale(d.reconcile_secs, 10);
        out.push(("RAPPU_MIRROR__RECONCILE_SECS", reconcile.to_string()));
        out.push(("RAPPU_MIRROR__POLL_SECS", scale(d.poll_secs, 1).to_string()));
        let news = if news_like_people {
            reconcile
        } else {
            scale(d.news_secs, 1)
        };
        out.push(("RAPPU_MIRROR__NEWS_SECS", news.to_string()));
        out.push((
            "RAPPU_MIRROR__REGISTRY_SECS",
            scale(d.registry_secs, 10).to_string(),
        ));
        out.push((
            "RAPPU_MIRROR__BATCH_MS",
            (d.batch_ms as f64 / k as f64).round().to_string(),
        ));
    }
    out
}

/// Prints the compressed cadences next to what they stand for.
pub fn print_cadences(k: u64, news_like_people: bool) {
    let d = MirrorSettings::default();
    let s = settings(Some(k), None, news_like_people);
    let get = |name: &str| {
        s.iter()
            .find(|(n, _)| *n == name)
            .map_or("-".to_owned(), |(_, v)| v.clone())
    };
    println!(
        "  time ×{k}: mirror.reconcile_secs {} (a day: {} s), poll_secs {} ({} s), news_secs {} ({} s{}), registry_secs {} ({} s), batch_ms {} ({} ms)",
        get("RAPPU_MIRROR__RECONCILE_SECS"),
        d.reconcile_secs,
        get("RAPPU_MIRROR__POLL_SECS"),
        d.poll_secs,
        get("RAPPU_MIRROR__NEWS_SECS"),
        d.news_secs,
        if news_like_people {
            ", here like people"
        } else {
            ""
        },
        get("RAPPU_MIRROR__REGISTRY_SECS"),
        d.registry_secs,
        get("RAPPU_MIRROR__BATCH_MS"),
        d.batch_ms
    );
}

/// The mirror's health from the admin view.
#[derive(Debug, Clone, Default)]
pub struct Health {
    /// Last reconciliation of each kind.
    pub synced_at: Vec<(String, DateTime<Utc>)>,
    /// Notifications not yet fetched.
    pub pending: u64,
    /// Tampuuri failing.
    pub failing: bool,
    /// Times the circuit opened.
    pub times_opened: u64,
}

impl Health {
    /// Reads it.
    pub async fn read(env: &Env, gateway: &Gateway) -> anyhow::Result<Self> {
        let view = gateway.upstream(env).await?;
        let mirror = &view["mirror"];
        let synced_at = mirror["synced_at"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        let at = DateTime::parse_from_rfc3339(v.as_str()?).ok()?;
                        Some((k.clone(), at.with_timezone(&Utc)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            synced_at,
            pending: mirror["pending"].as_u64().unwrap_or(0),
            failing: !mirror["failing_since"].is_null(),
            times_opened: view["circuit"]["times_opened"].as_u64().unwrap_or(0),
        })
    }

    /// Whether every kind of `kinds` reconciled after `after`.
    pub fn synced_after(&self, kinds: &[&str], after: DateTime<Utc>) -> bool {
        kinds.iter().all(|k| {
            self.synced_at
                .iter()
                .any(|(name, at)| name == k && *at > after)
        })
    }
}

/// Waits until `kinds` reconciled after `after`, nothing is pending, Tampuuri is not failing
/// and the simulator's count has not moved for `quiet`; returns how long it took.
pub async fn settle(
    env: &Env,
    sim: &Sim,
    gateway: &Gateway,
    kinds: &[&str],
    after: DateTime<Utc>,
    quiet: Duration,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut last = (u64::MAX, Instant::now());
    loop {
        let health = Health::read(env, gateway).await?;
        let total = sim.calls(env).await?.total;
        if total != last.0 {
            last = (total, Instant::now());
        }
        if health.synced_after(kinds, after)
            && health.pending == 0
            && !health.failing
            && last.1.elapsed() >= quiet
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            bail!(
                "the mirror did not settle within {} s (synced {:?}, pending {}, failing {})",
                limit.as_secs(),
                health.synced_at,
                health.pending,
                health.failing
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A display feed's body for `building`.
pub async fn feed(env: &Env, gateway: &Gateway, token: &str) -> anyhow::Result<(u16, String)> {
    let r = env
        .http
        .get(gateway.feed_url())
        .bearer_auth(token)
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.text().await?))
}

/// Polls the feed every 100 ms until `check` holds or `deadline`; when it held.
async fn until(
    env: &Env,
    gateway: &Gateway,
    token: &str,
    deadline: Instant,
    check: impl Fn(&str) -> bool,
) -> anyhow::Result<Option<Instant>> {
    while Instant::now() < deadline {
        let (status, body) = feed(env, gateway, token).await?;
        if status == 200 && check(&body) {
            return Ok(Some(Instant::now()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(None)
}

/// How long a lost notification stayed unrepaired.
#[derive(Debug, Clone)]
pub struct Lost {
    /// What was lost.
    pub what: &'static str,
    /// Real time until the display showed the change, if it did before the deadline.
    pub repaired: Option<Duration>,
}

/// Two changes whose notifications are lost (`?webhook=false`), and how long each takes
/// to reach the display: a resident who gets turvakielto (their name, renamed first to
/// something unique with its webhook, must disappear: the people sweep) and a new
/// announcement (the news sweep). Gives up at `deadline`.
pub async fn lost_webhooks(
    env: &Env,
    sim: &Sim,
    gateway: &Gateway,
    fleet: &Fleet,
    who: Resident,
    tag: &str,
    deadline: Instant,
) -> anyhow::Result<Vec<Lost>> {
    let token = gateway.display_token(who.building, "bench-lost")?;
    let marker = format!("Kadonnut{tag}");
    sim.admin(
        env,
        Method::PATCH,
        &format!("accounts/{ACCOUNT}/parties/{}", who.party),
        Some(json!({ "Sukunimi": marker })),
    )
    .await?;
    let m = marker.clone();
    if until(
        env,
        gateway,
        &token,
        Instant::now() + Duration::from_secs(10),
        move |b| b.contains(&m),
    )
    .await?
    .is_none()
    {
        bail!("a renamed resident did not reach the display within 10 s (webhook delivered)");
    }
    let other = fleet
        .buildings
        .iter()
        .copied()
        .find(|b| *b != who.building)
        .unwrap_or(who.building);
    let news_token = gateway.display_token(other, "bench-lost-news")?;
    let title = format!("Hiljainen tiedote {tag}");
    let made = Instant::now();
    sim.admin(
        env,
        Method::PATCH,
        &format!("accounts/{ACCOUNT}/parties/{}?webhook=false", who.party),
        Some(json!({ "Turvakielto": true })),
    )
    .await?;
    let news_made = Instant::now();
    sim.admin(
        env,
        Method::POST,
        &format!("accounts/{ACCOUNT}/announcements?webhook=false"),
        Some(json!({ "KohdeId": other, "Otsikko": title, "Sisalto": "Ilman webhookia." })),
    )
    .await?;
    let (name, news) = tokio::join!(
        until(env, gateway, &token, deadline, move |b| !b
            .contains(&marker)),
        until(env, gateway, &news_token, deadline, move |b| b
            .contains(&title)),
    );
    Ok(vec![
        Lost {
            what: "turvakielto (people sweep)",
            repaired: name?.map(|at| at - made),
        },
        Lost {
            what: "new announcement (news sweep)",
            repaired: news?.map(|at| at - news_made),
        },
    ])
}

/// What a restart cost.
#[derive(Debug, Clone)]
pub struct Restart {
    /// Calls until the start's reconciliation was done.
    pub calls: rappu_sim::CallCounts,
    /// From the start of the process to the first feed answered 200.
    pub first_feed: Duration,
    /// From the start to the reconciliation done.
    pub settled: Duration,
}

/// Stops `gateway` and starts it again with the same data directory (its `mirror.db`) and
/// the default, unscaled cadences (so nothing but the start's reconciliation runs), and
/// counts the calls until it is done.
pub async fn restart(
    env: &Env,
    sim: &Sim,
    gateway: Gateway,
    building: i64,
    secret: &str,
) -> anyhow::Result<(Gateway, Restart)> {
    sim.reset_calls(env).await?;
    let before = Utc::now();
    let started = Instant::now();
    let gateway = gateway
        .restart(sim, &settings(None, Some(secret), false))
        .await?;
    let token = gateway.display_token(building, "bench-restart")?;
    let first_feed = loop {
        let (status, _) = feed(env, &gateway, &token).await?;
        if status == 200 {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("no feed within 60 s of a restart (status {status})");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    settle(
        env,
        sim,
        &gateway,
        &["people", "reports", "news"],
        before,
        Duration::from_secs(2),
        Duration::from_secs(120),
    )
    .await?;
    let settled = started.elapsed() - Duration::from_secs(2);
    let calls = sim.calls(env).await?;
    Ok((
        gateway,
        Restart {
            calls,
            first_feed,
            settled,
        },
    ))
}

/// Prints calls by route, indented.
pub fn print_routes(calls: &rappu_sim::CallCounts, indent: &str) {
    for (route, n) in calls::routes(calls) {
        println!("{indent}{:>7}  {route}", thousands(n));
    }
}

/// What a day of outage cost.
#[derive(Debug, Clone)]
pub struct Outage {
    /// Calls during it, by route.
    pub during: rappu_sim::CallCounts,
    /// Real seconds since the outage began at which the count grew (and by how much).
    pub timeline: Vec<(f64, u64)>,
    /// Calls from its end until the mirror had caught up.
    pub after: rappu_sim::CallCounts,
    /// How long catching up took (real).
    pub caught_up: Duration,
    /// Times the circuit opened.
    pub times_opened: u64,
}

/// Tampuuri answers 503 to everything for `length` (real), then is back; returns what it
/// cost during and until the mirror caught up. `during` runs meanwhile (the day's changes).
pub async fn outage<F: std::future::Future<Output = ()>>(
    env: &Env,
    sim: &Sim,
    gateway: &Gateway,
    length: Duration,
    during: F,
) -> anyhow::Result<Outage> {
    let opened_before = Health::read(env, gateway).await?.times_opened;
    sim.reset_calls(env).await?;
    sim.admin(env, Method::PUT, "faults", Some(json!({ "outage": true })))
        .await?;
    let began = Instant::now();
    let end = began + length;
    let sample = async {
        let mut timeline = Vec::new();
        let mut last = 0;
        while Instant::now() < end {
            if let Ok(c) = sim.calls(env).await
                && c.total != last
            {
                timeline.push((began.elapsed().as_secs_f64(), c.total - last));
                last = c.total;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        timeline
    };
    let (timeline, ()) = tokio::join!(sample, during);
    tokio::time::sleep_until(end.into()).await;
    let during_calls = sim.calls(env).await?;
    let times_opened = Health::read(env, gateway)
        .await?
        .times_opened
        .saturating_sub(opened_before);
    sim.admin(env, Method::PUT, "faults", Some(json!({})))
        .await
        .context("ending the outage")?;
    let back = Utc::now();
    let settled = settle(
        env,
        sim,
        gateway,
        &["people", "reports", "news"],
        back,
        Duration::from_secs(2),
        Duration::from_secs(1_200),
    )
    .await?;
    let after = calls::minus(&sim.calls(env).await?, &during_calls);
    Ok(Outage {
        during: during_calls,
        timeline,
        after,
        caught_up: settled.saturating_sub(Duration::from_secs(2)),
        times_opened,
    })
}

/// A real day's calls during an outage, from the breaker's schedule: `failures` calls open
/// it, then one probe per open period, `open` doubling up to 8 × (the gateway's
/// `tampuuri.circuit_*`).
pub fn breaker_day(failures: u64, open: Duration) -> u64 {
    let mut t = 0.0;
    let mut period = open.as_secs_f64();
    let mut probes = 0;
    while t + period <= 86_400.0 {
        t += period;
        probes += 1;
        period = (period * 2.0).min(open.as_secs_f64() * 8.0);
    }
    failures + probes
}

/// `12.3 s` or `-`.
pub fn maybe(d: Option<Duration>) -> String {
    d.map_or("not within the run".into(), secs_ms)
}

/// Whether every webhook bundle sent to the gateway was answered 2xx at some attempt;
/// `(bundles, attempts, bundles never delivered, first failure)`.
pub async fn deliveries(env: &Env, sim: &Sim) -> anyhow::Result<(usize, usize, usize, String)> {
    let list = sim
        .admin(env, Method::GET, "webhooks/deliveries", None)
        .await?;
    let list = list.as_array().cloned().unwrap_or_default();
    let mut bundles: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut first_failure = String::new();
    for d in &list {
        let ok = d
            .get("status")
            .and_then(Value::as_u64)
            .is_some_and(|s| (200..300).contains(&s));
        let id = d
            .get("bundle_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let entry = bundles.entry(id).or_default();
        *entry |= ok;
        if !ok && first_failure.is_empty() {
            first_failure = d.to_string();
        }
    }
    let lost = bundles.values().filter(|ok| !**ok).count();
    Ok((bundles.len(), list.len(), lost, first_failure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_breaker_probes() {
        // 5 calls open it; probes after 15, 30, 60 s, then every 120 s.
        let n = breaker_day(5, Duration::from_secs(15));
        assert_eq!(n, 5 + 3 + (86_400 - 105) / 120);
    }

    #[test]
    fn cadences_scale_and_keep_their_minimums() {
        let s = settings(Some(3_600), Some("x"), false);
        let get = |n: &str| s.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(get("RAPPU_MIRROR__RECONCILE_SECS"), "24");
        assert_eq!(get("RAPPU_MIRROR__NEWS_SECS"), "1");
        assert_eq!(get("RAPPU_MIRROR__REGISTRY_SECS"), "168");
        assert_eq!(get("RAPPU_MIRROR__POLL_SECS"), "1");
        assert_eq!(get("RAPPU_MIRROR__BATCH_MS"), "0");
        let s = settings(Some(720), None, true);
        let get = |n: &str| s.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(get("RAPPU_MIRROR__NEWS_SECS"), "120");
        assert!(
            settings(None, None, false)
                .iter()
                .all(|(k, _)| !k.contains("MIRROR"))
        );
    }
}
