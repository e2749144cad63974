//! Changes from other replicas, within a second: PostgreSQL `LISTEN/NOTIFY`.
//!
//! A replica that records something every replica must act on at once publishes it with
//! `pg_notify` in the same transaction (delivered at commit, never for a rolled-back write):
//!
//! - [`REVOKED`]: a token id was revoked ([`super::revocations::revoke`], every path that
//!   revokes goes through it): every replica refuses the token from then on;
//! - [`APPS`]: an app was registered, changed, rotated or revoked: every replica re-reads
//!   the registry (its quota, scopes and origins hold everywhere at once);
//! - [`KEYS`]: a signing key was published or retired ([`super::signing_keys`]): every
//!   replica re-reads the keys (a retired key verifies nowhere from then on);
//! - [`WEBHOOK`]: a replica recorded new Tampuuri notifications
//!   ([`super::webhooks`]): every other replica applies them to its own caches and mirror,
//!   which wakes its event streams.
//!
//! One task per replica holds a dedicated connection that `LISTEN`s (the pool's connections
//! are lent and returned, so they cannot). Notifications sent while it does not listen are
//! lost to it: before its first `LISTEN` (the replica is starting) and while the connection
//! is lost. So every time listening starts the task reports [`ReplicaEvent::Reconnected`]
//! with when it last could have missed something (the store's opening the first time, the
//! loss of the connection later), and the receiver catches up from the tables (revocations,
//! notifications received since then).

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Channel of revoked token ids (payload: the `jti`).
pub const REVOKED: &str = "rappu_revoked";
/// Channel of recorded webhook notifications (payload: [`WebhookNote`] as JSON).
pub const WEBHOOK: &str = "rappu_webhook";
/// Channel of changes to the app registry (payload: the announcing store instance).
pub const APPS: &str = "rappu_apps";
/// Channel of published and retired signing keys (payload: the kid).
pub const KEYS: &str = "rappu_keys";

/// What a replica announces about webhook notifications it recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookNote {
    /// The store instance that recorded them (it has applied them already).
    pub from: String,
    /// The notification ids.
    pub ids: Vec<String>,
}

/// Something another replica did, or the listener's own state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaEvent {
    /// Listening (again): what other replicas recorded since `lost_at` (unix seconds) may
    /// have been missed.
    Reconnected {
        /// When this replica started, on the first connection; when the previous connection
        /// was lost, later.
        lost_at: i64,
    },
    /// A token id was revoked.
    Revoked(String),
    /// Webhook notifications were recorded.
    Webhook(WebhookNote),
    /// The app registry changed (the payload: which store instance changed it).
    Apps(String),
    /// A signing key was published or retired (the payload: its kid).
    Keys(String),
    /// The mirror's writer appended to its log (the new row's `seq`).
    Mirror(i64),
    /// A follower asks the mirror's writer to fetch something.
    MirrorAsk(crate::mirror::shared::Ask),
}

/// Largest payload sent in one `NOTIFY` (PostgreSQL's limit is 8000 bytes).
const MAX_PAYLOAD: usize = 7000;

/// The `NOTIFY` payloads announcing `ids`, split to fit PostgreSQL's limit.
pub fn webhook_payloads(from: &str, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut chunk: Vec<String> = Vec::new();
    let mut size = from.len() + 32;
    for id in ids {
        if !chunk.is_empty() && size + id.len() + 3 > MAX_PAYLOAD {
            out.push(note_json(from, std::mem::take(&mut chunk)));
            size = from.len() + 32;
        }
        size += id.len() + 3;
        chunk.push(id.clone());
    }
    if !chunk.is_empty() {
        out.push(note_json(from, chunk));
    }
    out
}

fn note_json(from: &str, ids: Vec<String>) -> String {
    serde_json::to_string(&WebhookNote {
        from: from.to_owned(),
        ids,
    })
    .unwrap_or_default()
}

/// Starts listening with `config`; events go to the returned receiver until `stop`.
/// `started_at`: when this replica started keeping caches (unix seconds), what the first
/// [`ReplicaEvent::Reconnected`] reports.
pub fn spawn(
    target: super::postgres::PgTarget,
    started_at: i64,
    stop: CancellationToken,
) -> (
    mpsc::UnboundedReceiver<ReplicaEvent>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut lost_at = started_at;
        let mut wait = Duration::from_millis(200);
        while !stop.is_cancelled() {
            let mut listened = false;
            match listen(&target, &tx, lost_at, &mut listened, &stop).await {
                Ok(()) => break,
                Err(e) => {
                    // Missed from the loss on (or still from the last time listening
                    // stopped, when this attempt never got to listen).
                    if listened {
                        lost_at = chrono::Utc::now().timestamp();
                        wait = Duration::from_millis(200);
                    }
                    tracing::warn!(error = %e, retry_in = ?wait, "not listening to the other replicas");
                }
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(Duration::from_secs(5));
            if tx.is_closed() {
                break;
            }
        }
    });
    (rx, task)
}

/// A connection of its own to `target` (its driver runs on a task that ends with the client).
pub async fn connect(target: &super::postgres::PgTarget) -> Result<tokio_postgres::Client, String> {
    match &target.tls {
        None => {
            let (client, connection) = target
                .config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            Ok(client)
        }
        Some(tls) => {
            let (client, connection) = target
                .config
                .connect(tls.clone())
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            Ok(client)
        }
    }
}

/// One connection's life: `Ok` when stopped, `Err` when the connection failed or ended.
async fn listen(
    target: &super::postgres::PgTarget,
    tx: &mpsc::UnboundedSender<ReplicaEvent>,
    lost_at: i64,
    listened: &mut bool,
    stop: &CancellationToken,
) -> Result<(), String> {
    match &target.tls {
        None => {
            let (client, connection) = target
                .config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            listen_on(client, connection, tx, lost_at, listened, stop).await
        }
        Some(tls) => {
            let (client, connection) = target
                .config
                .connect(tls.clone())
                .await
                .map_err(|e| e.to_string())?;
            listen_on(client, connection, tx, lost_at, listened, stop).await
        }
    }
}

async fn listen_on<S, T>(
    client: tokio_postgres::Client,
    mut connection: tokio_postgres::Connection<S, T>,
    tx: &mpsc::UnboundedSender<ReplicaEvent>,
    lost_at: i64,
    listened: &mut bool,
    stop: &CancellationToken,
) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (messages_tx, mut messages) = mpsc::unbounded_channel();
    // The connection must be polled for the LISTEN below to complete and for
    // notifications to arrive: a task of its own forwards what it yields.
    let driver = tokio::spawn(async move {
        let mut stream = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            if messages_tx.send(message).is_err() {
                break;
            }
        }
    });
    let _driver = AbortOnDrop(driver);
    client
        .batch_execute(&format!(
            "LISTEN {REVOKED}; LISTEN {WEBHOOK}; LISTEN {APPS}; LISTEN {KEYS}; LISTEN {}; LISTEN {}",
            crate::mirror::shared::CHANNEL,
            crate::mirror::shared::ASK
        ))
        .await
        .map_err(|e| e.to_string())?;
    *listened = true;
    tracing::info!(
        catching_up_from = lost_at,
        "listening to the other replicas"
    );
    let _ = tx.send(ReplicaEvent::Reconnected { lost_at });
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            message = messages.recv() => message,
        };
        let notification = match message {
            Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => n,
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("the connection closed".into()),
        };
        let event = match notification.channel() {
            REVOKED => ReplicaEvent::Revoked(notification.payload().to_owned()),
            APPS => ReplicaEvent::Apps(notification.payload().to_owned()),
            KEYS => ReplicaEvent::Keys(notification.payload().to_owned()),
            crate::mirror::shared::CHANNEL => match notification.payload().parse() {
                Ok(seq) => ReplicaEvent::Mirror(seq),
                Err(_) => continue,
            },
            crate::mirror::shared::ASK => match serde_json::from_str(notification.payload()) {
                Ok(ask) => ReplicaEvent::MirrorAsk(ask),
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable request to the mirror's writer");
                    continue;
                }
            },
            WEBHOOK => match serde_json::from_str(notification.payload()) {
                Ok(note) => ReplicaEvent::Webhook(note),
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable webhook announcement");
                    continue;
                }
            },
            _ => continue,
        };
        if tx.send(event).is_err() {
            return Ok(());
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_ids_are_split_under_the_payload_limit() {
        let ids: Vec<String> = (0..500).map(|i| format!("{i:036}")).collect();
        let payloads = webhook_payloads("me", &ids);
        assert!(payloads.len() > 1);
        let mut seen = Vec::new();
        for p in &payloads {
            assert!(p.len() <= 8000, "{}", p.len());
            let note: WebhookNote = serde_json::from_str(p).unwrap();
            assert_eq!(note.from, "me");
            seen.extend(note.ids);
        }
        assert_eq!(seen, ids);
        assert!(webhook_payloads("me", &[]).is_empty());
    }
}
