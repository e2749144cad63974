//! Building and running the application: `Application::build` wires everything from the
//! settings and binds the listener (port 0 in tests), `Application::run` serves until a
//! shutdown signal and then stops every background task in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use axum::http::HeaderValue;

use crate::auth::{KeyRing, RevocationList, Tokens};
use crate::config::Settings;
use crate::contacts::ContactCache;
use crate::embedded;
use crate::feeds::FeedService;
use crate::http;
use crate::http::event_loops::Listeners;
use crate::http::ratelimit::RateLimits;
use crate::metrics::Metrics;
use crate::metrics::listener::MetricsListener;
use crate::pairing::Displays;
use crate::reports::{self, FaultReports};
use crate::state::{App, AppState, UpstreamMode};
use crate::store::Store;
use crate::upstream::tampuuri::Tampuuri;
use crate::usage::UsageRecorder;
use crate::webhooks::WebhookService;
use crate::work_orders::WorkOrders;

/// Opens the store the settings name (connecting to PostgreSQL and migrating it happens on
/// a blocking thread).
async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let path = settings.database_path();
    let what = match &settings.database_url {
        Some(url) => crate::store::postgres::parse_url(url)
            .map(|t| crate::store::postgres::describe(&t.config))
            .unwrap_or_else(|_| "database_url".into()),
        None => path.display().to_string(),
    };
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || Store::from_settings(&settings))
        .await?
        .with_context(|| format!("opening {what}"))
}

/// A built, bound, not yet serving application.
pub struct Application {
    listener: Listeners,
    addr: SocketAddr,
    state: AppState,
    shutdown: CancellationToken,
    /// Cancelled once the server has stopped serving requests.
    served: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    simulator_addr: Option<SocketAddr>,
    metrics_addr: Option<SocketAddr>,
}

impl Application {
    /// Opens the store, loads keys, starts the embedded simulator when no Tampuuri is
    /// configured, and binds `settings.server.addr`.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        let shutdown = CancellationToken::new();
        let served = CancellationToken::new();
        let mut tasks = Vec::new();
        let metrics = Metrics::new();
        let metrics_listener = MetricsListener::bind(&settings.metrics).await?;

        let store = open_store(&settings).await?;
        let usage = UsageRecorder::start(store.clone());
        // This month's calls from before this start, before any call is made.
        let budget = crate::usage::Budget::new(settings.usage.budget_calls(), usage.clone());
        budget
            .load(&store)
            .await
            .context("reading this month's Tampuuri calls")?;

        let (tampuuri_settings, mode, simulator_addr) = match &settings.tampuuri {
            Some(t) => (t.clone(), UpstreamMode::Tampuuri, None),
            None => {
                let sim = embedded::start(&settings, shutdown.child_token()).await?;
                tasks.push(sim.task);
                // Demo mode: the simulator delivers webhooks to this gateway.
                if settings.webhooks.secret.is_none() {
                    settings.webhooks.secret = Some(embedded::generated_secret());
                }
                (
                    sim.tampuuri,
                    UpstreamMode::Embedded(sim.simulator),
                    Some(sim.addr),
                )
            }
        };
        let tampuuri =
            Tampuuri::observed(&tampuuri_settings, usage.clone(), metrics.upstream.clone())?;

        let keys =
            KeyRing::load_or_generate(&settings.keys_dir(), settings.auth.signing_kid.as_deref())?;
        let revocations = RevocationList::load(&store).await?;
        let accounts = tampuuri.account_names().map(str::to_owned).collect();
        let tokens = Tokens::new(&settings.auth, keys, accounts, revocations.clone())
            .with_metrics(metrics.tokens.clone());
        // Every replica verifies what any replica signs; a retired key nowhere.
        crate::auth::keys::publish(&tokens, &store).await?;
        let keys_changed = Arc::new(tokio::sync::Notify::new());

        let replica_revocations = revocations.clone();
        tasks.push(spawn_revocation_refresh(
            revocations,
            store.clone(),
            Duration::from_secs(settings.auth.revocation_refresh_secs),
            shutdown.child_token(),
        ));

        let webhook_secret = settings.webhooks.secret.clone();
        // On PostgreSQL the replicas share one mirror in the database, written by the one
        // elected (`mirror::shared`); on SQLite it is a file of its own.
        let mirror_db = if store.kind() == crate::store::EngineKind::Postgres {
            crate::mirror::MirrorDb::in_store(store.clone())
        } else {
            let mirror_path = settings.data_dir.join("mirror.db");
            crate::mirror::MirrorDb::open(&mirror_path)
                .with_context(|| format!("opening {}", mirror_path.display()))?
        };
        let (mirror, mirror_events) = crate::mirror::Mirror::new(
            tampuuri.clone(),
            mirror_db,
            settings.mirror.clone(),
            webhook_secret.is_some(),
            budget.clone(),
            Duration::from_secs(settings.feeds.max_stale_secs),
        );
        let reports = FaultReports::new(
            store.clone(),
            tampuuri.clone(),
            mirror.clone(),
            &settings.reports,
        );
        let work_orders = WorkOrders::new(
            tampuuri.clone(),
            mirror.clone(),
            reports.clone(),
            Duration::from_secs(settings.reports.cache_ttl_secs),
        );
        tasks.push(reports::outbox::spawn(
            reports.clone(),
            shutdown.child_token(),
        ));

        let listener = Listeners::bind(
            settings.server.addr,
            http::event_loops::resolve(settings.server.event_loops),
        )
        .await
        .with_context(|| format!("server.addr: cannot listen on {}", settings.server.addr))?;
        let addr = listener.local_addr()?;

        let feeds = FeedService::observed(
            std::sync::Arc::new(crate::mirror::upstream::MirrorUpstream(mirror.clone())),
            tampuuri.account_names().map(std::sync::Arc::from).collect(),
            &settings,
            webhook_secret.is_some(),
            metrics.feed.clone(),
            // The mirror is already a local copy with its own indexes: keep none of it twice.
            crate::feeds::resources::Keep::InFlight,
        );
        tasks.push(spawn_mirror_events(
            mirror_events,
            feeds.clone(),
            reports.clone(),
            work_orders.clone(),
            served.clone(),
        ));
        tasks.extend(mirror.spawn(shutdown.child_token()));
        let webhooks = WebhookService::new(
            store.clone(),
            feeds.clone(),
            mirror.clone(),
            reports.clone(),
            work_orders.clone(),
        )
        .with_metrics(metrics.webhooks.clone());
        let apps = crate::apps::Apps::load(store.clone(), &settings.oauth).await?;
        if let Some(pool) = store.postgres() {
            let (events, listener) = crate::store::listen::spawn(
                pool.target().clone(),
                store.opened_at(),
                shutdown.child_token(),
            );
            tasks.push(listener);
            tasks.push(spawn_replica_events(
                events,
                store.clone(),
                replica_revocations,
                webhooks.clone(),
                apps.clone(),
                Arc::clone(&keys_changed),
                mirror.clone(),
            ));
        }
        let refresh_every = settings
            .feed_ttl(webhook_secret.is_some())
            .div_f64(4.0)
            .clamp(Duration::from_secs(1), Duration::from_secs(30));
        tasks.push(feeds.spawn_refresher(refresh_every, shutdown.child_token()));
        if let (UpstreamMode::Embedded(sim), Some(secret)) = (&mode, &webhook_secret) {
            embedded::subscribe(sim, addr, secret);
        }
        let feed_cache_control = HeaderValue::from_str(&format!(
            "private, max-age={}, stale-while-revalidate={}, stale-if-error={}",
            settings.feeds.client_max_age_secs,
            settings.feed_ttl(webhook_secret.is_some()).as_secs(),
            settings.feeds.max_stale_secs
        ))?;
        let limits = RateLimits::new(&settings.rate_limit, &settings.webhooks)
            .with_metrics(metrics.rate_limits.clone());
        let proxies = crate::http::client_ip::TrustedProxies::new(&settings.server);

        let public_url = settings.public_url(addr);
        let displays = Displays::new(store.clone());
        let places = crate::places::Places::new(tampuuri.clone(), mirror.clone());
        let mailer =
            crate::signin::mailer::Mailer::from_settings(&settings.email, &settings.data_dir)?;
        if mailer.sends() {
            tracing::info!(via = %mailer.describe(), "sign-in mail goes out by SMTP");
        } else if matches!(mode, UpstreamMode::Tampuuri) {
            tracing::warn!(via = %mailer.describe(), "email.smtp_host is not set: sign-in mails are written to a folder, not sent");
        }
        let (signin, signin_task) = crate::signin::EmailSignIn::start(
            &settings.signin,
            settings.rate_limit.enabled,
            crate::signin::Worker {
                directory: crate::signin::directory::Directory::new(
                    tampuuri.clone(),
                    mirror.clone(),
                    places.clone(),
                ),
                mailer: Arc::new(mailer),
                store: store.clone(),
                public_url: public_url.clone(),
            },
            shutdown.child_token(),
        );
        tasks.push(signin_task);
        tasks.push(spawn_apps_refresh(
            apps.clone(),
            Duration::from_secs(settings.oauth.refresh_secs),
            shutdown.child_token(),
        ));
        let residency = crate::signin::residency::ResidencyCheck::new(
            mirror.clone(),
            Duration::from_secs(settings.signin.residency_check_secs),
        );
        let state = AppState(Arc::new(App {
            public_url,
            settings,
            store,
            tampuuri,
            tampuuri_settings,
            tokens,
            usage,
            mode,
            feeds,
            mirror,
            budget,
            webhooks,
            webhook_secret,
            limits,
            proxies,
            feed_cache_control,
            shutdown: shutdown.clone(),
            reports,
            work_orders,
            displays,
            contacts: ContactCache::default(),
            metrics,
            signin,
            residency,
            places,
            apps,
        }));
        tasks.push(spawn_housekeeping(state.clone(), shutdown.child_token()));
        tasks.push(spawn_keys_refresh(
            state.clone(),
            keys_changed,
            Duration::from_secs(state.settings.auth.revocation_refresh_secs),
            shutdown.child_token(),
        ));
        if state.store.kind() == crate::store::EngineKind::Postgres {
            tasks.push(spawn_heartbeat(state.clone(), shutdown.child_token()));
        }
        tasks.push(spawn_clock(state.clone(), shutdown.child_token()));
        let metrics_addr = metrics_listener.as_ref().map(MetricsListener::addr);
        if let Some(listener) = metrics_listener {
            tasks.push(listener.spawn(state.clone(), shutdown.child_token()));
        }
        Ok(Self {
            listener,
            addr,
            state,
            shutdown,
            served,
            tasks,
            simulator_addr,
            metrics_addr,
        })
    }

    /// Where `GET /metrics` is served, when metrics are on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL people reach this instance at.
    pub fn public_url(&self) -> String {
        self.state.settings.public_url(self.addr)
    }

    /// The shared state (for tests and the CLI's demo output).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Where the embedded simulator listens, in demo mode.
    pub fn simulator_addr(&self) -> Option<SocketAddr> {
        self.simulator_addr
    }

    /// Cancelling this token shuts the application down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until `signal` completes or the shutdown token is cancelled, then lets
    /// requests in flight finish (up to `server.shutdown_grace_secs`), stops background
    /// tasks and writes pending usage counts.
    pub async fn run(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            shutdown,
            served,
            tasks,
            ..
        } = self;
        let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = signal => trigger.cancel(),
                () = trigger.cancelled() => {}
            }
        });
        match listener.loops() {
            0 => tracing::info!("serving connections on the shared runtime"),
            n => tracing::info!(event_loops = n, "serving connections on event loops"),
        }
        let server = listener.serve(
            http::app(state.clone()),
            http::server::ConnectionLimits::new(&state.settings.server),
            shutdown.clone(),
        );
        let mut server = std::pin::pin!(server);
        tokio::select! {
            () = &mut server => {}
            () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!("requests still in flight after the grace period; closing");
            }
        }
        // Requests are done: nothing reads the caches the mirror's events invalidate.
        served.cancel();
        for task in tasks {
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                tracing::warn!("a background task did not stop in time");
            }
        }
        state.usage.flush().await;
        if let Err(e) = state.apps.flush().await {
            tracing::warn!(error = %e, "could not write the apps' call counts");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Once a second: the coarse clocks tokens and feeds are stamped with when used (so the hot
/// path never reads the time for it; they also forget expired tokens and idle feeds), and the allocator's freed pages whose purge delay has
/// passed go back to the system even when nothing else is allocating
/// ([`rappu_alloc::purge_expired`]; after the mirror's first load the idle process held
/// 52 MB instead of 66 MB, README "Memory (part 3)"); and the mirror's page caches once it
/// has been idle for two ticks ([`crate::mirror::MirrorDb::release_when_idle`]).
fn spawn_clock(state: AppState, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {
                    state.tokens.tick();
                    let dropped = state.feeds.tick();
                    if dropped > 0 {
                        tracing::debug!(dropped, "dropped display feeds nobody asked for in a day");
                    }
                    // Off the runtime's threads: a collect also tidies the calling thread's
                    // own pages, which on a busy worker would be requests' buffers.
                    drop(tokio::task::spawn_blocking(rappu_alloc::purge_expired));
                    if let crate::mirror::IdleRelease::Releasing(_) =
                        state.mirror.db().release_when_idle()
                    {
                        tracing::debug!("the mirror is idle: its page caches go back");
                    }
                }
            }
        }
    })
}

/// Applies what changed in the mirror: feeds rebuild from it, residents' and partners'
/// views of changed reports are dropped.
fn spawn_mirror_events(
    mut events: tokio::sync::mpsc::UnboundedReceiver<crate::mirror::MirrorEvent>,
    feeds: FeedService,
    reports: FaultReports,
    work_orders: WorkOrders,
    served: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Until the server has stopped: while any request may still be answered, a change
        // (a name to hide) must reach the caches. The mirror outlives the server, so its
        // sender is never dropped first; events queued at the end are applied before stopping.
        loop {
            let event = tokio::select! {
                biased;
                event = events.recv() => match event {
                    Some(event) => event,
                    None => break,
                },
                () = served.cancelled() => break,
            };
            if !event.changes.is_empty() {
                feeds.invalidate(&event.account, &event.changes);
            }
            if event.restamp {
                feeds.restamp(&event.account);
            }
            for id in event.reports {
                reports.on_report_changed(&event.account, id).await;
                work_orders.on_report_changed(&event.account, id);
            }
        }
    })
}

/// Once a minute: forget idle rate-limit buckets; once an hour: forget old webhook ids.
fn spawn_housekeeping(state: AppState, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut minutes: u64 = 0;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {
                    state.limits.shrink();
                    state.displays.shrink();
                    state.signin.shrink();
                    if minutes.is_multiple_of(60) {
                        let now = chrono::Utc::now().timestamp();
                        let days = i64::try_from(state.settings.webhooks.dedupe_days).unwrap_or(14);
                        match state.store.housekeeping(now, now - days * 86_400).await {
                            Ok(Some(pruned)) => tracing::debug!(?pruned, "expired records removed"),
                            Ok(None) => tracing::debug!("another replica is cleaning up"),
                            Err(e) => tracing::warn!(error = %e, "could not remove expired records"),
                        }
                    }
                    minutes += 1;
                }
            }
        }
    })
}

/// Every `every`: re-reads the app registry (changes made by `rappu app ...`) and writes
/// the apps' counted calls.
fn spawn_apps_refresh(
    apps: crate::apps::Apps,
    every: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = periodic(every);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {
                    if let Err(e) = apps.refresh().await {
                        tracing::warn!(error = %e, "could not re-read the app registry");
                    }
                    if let Err(e) = apps.flush().await {
                        tracing::warn!(error = %e, "could not write the apps' call counts");
                    }
                    apps.shrink();
                }
            }
        }
    })
}

/// Every 5 s: this replica's heartbeat, and the live replica count the quotas are split by.
/// At shutdown the heartbeat is removed, so the others' shares grow at once.
fn spawn_heartbeat(state: AppState, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {
                    match state.store.heartbeat(chrono::Utc::now().timestamp()).await {
                        Ok(n) if n != state.limits.replicas() => {
                            tracing::info!(replicas = n, "quotas are now split between this many replicas");
                            state.limits.set_replicas(n);
                        }
                        Ok(_) => {}
                        // Unknown: keep the last count.
                        Err(e) => tracing::warn!(error = %e, "cannot record this replica's heartbeat"),
                    }
                }
            }
        }
        if let Err(e) = state.store.leave().await {
            tracing::debug!(error = %e, "cannot remove this replica's heartbeat");
        }
    })
}

/// Acts on what the other replicas announce (PostgreSQL only): a revoked token is refused
/// here at once; webhook notifications recorded there are applied here too; after the
/// listening connection was lost, both are caught up from the tables.
fn spawn_replica_events(
    mut events: tokio::sync::mpsc::UnboundedReceiver<crate::store::listen::ReplicaEvent>,
    store: Store,
    revocations: RevocationList,
    webhooks: WebhookService,
    apps: crate::apps::Apps,
    keys_changed: Arc<tokio::sync::Notify>,
    mirror: crate::mirror::Mirror,
) -> JoinHandle<()> {
    use crate::store::listen::ReplicaEvent;
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                ReplicaEvent::Revoked(jti) => revocations.insert(jti),
                ReplicaEvent::Webhook(note) if note.from != store.instance() => {
                    match store.notifications(note.ids).await {
                        Ok(records) => {
                            let feeds = webhooks.apply_recorded(records).await;
                            tracing::debug!(
                                feeds,
                                "applied another replica's webhook notifications"
                            );
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read another replica's webhook notifications")
                        }
                    }
                }
                ReplicaEvent::Webhook(_) => {}
                ReplicaEvent::Apps(from) if from != store.instance() => {
                    if let Err(e) = apps.refresh().await {
                        tracing::warn!(error = %e, "cannot re-read the app registry another replica changed");
                    }
                }
                ReplicaEvent::Apps(_) => {}
                ReplicaEvent::Keys(_) => keys_changed.notify_one(),
                ReplicaEvent::Mirror(_) => {
                    if let Err(e) = mirror.follow().await {
                        tracing::warn!(error = %e, "cannot read the mirror's log");
                    }
                }
                ReplicaEvent::MirrorAsk(ask) => mirror.asked(&ask),
                ReplicaEvent::Reconnected { lost_at } => {
                    // Until caught up (the database may fail just then), try again each
                    // second; the announcements arriving meanwhile wait in the channel.
                    while !catch_up(&store, &revocations, &webhooks, &apps, lost_at).await {
                        if events.is_closed() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    // Keys published or retired while not listening.
                    keys_changed.notify_one();
                    if let Err(e) = mirror.follow().await {
                        tracing::warn!(error = %e, "cannot catch up on the mirror's log");
                    }
                    store.set_hears_replicas();
                }
            }
        }
    })
}

/// Catches up on what other replicas recorded since `lost_at` (unix seconds): revocations,
/// the app registry and webhook notifications. Whether it could.
async fn catch_up(
    store: &Store,
    revocations: &RevocationList,
    webhooks: &WebhookService,
    apps: &crate::apps::Apps,
    lost_at: i64,
) -> bool {
    if let Err(e) = revocations.refresh(store).await {
        tracing::warn!(error = %e, "cannot catch up on token revocations");
        return false;
    }
    if let Err(e) = apps.refresh().await {
        tracing::warn!(error = %e, "cannot catch up on the app registry");
        return false;
    }
    // A margin for clocks and for commits in flight when listening started.
    match store.notifications_since(lost_at - 5).await {
        Ok(missed) if missed.is_empty() => true,
        Ok(missed) => {
            tracing::info!(
                notifications = missed.len(),
                "catching up on webhook notifications missed while not listening"
            );
            webhooks.apply_recorded(missed).await;
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot catch up on webhook notifications");
            false
        }
    }
}

/// A timer for a periodic job: a round that ran late delays the next instead of bunching up.
fn periodic(every: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

/// Re-reads the published signing keys when a replica announces a change (PostgreSQL),
/// and every `every` (the only way on SQLite, where `rappu keys retire` is another
/// process); a failed read is retried each second until one succeeds.
fn spawn_keys_refresh(
    state: AppState,
    changed: Arc<tokio::sync::Notify>,
    every: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = periodic(every);
        tick.reset();
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = changed.notified() => {}
                _ = tick.tick() => {}
            }
            while let Err(e) = crate::auth::keys::refresh(&state.tokens, &state.store).await {
                tracing::warn!(error = %e, "could not re-read the signing keys");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    })
}

fn spawn_revocation_refresh(
    list: RevocationList,
    store: Store,
    every: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = periodic(every);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {
                    match list.refresh(&store).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(added = n, "picked up token revocations"),
                        Err(e) => tracing::warn!(error = %e, "could not refresh token revocations"),
                    }
                }
            }
        }
    })
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
