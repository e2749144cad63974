//! Which cached resources a notification makes stale.
//!
//! The index built while assembling feeds maps the notification's ids to buildings. An id
//! the index does not know falls back to every cached resource of the affected kind: a
//! wasted call or two, never a stale name on a screen.

use crate::feeds::FeedService;
use crate::feeds::resources::Resource;
use crate::store::webhooks::NotificationRecord;

/// Resources to mark stale and buildings whose feeds to rebuild.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Resources to invalidate.
    pub resources: Vec<Resource>,
    /// Buildings whose feeds depend on them.
    pub buildings: Vec<u64>,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.buildings.is_empty()
    }

    fn add(&mut self, resource: Resource, building: u64) {
        if !self.resources.contains(&resource) {
            self.resources.push(resource);
        }
        if !self.buildings.contains(&building) {
            self.buildings.push(building);
        }
    }
}

fn id(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// The kind of change an action names (Tampuuri's action names, plus the simulator's
/// assumed `Uutinen*` for news).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Report,
    Connection,
    Party,
    News,
    Object,
    Other,
}

fn kind(action: &str) -> Kind {
    if action.starts_with("Ilmoitus") {
        Kind::Report
    } else if action.starts_with("KohdeOsapuoli") {
        Kind::Connection
    } else if action.starts_with("Osapuoli") {
        Kind::Party
    } else if action.starts_with("Uutinen") {
        Kind::News
    } else if action.starts_with("Kohde") {
        Kind::Object
    } else {
        Kind::Other
    }
}

/// The plan for one notification of `account`.
pub fn plan(feeds: &FeedService, account: &str, n: &NotificationRecord) -> Plan {
    let mut plan = Plan::default();
    let index = |f: &dyn Fn(&crate::feeds::index::AccountIndex) -> Vec<(Resource, u64)>| {
        feeds.with_index(account, |i| f(i)).unwrap_or_default()
    };
    let everything = |pick: &dyn Fn(&Resource) -> Option<u64>| -> Vec<(Resource, u64)> {
        feeds
            .cached_resources(account, |r| pick(r).is_some())
            .into_iter()
            .filter_map(|r| pick(&r).map(|b| (r, b)))
            .collect()
    };
    let found: Vec<(Resource, u64)> = match kind(&n.action) {
        Kind::Report => {
            let object = id(&n.reference_data);
            let known = index(&|i| {
                object
                    .and_then(|o| i.building_of(o))
                    .map(|b| vec![(Resource::OpenReports(b), b)])
                    .unwrap_or_default()
            });
            if known.is_empty() {
                everything(&|r| match r {
                    Resource::OpenReports(b) => Some(*b),
                    _ => None,
                })
            } else {
                known
            }
        }
        Kind::Connection => {
            let object = id(&n.reference_id);
            let known = index(&|i| match object {
                Some(o) if i.is_property(o) => i
                    .buildings_of_property(o)
                    .into_iter()
                    .map(|b| (Resource::Staff(o), b))
                    .collect(),
                Some(o) => i
                    .building_of(o)
                    .map(|b| vec![(Resource::Residents(b), b)])
                    .unwrap_or_default(),
                None => Vec::new(),
            });
            if known.is_empty() {
                let mut all = everything(&|r| match r {
                    Resource::Residents(b) => Some(*b),
                    _ => None,
                });
                all.extend(index(&|i| {
                    i.buildings()
                        .into_iter()
                        .filter_map(|b| i.property_of(b).map(|p| (Resource::Staff(p), b)))
                        .collect()
                }));
                all
            } else {
                known
            }
        }
        Kind::Party => {
            // A party no feed names cannot change any feed.
            let party = id(&n.reference_id);
            index(&|i| {
                party
                    .map(|p| i.buildings_of_party(p))
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|b| {
                        let mut v = vec![(Resource::Residents(b), b)];
                        if let Some(p) = i.property_of(b) {
                            v.extend(
                                i.buildings_of_property(p)
                                    .into_iter()
                                    .map(|sib| (Resource::Staff(p), sib)),
                            );
                        }
                        v
                    })
                    .collect()
            })
        }
        Kind::News => {
            let object = id(&n.reference_data);
            let known = index(&|i| match object {
                Some(o) if i.is_property(o) => i
                    .buildings_of_property(o)
                    .into_iter()
                    .map(|b| (Resource::Announcements(b), b))
                    .collect(),
                Some(o) => i
                    .building_of(o)
                    .map(|b| vec![(Resource::Announcements(b), b)])
                    .unwrap_or_default(),
                None => Vec::new(),
            });
            if known.is_empty() {
                everything(&|r| match r {
                    Resource::Announcements(b) => Some(*b),
                    _ => None,
                })
            } else {
                known
            }
        }
        Kind::Object => {
            let object = id(&n.reference_id);
            let known = index(&|i| match object {
                Some(o) if i.is_property(o) => i
                    .buildings_of_property(o)
                    .into_iter()
                    .map(|b| (Resource::Object(o), b))
                    .collect(),
                Some(o) => i
                    .building_of(o)
                    .map(|b| vec![(Resource::BuildingTree(b), b), (Resource::Object(b), b)])
                    .unwrap_or_default(),
                None => Vec::new(),
            });
            if known.is_empty() {
                everything(&|r| match r {
                    Resource::BuildingTree(b) => Some(*b),
                    _ => None,
                })
            } else {
                known
            }
        }
        Kind::Other => Vec::new(),
    };
    for (resource, building) in found {
        plan.add(resource, building);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_classified() {
        assert_eq!(kind("IlmoitusTilamuutos"), Kind::Report);
        assert_eq!(kind("KohdeOsapuoliMuokkaa"), Kind::Connection);
        assert_eq!(kind("OsapuoliTietoMuokkaa"), Kind::Party);
        assert_eq!(kind("UutinenUusi"), Kind::News);
        assert_eq!(kind("KohdePoista"), Kind::Object);
        assert_eq!(kind("Testitapahtuma"), Kind::Other);
        assert_eq!(kind("SopimusUusi"), Kind::Other);
    }
}
