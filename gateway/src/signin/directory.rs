//! Who may sign in with an address: the *current* residents Tampuuri knows with that
//! `Sahkoposti`, in every account this gateway serves, and the apartments they live in
//! today.
//!
//! Per account: `GET osapuolet/henkilot?Hakusana=<address>` (the vendor's person search),
//! of which only exact matches of the email count (the search may be broader; the account
//! mirror keeps no email addresses, so this one search is Tampuuri's); then each match's
//! resident connections in force today by Finnish date, from the account mirror; then the
//! apartment's label and property from the registry (the mirror's, cached a day). Turvakielto is not a reason to refuse: it is about what others see, not about a
//! resident's own access. An archived party signs in nowhere.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::address::EmailAddress;
use crate::feeds::assemble::in_force;
use crate::places::Places;
use crate::upstream::tampuuri::model::{ConnectionRole, PartyKind};
use crate::upstream::tampuuri::{Tampuuri, UpstreamError};

/// One apartment someone may sign in for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residency {
    /// Tampuuri account.
    pub account: String,
    /// The resident's party id.
    pub party: u64,
    /// The apartment's object id.
    pub apartment: u64,
    /// The move-out date (`Paattyy`), when known: the session ends with that day.
    pub ends: Option<NaiveDate>,
    /// "A 12, As Oy Koivukuja 3".
    pub label: String,
    /// The property's name.
    pub property: String,
}

/// Most persons per address and apartments per sign-in considered (a shared family
/// address has a few; more is a data error, not a reason for many calls).
const MAX_PERSONS: usize = 5;
const MAX_HOMES: usize = 10;

/// Finds residencies by address.
#[derive(Clone)]
pub struct Directory {
    tampuuri: Tampuuri,
    mirror: crate::mirror::Mirror,
    places: Places,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").finish_non_exhaustive()
    }
}

impl Directory {
    /// A directory over every account of `tampuuri`, with connections from `mirror`.
    pub fn new(tampuuri: Tampuuri, mirror: crate::mirror::Mirror, places: Places) -> Self {
        Self {
            tampuuri,
            mirror,
            places,
        }
    }

    /// The apartments whose current residents have `address`, over all accounts, one per
    /// apartment. An account that cannot be read is skipped (logged); if none can be read
    /// the error is returned.
    pub async fn residencies(
        &self,
        address: &EmailAddress,
        today: NaiveDate,
    ) -> Result<Vec<Residency>, UpstreamError> {
        let mut found = Vec::new();
        let mut failure = None;
        let mut read_any = false;
        for account in self.tampuuri.account_names() {
            match self.in_account(account, address, today).await {
                Ok(mut homes) => {
                    read_any = true;
                    found.append(&mut homes);
                }
                Err(e) => {
                    tracing::warn!(account, error = %e, "sign-in: could not look up an address");
                    failure = Some(e);
                }
            }
        }
        match failure {
            Some(e) if !read_any => Err(e),
            _ => {
                found.truncate(MAX_HOMES);
                Ok(found)
            }
        }
    }

    async fn in_account(
        &self,
        account: &str,
        address: &EmailAddress,
        today: NaiveDate,
    ) -> Result<Vec<Residency>, UpstreamError> {
        let client = self
            .tampuuri
            .account(account)
            .ok_or_else(|| UpstreamError::Unauthorized {
                account: account.to_owned(),
            })?;
        let persons = client.find_persons(address.as_str()).await?;
        let mut out: Vec<Residency> = Vec::new();
        for person in persons
            .iter()
            .filter(|p| p.kind != Some(PartyKind::Company))
            .filter(|p| p.archived_at.is_none())
            .filter(|p| p.email.as_deref().is_some_and(|e| address.matches(e)))
            .take(MAX_PERSONS)
        {
            let connections = self.mirror.party_connections(account, person.id).await?;
            for c in connections.iter().filter(|c| {
                c.role == ConnectionRole::Resident
                    && c.party.id == person.id
                    && c.party.archived_at.is_none()
                    && in_force(c, today)
            }) {
                if out.iter().any(|r| r.apartment == c.object_id) || out.len() >= MAX_HOMES {
                    continue;
                }
                let (label, property) = self.places.apartment_label(account, c.object_id).await?;
                out.push(Residency {
                    account: account.to_owned(),
                    party: person.id,
                    apartment: c.object_id,
                    ends: c.ends,
                    label,
                    property,
                });
            }
        }
        Ok(out)
    }
}
