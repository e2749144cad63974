//! What Tampuuri knows of how to reach a resident, for the portal's report form (its phone
//! field is filled in with it), read from the account mirror; [`ContactCache`] keeps the
//! answer an hour (the phone only, nothing else of the party).

use std::sync::Arc;
use std::time::Duration;

use rappu_shared::report::validate_phone;
use rappu_shared::session::MyContact;

use crate::upstream::tampuuri::UpstreamError;

/// How long a resident's phone is remembered.
pub const TTL: Duration = Duration::from_secs(3600);

/// Residents' phones by account and party; cheap to clone.
#[derive(Clone)]
pub struct ContactCache {
    cache: moka::future::Cache<(String, u64), MyContact>,
}

impl std::fmt::Debug for ContactCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactCache").finish_non_exhaustive()
    }
}

impl Default for ContactCache {
    fn default() -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TTL)
                .build(),
        }
    }
}

/// The number to offer: the mobile number, else the other one, if it is a valid phone.
fn usable(numbers: [Option<String>; 2]) -> Option<String> {
    numbers
        .into_iter()
        .flatten()
        .map(|n| n.trim().to_owned())
        .find(|n| validate_phone(n).is_ok())
}

impl ContactCache {
    /// The contact of `party` of `account`, from the cache or the account mirror.
    pub async fn get(
        &self,
        mirror: &crate::mirror::Mirror,
        account: &str,
        party: u64,
    ) -> Result<MyContact, UpstreamError> {
        self.cache
            .try_get_with((account.to_owned(), party), async {
                let phones = mirror.phones(account, party).await?;
                Ok(MyContact {
                    phone: usable(phones),
                })
            })
            .await
            .map_err(|e: Arc<UpstreamError>| (*e).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn the_mobile_number_first_and_only_a_valid_one() {
        assert_eq!(
            usable([Some(" 040 123 4567 ".into()), Some("09 123 456".into())]).as_deref(),
            Some("040 123 4567")
        );
        assert_eq!(
            usable([Some("ei ole".into()), Some("09 123 456".into())]).as_deref(),
            Some("09 123 456")
        );
        assert_eq!(usable([None, Some(String::new())]), None);
    }
}
