//! Which cached resources a notification makes stale, and what it removes from them at once.
//!
//! Structure (objects, announcements, reports) maps to buildings through the index built
//! while assembling feeds; an id the index does not know falls back to every cached resource
//! of the affected kind: a wasted call or two, never a stale screen. People are found in the
//! cached data itself (and in every fetch of their kind in the air): a notification about a
//! party or a connection redacts that party's name, or the apartment's names, from every
//! copy at once ([`Redaction`]), before the webhook is answered; the refetch says what may
//! come back.

use crate::feeds::FeedService;
use crate::feeds::resources::{Redaction, Resource, ResourceData};
use crate::store::webhooks::NotificationRecord;

/// Resources to mark stale, each with what to remove from it at once.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Resources and their redactions.
    pub changes: Vec<(Resource, Option<Redaction>)>,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    fn add(&mut self, resource: Resource, redaction: Option<Redaction>) {
        if !self.changes.contains(&(resource.clone(), redaction)) {
            self.changes.push((resource, redaction));
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

/// The metric label of notifications whose action Rappu does not know.
pub const UNKNOWN_ACTION: &str = "unknown";

/// The metric label of `action`: the action's name when it names a kind of change Rappu
/// acts on and looks like one of Tampuuri's names (at most 48 ASCII letters), else
/// [`UNKNOWN_ACTION`], so a label's values stay few whatever a delivery says.
pub fn action_label(action: &str) -> &str {
    let plausible =
        !action.is_empty() && action.len() <= 48 && action.bytes().all(|b| b.is_ascii_alphabetic());
    if plausible && kind(action) != Kind::Other {
        action
    } else {
        UNKNOWN_ACTION
    }
}

fn is_people(r: &Resource) -> bool {
    matches!(r, Resource::Residents(_) | Resource::Staff(_))
}

/// The plan for one notification of `account`.
pub fn plan(feeds: &FeedService, account: &str, n: &NotificationRecord) -> Plan {
    let mut plan = Plan::default();
    let index = |f: &dyn Fn(&crate::feeds::index::AccountIndex) -> Vec<Resource>| {
        feeds.with_index(account, |i| f(i)).unwrap_or_default()
    };
    let every = |pick: &dyn Fn(&Resource) -> bool| feeds.resources_where(account, pick, |_| true);
    let mut known_or_every = |known: Vec<Resource>, pick: &dyn Fn(&Resource) -> bool| {
        let found = if known.is_empty() { every(pick) } else { known };
        for r in found {
            plan.add(r, None);
        }
    };
    match kind(&n.action) {
        Kind::Report => {
            let object = id(&n.reference_data);
            let known = index(&|i| {
                object
                    .and_then(|o| i.building_of(o))
                    .map(|b| vec![Resource::OpenReports(b)])
                    .unwrap_or_default()
            });
            known_or_every(known, &|r| matches!(r, Resource::OpenReports(_)));
        }
        Kind::News => {
            let object = id(&n.reference_data);
            let known = index(&|i| match object {
                Some(o) if i.is_property(o) => i
                    .buildings_of_property(o)
                    .into_iter()
                    .map(Resource::Announcements)
                    .collect(),
                Some(o) => i
                    .building_of(o)
                    .map(|b| vec![Resource::Announcements(b)])
                    .unwrap_or_default(),
                None => Vec::new(),
            });
            known_or_every(known, &|r| matches!(r, Resource::Announcements(_)));
        }
        Kind::Object => {
            let object = id(&n.reference_id);
            let known = index(&|i| match object {
                Some(o) if i.is_property(o) => vec![Resource::Object(o)],
                Some(o) => i
                    .building_of(o)
                    .map(|b| vec![Resource::BuildingTree(b), Resource::Object(b)])
                    .unwrap_or_default(),
                None => Vec::new(),
            });
            known_or_every(known, &|r| matches!(r, Resource::BuildingTree(_)));
        }
        Kind::Party => {
            // Wherever the party is named (or could be, in a fetch in the air).
            if let Some(party) = id(&n.reference_id) {
                people(feeds, account, party, &mut plan);
            }
        }
        Kind::Connection => {
            let object = id(&n.reference_id);
            let party = id(&n.reference_secondary_id);
            if let Some(p) = party {
                people(feeds, account, p, &mut plan);
            }
            let on_property = object.is_some_and(|o| {
                feeds.with_index(account, |i| i.is_property(o)) == Some(true)
                    || !feeds
                        .resources_where(account, |r| *r == Resource::Staff(o), |_| true)
                        .is_empty()
            });
            match object {
                Some(o) if on_property => plan.add(
                    Resource::Staff(o),
                    Some(party.map_or(Redaction::AllContacts, Redaction::Party)),
                ),
                Some(o) => {
                    let mut found = feeds.resources_where(
                        account,
                        |r| matches!(r, Resource::Residents(_)),
                        |d: &ResourceData| d.mentions_apartment(o),
                    );
                    found.extend(index(&|i| {
                        i.building_of(o)
                            .map(|b| vec![Resource::Residents(b)])
                            .unwrap_or_default()
                    }));
                    if found.is_empty() {
                        // An object no cached feed shows: whatever it is, refetch residents.
                        for r in every(&|r| matches!(r, Resource::Residents(_))) {
                            plan.add(r, None);
                        }
                    }
                    for r in found {
                        plan.add(r, Some(Redaction::Apartment(o)));
                    }
                }
                None => {
                    for r in every(&is_people) {
                        plan.add(r, None);
                    }
                }
            }
        }
        Kind::Other => {}
    }
    plan
}

/// Every cached resource naming `party`, and every fetch of people in the air, redacted.
fn people(feeds: &FeedService, account: &str, party: u64, plan: &mut Plan) {
    for r in feeds.resources_where(account, is_people, |d| d.mentions_party(party)) {
        plan.add(r, Some(Redaction::Party(party)));
    }
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
