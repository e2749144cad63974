//! Properties and buildings as Rappu shows them (not Tampuuri's objects).

use serde::{Deserialize, Serialize};

/// A street address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    /// Street and number, e.g. `Koivukuja 3`.
    pub street: String,
    /// Postal code, e.g. `00940`.
    pub postal_code: String,
    /// Town, e.g. `Helsinki`.
    pub city: String,
}

/// A housing company or other property (Tampuuri's cost centre).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Property {
    /// Tampuuri object id.
    pub id: u64,
    /// Name, e.g. `As Oy Koivukuja 3`.
    pub name: String,
    /// Address.
    pub address: Address,
}

/// A building with its staircases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Building {
    /// Tampuuri object id.
    pub id: u64,
    /// The property it belongs to.
    pub property_id: Option<u64>,
    /// Name.
    pub name: String,
    /// Address.
    pub address: Address,
    /// Staircases, by name.
    pub staircases: Vec<Staircase>,
}

/// A staircase of a building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Staircase {
    /// Tampuuri object id.
    pub id: u64,
    /// Name, e.g. `A`.
    pub name: String,
}
