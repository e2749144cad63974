//! Where an object is: its building and property, read from the account mirror's copy of
//! Tampuuri's object registry (Tampuuri itself only for an object the mirror does not have
//! yet), kept a day (the tree almost never changes). Used to word a sign-in mail ("A 12, As Oy
//! Koivukuja 3") and to decide whether a third-party app's scope covers an object.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::property::name_of;
use crate::upstream::tampuuri::model::{Object, ObjectKind};
use crate::upstream::tampuuri::{Tampuuri, UpstreamError};

/// An object's building and property, as far as the registry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lineage {
    /// The object itself.
    pub object: u64,
    /// Its building (itself when it is one); none for a property or an object outside one.
    pub building: Option<u64>,
    /// Its property (cost centre).
    pub property: Option<u64>,
}

/// Registry objects by account and id, cached; cheap to clone.
#[derive(Clone)]
pub struct Places {
    tampuuri: Tampuuri,
    mirror: crate::mirror::Mirror,
    objects: Cache<(String, u64), Arc<Object>>,
}

impl std::fmt::Debug for Places {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Places").finish_non_exhaustive()
    }
}

/// Objects are kept this long.
const KEEP: Duration = Duration::from_secs(86_400);
/// Deepest tree walked (property → building → staircase → apartment, with room to spare).
const MAX_DEPTH: usize = 6;

impl Places {
    /// Places read from `mirror`, and through `tampuuri` for what it does not have.
    pub fn new(tampuuri: Tampuuri, mirror: crate::mirror::Mirror) -> Self {
        Self {
            tampuuri,
            mirror,
            objects: Cache::builder()
                .max_capacity(50_000)
                .time_to_live(KEEP)
                .build(),
        }
    }

    /// One object (concurrent misses make one call).
    pub async fn object(&self, account: &str, id: u64) -> Result<Arc<Object>, UpstreamError> {
        let client =
            self.tampuuri
                .account(account)
                .cloned()
                .ok_or_else(|| UpstreamError::Unauthorized {
                    account: account.to_owned(),
                })?;
        let (mirror, name) = (self.mirror.clone(), account.to_owned());
        self.objects
            .try_get_with((account.to_owned(), id), async move {
                match mirror.object(&name, id).await {
                    Ok(Some(object)) => Ok(Arc::new(object)),
                    // Not in the mirror (yet), or the mirror cannot be read: ask Tampuuri.
                    Ok(None) | Err(_) => client.object(id).await.map(Arc::new),
                }
            })
            .await
            .map_err(|e| (*e).clone())
    }

    /// The building and property of object `id`.
    pub async fn lineage(&self, account: &str, id: u64) -> Result<Lineage, UpstreamError> {
        let mut lineage = Lineage {
            object: id,
            building: None,
            property: None,
        };
        let mut current = self.object(account, id).await?;
        for _ in 0..MAX_DEPTH {
            if lineage.property.is_none() {
                lineage.property = current.cost_centre_id;
            }
            match current.kind {
                ObjectKind::Building => lineage.building = Some(current.id),
                ObjectKind::CostCentre => {
                    lineage.property = Some(current.id);
                    break;
                }
                _ => {}
            }
            if lineage.building.is_some() && lineage.property.is_some() {
                break;
            }
            let Some(parent) = current.parent() else {
                break;
            };
            current = self.object(account, parent).await?;
        }
        Ok(lineage)
    }

    /// "A 12, As Oy Koivukuja 3" for an apartment, and the property's name.
    pub async fn apartment_label(
        &self,
        account: &str,
        apartment: u64,
    ) -> Result<(String, String), UpstreamError> {
        let object = self.object(account, apartment).await?;
        let flat = object
            .code
            .clone()
            .or_else(|| object.name.clone())
            .unwrap_or_else(|| format!("#{apartment}"));
        let lineage = self.lineage(account, apartment).await?;
        let property = match lineage.property {
            Some(p) => name_of(&*self.object(account, p).await?),
            None => String::new(),
        };
        let place = if property.is_empty() {
            object.street_address.clone().unwrap_or_default()
        } else {
            property.clone()
        };
        let label = if place.is_empty() {
            flat
        } else {
            format!("{flat}, {place}")
        };
        Ok((label, property))
    }
}
