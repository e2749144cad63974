//! A resident session holds only while its holder lives in the apartment.
//!
//! Every resident request asks [`ResidencyCheck::still_lives`]: the answer the account
//! mirror gives (the party's resident connections to the apartment and their move-out
//! dates, kept current by Tampuuri's webhooks; no Tampuuri call) is kept for
//! `signin.residency_check_secs`, and the kept move-out date is compared with today's
//! Finnish date on every request, so a move-out date known at the last check ends access
//! exactly when that day ends; one entered later takes effect at the next check. While
//! the mirror cannot answer (the account still loading, its database failing), a session
//! it has not refused is let through (it was checked when it was opened), and the failure
//! is logged: a check waits at most [`CHECK_WAIT`], and an account that could not be asked
//! is not asked again for [`UNREACHABLE_FOR`], so an outage never slows residents down.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use moka::future::Cache;

use crate::feeds::assemble::in_force_dates;
use crate::mirror::Mirror;
use crate::mirror::sync::MirrorError;
use crate::upstream::tampuuri::model::ConnectionRole;

/// What Tampuuri said at the last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// A current resident, until the end of `ends` if known.
    Lives { ends: Option<NaiveDate> },
    /// Not (or no longer) a resident of the apartment.
    Gone,
}

/// Longest a request waits for a check.
pub const CHECK_WAIT: Duration = Duration::from_secs(2);
/// How long an account whose check failed is not asked again.
pub const UNREACHABLE_FOR: Duration = Duration::from_secs(30);

/// The residency check; cheap to clone.
#[derive(Clone)]
pub struct ResidencyCheck {
    mirror: Mirror,
    known: Cache<(Arc<str>, u64, u64), Known>,
    unreachable: Cache<Arc<str>, ()>,
}

impl std::fmt::Debug for ResidencyCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidencyCheck").finish_non_exhaustive()
    }
}

impl ResidencyCheck {
    /// Checks in `mirror`, trusting an answer for `every`.
    pub fn new(mirror: Mirror, every: Duration) -> Self {
        Self {
            mirror,
            known: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(every)
                .build(),
            unreachable: Cache::builder()
                .max_capacity(1_000)
                .time_to_live(UNREACHABLE_FOR)
                .build(),
        }
    }

    /// Whether `party` of `account` lives in `apartment` on `today`.
    pub async fn still_lives(
        &self,
        account: &str,
        party: u64,
        apartment: u64,
        today: NaiveDate,
    ) -> bool {
        let account_key = Arc::<str>::from(account);
        let key = (Arc::clone(&account_key), party, apartment);
        let known = match self.known.get(&key).await {
            Some(known) => Ok(known),
            None if self.unreachable.contains_key(&account_key) => return true,
            None => {
                let mirror = self.mirror.clone();
                let account_name = account.to_owned();
                let check = self.known.try_get_with(key, async move {
                    read(&mirror, &account_name, party, apartment, today).await
                });
                match tokio::time::timeout(CHECK_WAIT, check).await {
                    Ok(Ok(known)) => Ok(known),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("the account mirror did not answer in time".to_owned()),
                }
            }
        };
        match known {
            Ok(Known::Lives { ends }) => ends.is_none_or(|end| end >= today),
            Ok(Known::Gone) => {
                // Not kept: the mirror may be a moment behind a move-in, and asking it again
                // costs no Tampuuri call.
                self.known
                    .invalidate(&(account_key, party, apartment))
                    .await;
                false
            }
            Err(error) => {
                tracing::warn!(
                    account,
                    error,
                    "could not check a resident session against the account mirror; letting it through"
                );
                self.unreachable.insert(account_key, ()).await;
                true
            }
        }
    }
}

async fn read(
    mirror: &Mirror,
    account: &str,
    party: u64,
    apartment: u64,
    today: NaiveDate,
) -> Result<Known, MirrorError> {
    if !crate::upstream::tampuuri::is_possible_id(apartment) {
        return Ok(Known::Gone);
    }
    let connections = mirror.party_connections(account, party).await?;
    // The latest move-out among the party's connections in force today (none = open-ended).
    let mut lives = None::<Option<NaiveDate>>;
    for c in connections.iter().filter(|c| {
        c.party.id == party
            && c.object_id == apartment
            && c.role == ConnectionRole::Resident
            && c.party.archived_at.is_none()
            && in_force_dates(c.starts, c.ends, today)
    }) {
        lives = Some(match (lives.flatten(), c.ends) {
            (_, None) => None,
            (Some(a), Some(b)) => Some(a.max(b)),
            (None, Some(b)) if lives.is_none() => Some(b),
            (None, Some(_)) => None,
        });
    }
    Ok(match lives {
        Some(ends) => Known::Lives { ends },
        None => Known::Gone,
    })
}
