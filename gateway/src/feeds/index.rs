//! Where Tampuuri objects and parties appear, learned while building feeds, so a webhook
//! notification (which carries only an id) maps to the buildings it affects.

use std::collections::{HashMap, HashSet};

/// What one building's feed was built from.
#[derive(Debug, Default, Clone)]
pub struct BuildingFootprint {
    /// The property (cost centre).
    pub property: Option<u64>,
    /// Every object in the building (itself, staircases, apartments).
    pub objects: Vec<u64>,
    /// Every party named in its residents or staff.
    pub parties: Vec<u64>,
}

/// The index of one account.
#[derive(Debug, Default)]
pub struct AccountIndex {
    object_building: HashMap<u64, u64>,
    party_buildings: HashMap<u64, HashSet<u64>>,
    property_buildings: HashMap<u64, HashSet<u64>>,
    footprints: HashMap<u64, BuildingFootprint>,
}

impl AccountIndex {
    /// Records (or replaces) what `building` was built from.
    pub fn record(&mut self, building: u64, footprint: BuildingFootprint) {
        if let Some(old) = self.footprints.remove(&building) {
            for object in &old.objects {
                if self.object_building.get(object) == Some(&building) {
                    self.object_building.remove(object);
                }
            }
            for party in &old.parties {
                if let Some(set) = self.party_buildings.get_mut(party) {
                    set.remove(&building);
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
        for party in &footprint.parties {
            self.party_buildings
                .entry(*party)
                .or_default()
                .insert(building);
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

    /// The buildings whose feeds name `party`.
    pub fn buildings_of_party(&self, party: u64) -> Vec<u64> {
        self.party_buildings
            .get(&party)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
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
                objects: vec![10, 11, 12],
                parties: vec![100, 101],
            },
        );
        index.record(
            20,
            BuildingFootprint {
                property: Some(1),
                objects: vec![20, 21],
                parties: vec![101],
            },
        );
        assert_eq!(index.building_of(12), Some(10));
        let mut b = index.buildings_of_party(101);
        b.sort_unstable();
        assert_eq!(b, vec![10, 20]);
        assert!(index.is_property(1));
        // Party 100 moved out of building 10.
        index.record(
            10,
            BuildingFootprint {
                property: Some(1),
                objects: vec![10, 11, 12],
                parties: vec![101],
            },
        );
        assert!(index.buildings_of_party(100).is_empty());
        assert_eq!(index.property_of(20), Some(1));
    }
}
