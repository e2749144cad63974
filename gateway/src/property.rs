//! Properties and buildings, shaped from Tampuuri's object registry (as the account mirror
//! holds it: no call per request).

use rappu_shared::{Address, Building, Property};

use crate::mirror::Mirror;
use crate::upstream::tampuuri::UpstreamError;
use crate::upstream::tampuuri::model::Object;

/// The address of an object, with empty strings for parts Tampuuri does not have.
pub fn address_of(object: &Object) -> Address {
    Address {
        street: object.street_address.clone().unwrap_or_default(),
        postal_code: object.postal_code.clone().unwrap_or_default(),
        city: object.city.clone().unwrap_or_default(),
    }
}

/// A display name: `Nimi`, else `Tunnus`, else the id.
pub fn name_of(object: &Object) -> String {
    object
        .name
        .clone()
        .or_else(|| object.code.clone())
        .unwrap_or_else(|| format!("#{}", object.id))
}

/// Every property of the account, from the mirror.
pub async fn properties(mirror: &Mirror, account: &str) -> Result<Vec<Property>, UpstreamError> {
    Ok(mirror.properties(account).await?)
}

/// One building with its staircases, from the mirror. An id that is not a building is "not
/// found".
pub async fn building(mirror: &Mirror, account: &str, id: u64) -> Result<Building, UpstreamError> {
    Ok(mirror.building(account, id).await?)
}
