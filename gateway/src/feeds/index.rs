//! Where Tampuuri objects appear, learned while building feeds, so a webhook notification
//! (which carries only an id) maps to the buildings it affects when the account mirror
//! cannot say (see `webhooks::invalidation`). People are found in the cached data itself,
//! not here: the index keeps no party ids (at 10,000 buildings a set of buildings per party
//! cost ~60 MB that no lookup used).
//!
//! Only a feed service that keeps its resources ([`super::resources::Keep::Values`])
//! records footprints. Over the account mirror (production) the index stays empty: the
//! mirror maps a notification to its resources, and when it cannot be read the fallback
//! finds no building here and takes every built feed's resource of the kind (a rebuild of
//! each, never a missed one; people never went through the index). At 10,000 buildings the
//! index held ~230,000 objects (~7 MB in a heap profile).

use std::collections::{HashMap, HashSet};

/// What one building's feed was built from.
#[derive(Debug, Default, Clone)]
pub struct BuildingFootprint {
    /// The property (cost centre).
    pub property: Option<u64>,
    /// Every object in the building (itself, staircases, apartments).
    pub objects: Box<[u64]>,
}

/// The index of one account.
#[derive(Debug, Default)]
pub struct AccountIndex {
    object_building: HashMap<u64, u64>,
    property_buildings: HashMap<u64, HashSet<u64>>,
    footprints: HashMap<u64, BuildingFootprint>,
}

impl AccountIndex {
    /// Records (or replaces) what `building` was built from.
    pub fn record(&mut self, building: u64, footprint: BuildingFootprint) {
        if let Some(old) = self.footprints.get(&building)
            && old.property == footprint.property
            && old.objects == footprint.objects
        {
            return;
        }
        if let Some(old) = self.footprints.remove(&building) {
            for object in &old.objects {
                if self.object_building.get(object) == Some(&building) {
                    self.object_building.remove(object);
                }
            }
            if let Some(set) = old
                .property
                .and_then(|p| self.property_buildings.get_mut(&p))
            {
                set.remove(&building);
            }
        }
        for object in &footprint.objects {
            self.object_building.insert(*object, building);
        }
        if let Some(property) = footprint.property {
            self.property_buildings
                .entry(property)
                .or_default()
                .insert(building);
        }
        self.footprints.insert(building, footprint);
    }

    /// The building an object belongs to (or is).
    pub fn building_of(&self, object: u64) -> Option<u64> {
        self.object_building.get(&object).copied()
    }

    /// The buildings of a property.
    pub fn buildings_of_property(&self, property: u64) -> Vec<u64> {
        self.property_buildings
            .get(&property)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Whether `id` is a known property.
    pub fn is_property(&self, id: u64) -> bool {
        self.property_buildings.contains_key(&id)
    }

    /// The property of a building.
    pub fn property_of(&self, building: u64) -> Option<u64> {
        self.footprints.get(&building).and_then(|f| f.property)
    }

    /// Every building seen.
    pub fn buildings(&self) -> Vec<u64> {
        self.footprints.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ids_to_buildings_and_forgets_old_footprints() {
        let mut index = AccountIndex::default();
        index.record(
            10,
            BuildingFootprint {
                property: Some(1),
                objects: Box::new([10, 11, 12]),
            },
        );
        index.record(
            20,
            BuildingFootprint {
                property: Some(1),
                objects: Box::new([20, 21]),
            },
        );
        assert_eq!(index.building_of(12), Some(10));
        assert!(index.is_property(1));
        let mut b = index.buildings_of_property(1);
        b.sort_unstable();
        assert_eq!(b, vec![10, 20]);
        // Apartment 12 merged away, building 10 moved to property 2.
        index.record(
            10,
            BuildingFootprint {
                property: Some(2),
                objects: Box::new([10, 11]),
            },
        );
        assert_eq!(index.building_of(12), None);
        assert_eq!(index.building_of(11), Some(10));
        assert_eq!(index.buildings_of_property(1), vec![20]);
        assert_eq!(index.property_of(10), Some(2));
        assert_eq!(index.property_of(20), Some(1));
    }
}
