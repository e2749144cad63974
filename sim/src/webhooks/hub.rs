//! The hub: listeners, the delivery log and one background task per bundle and listener.
//! [`Hub::stop`] aborts every task.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::task::JoinSet;

use super::{Bundle, Delivery, Notification, RegisteredListener, WebhookListener};
use crate::config::WebhookConfig;
use crate::time;
use crate::world::Change;

/// Listeners, the delivery log and the delivery tasks.
pub(crate) struct Hub {
    config: WebhookConfig,
    client: Option<reqwest::Client>,
    listeners: Mutex<Vec<RegisteredListener>>,
    next_id: AtomicU64,
    log: Arc<Mutex<Vec<Delivery>>>,
    tasks: Mutex<JoinSet<()>>,
    stopped: AtomicBool,
}

fn notification(account: &str, change: &Change) -> Notification {
    let text = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    Notification {
        action: change.action.as_str().to_owned(),
        id: uuid::Uuid::new_v4().to_string(),
        account: account.to_owned(),
        reference_id: change.reference_id.to_string(),
        reference_secondary_id: text(change.secondary_id),
        reference_data: text(change.data),
        reference_json: String::new(),
        timestamp: time::notification_stamp(),
        date_time_zone: "UTC".to_owned(),
    }
}

impl Hub {
    pub(crate) fn new(config: WebhookConfig) -> Self {
        let client = reqwest::Client::builder().no_proxy().build();
        if let Err(e) = &client {
            tracing::error!(error = %e, "webhook client unavailable: deliveries will fail");
        }
        Self {
            config,
            client: client.ok(),
            listeners: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            log: Arc::new(Mutex::new(Vec::new())),
            tasks: Mutex::new(JoinSet::new()),
            stopped: AtomicBool::new(false),
        }
    }

    pub(crate) fn add(&self, listener: WebhookListener) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut list = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        list.push(RegisteredListener { id, listener });
        id
    }

    pub(crate) fn listeners(&self) -> Vec<RegisteredListener> {
        self.listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Queue the notifications of `changes` to every interested listener.
    pub(crate) fn publish(&self, account: &str, changes: &[Change]) {
        if changes.is_empty() || self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let notifications: Vec<Notification> =
            changes.iter().map(|c| notification(account, c)).collect();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no tokio runtime: webhook notifications dropped");
            return;
        };
        for registered in self.listeners() {
            let wanted: Vec<Notification> = notifications
                .iter()
                .filter(|n| registered.listener.wants(account, &n.action))
                .cloned()
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let bundle = Bundle {
                id: uuid::Uuid::new_v4().simple().to_string(),
                attempt: 1,
                properties: serde_json::Map::new(),
                notifications: wanted,
            };
            let job = Job {
                client: self.client.clone(),
                config: self.config,
                log: Arc::clone(&self.log),
                listener: registered,
            };
            let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
            while tasks.try_join_next().is_some() {}
            tasks.spawn_on(job.run(bundle), &runtime);
        }
    }

    /// Stop delivering: abort every task, queue nothing more.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .abort_all();
    }
}

/// One bundle on its way to one listener.
struct Job {
    client: Option<reqwest::Client>,
    config: WebhookConfig,
    log: Arc<Mutex<Vec<Delivery>>>,
    listener: RegisteredListener,
}

impl Job {
    async fn run(self, mut bundle: Bundle) {
        let attempts = self.config.max_attempts.max(1);
        for attempt in 1..=attempts {
            bundle.attempt = attempt;
            let (status, error) = self.attempt(&bundle).await;
            let delivered = error.is_none();
            self.log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Delivery {
                    listener_id: self.listener.id,
                    url: self.listener.listener.url.clone(),
                    bundle_id: bundle.id.clone(),
                    attempt,
                    status,
                    error,
                    notifications: bundle.notifications.clone(),
                    at: time::now().to_rfc3339(),
                });
            if delivered {
                return;
            }
            if attempt < attempts {
                let factor = 1u32 << (attempt - 1).min(16);
                tokio::time::sleep(self.config.backoff.saturating_mul(factor)).await;
            }
        }
    }

    async fn attempt(&self, bundle: &Bundle) -> (Option<u16>, Option<String>) {
        let Some(client) = &self.client else {
            return (None, Some("no HTTP client".to_owned()));
        };
        let mut request = client
            .post(&self.listener.listener.url)
            .timeout(self.config.timeout)
            .json(bundle);
        if let Some(h) = &self.listener.listener.header {
            request = request.header(h.name.as_str(), h.value.as_str());
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let error = (!status.is_success()).then(|| format!("HTTP {status}"));
                (Some(status.as_u16()), error)
            }
            Err(e) if e.is_timeout() => (None, Some("timeout".to_owned())),
            Err(e) => (None, Some(e.to_string())),
        }
    }
}
