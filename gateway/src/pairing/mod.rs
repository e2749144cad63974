//! Stairwell displays paired like a TV app, after the OAuth 2.0 device authorization grant
//! (RFC 8628), and kept paired while they are on.
//!
//! 1. An unpaired screen starts a pairing ([`Displays::start`]): the gateway keeps a hash
//!    of the screen's secret (RFC 8628's `device_code`, which lives only in the screen's
//!    HttpOnly cookie) and an 8-character user code from an alphabet without look-alikes.
//!    The screen shows the code and a QR code of the caretaker page with the code in it.
//! 2. A caretaker (with a caretaker link, [`caretakers`]) or an operator (admin API) enters
//!    the code and picks the building and staircase ([`Displays::approve`]).
//! 3. The screen long-polls ([`Displays::poll`]): each poll waits for an approval (woken at
//!    once in this process, re-checked in the database every second for other replicas),
//!    and the approved screen gets a display session, a normal revocable Rappu token with
//!    subject `display:<id>`, in its session cookie.
//! 4. While on, the display renews its session ([`Displays::renew`]): a token older than a
//!    day is replaced, and an operator's reassignment is applied. An unpaired display's
//!    tokens are revoked at once ([`Displays::unpair`]).
//!
//! Codes live 15 minutes; starting pairings and entering wrong codes are rate-limited.
//! Nothing here knows about HTTP; `routes::pairing` and `routes::displays_admin` map it.

mod approve;
mod caretakers;
pub mod db;
mod displays;

pub use approve::{Approver, view};
use approve::{check_place, clean_label};
pub use caretakers::CaretakerLink;
pub use displays::subject_of;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use rand::Rng;
use rappu_shared::FieldError;
use rappu_shared::pairing::{USER_CODE_ALPHABET, USER_CODE_LEN};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::auth::TokenError;
use crate::sessions::{hash_code, new_code};
use crate::store::{Store, StoreError};
use crate::upstream::tampuuri::UpstreamError;
use db::DisplayRow;

/// How long a code on the screen works.
pub const PAIRING_TTL: Duration = Duration::from_secs(15 * 60);
/// A paired display's session: renewed daily while the display is on, so only a display
/// that has been off for a month needs pairing again.
pub const DISPLAY_SESSION_TTL: Duration = Duration::from_secs(30 * 86_400);
/// A display's token is replaced once it is this old.
pub const RENEW_AFTER: Duration = Duration::from_secs(86_400);
/// Seconds a screen waits between polls (each poll itself waits for the approval).
pub const POLL_INTERVAL_SECS: u32 = 1;
/// How often a waiting poll looks at the database (an approval made by another replica).
const RECHECK: Duration = Duration::from_secs(1);

/// Why a pairing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    /// The screen's pairing is unknown or expired: it starts a new one.
    #[error("this pairing is unknown or has expired: start a new one")]
    Gone,
    /// Bad input, by field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such display (of the caller's account).
    #[error("no such display")]
    NotFound,
    /// The caretaker may not pair displays in that building.
    #[error("{0}")]
    OutOfScope(String),
    /// Too many attempts; wait this long.
    #[error("too many attempts")]
    RateLimited(Duration),
    /// The display's session ended (it was unpaired).
    #[error("this display is no longer paired")]
    Unpaired,
    /// SQLite failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Tampuuri failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// A token could not be minted.
    #[error(transparent)]
    Token(#[from] TokenError),
}

fn invalid(field: &str, message: &str) -> PairingError {
    PairingError::Invalid(vec![FieldError::new(field, message)])
}

/// Unix seconds as a time.
pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// A pairing the screen just started.
#[derive(Debug, Clone)]
pub struct Started {
    /// The screen's secret (its cookie).
    pub secret: String,
    /// The code to show.
    pub user_code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What a poll found.
#[derive(Debug, Clone)]
pub enum Poll {
    /// Not approved yet.
    Pending {
        /// When the code stops working.
        expires_at: DateTime<Utc>,
    },
    /// Approved as this display.
    Paired(DisplayRow),
}

struct Inner {
    store: Store,
    /// Bumped on every approval: waiting polls look again at once.
    approvals: watch::Sender<u64>,
    /// Pairings started, per peer address (a screen needs one every 15 minutes).
    starts: DefaultKeyedRateLimiter<IpAddr>,
    /// Wrong codes entered, per approver.
    wrong_codes: DefaultKeyedRateLimiter<String>,
}

/// Display pairing and paired displays; cheap to clone.
#[derive(Clone)]
pub struct Displays {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Displays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Displays").finish_non_exhaustive()
    }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    per_minute: u32,
    burst: u32,
) -> DefaultKeyedRateLimiter<K> {
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limit: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), PairingError> {
    limit.check_key(key).map_err(|not_until| {
        PairingError::RateLimited(not_until.wait_time_from(DefaultClock::default().now()))
    })
}

/// A random user code.
pub fn new_user_code() -> String {
    let alphabet = USER_CODE_ALPHABET.as_bytes();
    let mut rng = rand::rng();
    (0..USER_CODE_LEN)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

impl Displays {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                approvals: watch::channel(0).0,
                starts: limiter(10, 10),
                wrong_codes: limiter(10, 10),
            }),
        }
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Forgets idle rate-limit keys (call now and then).
    pub fn shrink(&self) {
        self.inner.starts.retain_recent();
        self.inner.wrong_codes.retain_recent();
    }

    /// Starts a pairing for a screen at `peer`.
    pub async fn start(&self, peer: IpAddr) -> Result<Started, PairingError> {
        check(&self.inner.starts, &peer)?;
        let (secret, device_hash) = new_code();
        let now = Utc::now().timestamp();
        let expires_at = now + secs(PAIRING_TTL);
        let user_code = self
            .store()
            .call(move |c| {
                db::prune_pairings(c, now)?;
                // 31^8 codes: a clash with a live one is rare; try again if it happens.
                for _ in 0..8 {
                    let code = new_user_code();
                    if db::insert_pairing(c, &device_hash, &code, now, expires_at)? {
                        return Ok(Some(code));
                    }
                }
                Ok(None)
            })
            .await?
            .ok_or_else(|| StoreError::Task("no free pairing code".into()))?;
        Ok(Started {
            secret,
            user_code,
            expires_at: at(expires_at),
        })
    }

    /// The state of the screen's pairing, waiting up to `wait` for an approval.
    pub async fn poll(
        &self,
        secret: &str,
        wait: Duration,
        shutdown: &CancellationToken,
    ) -> Result<Poll, PairingError> {
        let device_hash = hash_code(secret);
        let deadline = tokio::time::Instant::now() + wait;
        let mut approvals = self.inner.approvals.subscribe();
        loop {
            let hash = device_hash.clone();
            let now = Utc::now().timestamp();
            let found = self
                .store()
                .call(move |c| {
                    let Some(pending) = db::pending(c, &hash, now)? else {
                        return Ok(None);
                    };
                    let display = match &pending.display_id {
                        Some(id) => db::display(c, id)?,
                        None => None,
                    };
                    Ok(Some((pending, display)))
                })
                .await?;
            let (pending, display) = found.ok_or(PairingError::Gone)?;
            if let Some(display) = display {
                return Ok(Poll::Paired(display));
            }
            let pending = Poll::Pending {
                expires_at: at(pending.expires_at),
            };
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(pending);
            }
            let nap = RECHECK.min(deadline - now);
            tokio::select! {
                () = shutdown.cancelled() => return Ok(pending),
                _ = approvals.changed() => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rappu_shared::pairing::normalize_user_code;

    use super::*;

    #[test]
    fn user_codes_use_only_the_unambiguous_alphabet() {
        for _ in 0..200 {
            let code = new_user_code();
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        }
        assert_ne!(new_user_code(), new_user_code());
    }
}
