//! Properties and buildings, shaped from Tampuuri's object registry.

use rappu_shared::{Address, Building, Property, Staircase};

use crate::upstream::tampuuri::model::{Object, ObjectKind};
use crate::upstream::tampuuri::{TampuuriClient, UpstreamError};

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

/// Every property of the account.
pub async fn properties(client: &TampuuriClient) -> Result<Vec<Property>, UpstreamError> {
    let objects = client.cost_centres().await?;
    Ok(objects
        .iter()
        .map(|o| Property {
            id: o.id,
            name: name_of(o),
            address: address_of(o),
        })
        .collect())
}

/// One building with its staircases. An id that is not a building is "not found".
pub async fn building(client: &TampuuriClient, id: u64) -> Result<Building, UpstreamError> {
    let object = client.object(id).await?;
    if object.kind != ObjectKind::Building {
        return Err(UpstreamError::NotFound {
            route: crate::upstream::tampuuri::routes::OBJECT.label,
        });
    }
    let mut staircases: Vec<Staircase> = client
        .descendants(id, vec![ObjectKind::Staircase])
        .await?
        .iter()
        .filter(|o| o.kind == ObjectKind::Staircase)
        .map(|o| Staircase {
            id: o.id,
            name: o.staircase.clone().unwrap_or_else(|| name_of(o)),
        })
        .collect();
    staircases.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(Building {
        id: object.id,
        property_id: object.cost_centre_id,
        name: name_of(&object),
        address: address_of(&object),
        staircases,
    })
}
