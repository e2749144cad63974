//! Every Tampuuri route Rappu calls, in one place.
//!
//! Paths marked *assumed* are not named in the vendor's documents; they are the simulator's
//! choice (see `sim/README.md`) and must be verified against a real Tampuuri account first.

use reqwest::Method;

/// One Tampuuri route: method, path template relative to the base URL, and whether it is
/// safe to retry (GET and the `selaa` search POSTs change nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template; `{id}` is replaced by the object's id.
    pub template: &'static str,
    /// `"<METHOD> <template>"`: the key calls are counted (and billed) under.
    pub label: &'static str,
    /// Safe to retry after a failure.
    pub safe: bool,
}

macro_rules! route {
    ($name:ident, $doc:literal, GET $path:literal) => {
        #[doc = $doc]
        pub const $name: Route = Route {
            method: Method::GET,
            template: $path,
            label: concat!("GET ", $path),
            safe: true,
        };
    };
    ($name:ident, $doc:literal, POST $path:literal, safe = $safe:literal) => {
        #[doc = $doc]
        pub const $name: Route = Route {
            method: Method::POST,
            template: $path,
            label: concat!("POST ", $path),
            safe: $safe,
        };
    };
}

route!(COST_CENTRES, "All cost centres (housing companies) (vendor (seed)).", GET "kustannuspaikat/selaa");
route!(OBJECT, "One object: property, building, staircase or apartment (vendor (seed)).", GET "kohteet/{id}");
route!(OBJECT_DESCENDANTS, "Objects below one object, filtered by kind (vendor (seed) path; descendant semantics assumed).", POST "kohteet/{id}/selaa", safe = true);
route!(CONNECTIONS, "Parties connected to objects: residents, managers, maintenance (vendor (seed) path; body assumed).", POST "osapuolet/yhteydet/selaa", safe = true);
route!(PERSONS, "Persons found by a search word, `?Hakusana=` (vendor (seed); that the word is matched against the email is assumed).", GET "osapuolet/henkilot");
route!(PARTY, "One party (assumed path).", GET "osapuolet/{id}");
route!(PARTIES, "Many parties by id, non-archived only, in one call (vendor (help page)).", POST "osapuolitiedot/osapuolet/hae", safe = true);
route!(ANNOUNCEMENTS, "Announcements (news) of an object and its ancestors (assumed route).", POST "uutiset/selaa", safe = true);
route!(FAULT_REPORTS, "Search fault reports (vendor (seed)).", POST "ilmoitukset/selaa", safe = true);
route!(FAULT_REPORT, "One fault report (vendor (help page): third-party connectors read it).", GET "ilmoitukset/{id}");
route!(FAULT_REPORT_CREATE, "Create a fault report with its attachments; answers the new id only (vendor (help page)). Not safe: a retry could file it twice.", POST "ilmoitukset/lisaa", safe = false);
route!(FAULT_REPORT_RECEIVE, "Assignee takes the report: received (vendor (seed)).", POST "ilmoitukset/{id}/vastaanota", safe = false);
route!(FAULT_REPORT_HOLD, "Put on hold with a reason: waiting (vendor (seed)).", POST "ilmoitukset/{id}/odotukseen", safe = false);
route!(FAULT_REPORT_DONE, "Assignee marks the work done (vendor (seed)).", POST "ilmoitukset/{id}/kuittaatehdyksi", safe = false);

/// The routes retried after a transient failure (the retry counter's series).
pub const SAFE_ROUTES: [&Route; 9] = [
    &COST_CENTRES,
    &OBJECT,
    &OBJECT_DESCENDANTS,
    &CONNECTIONS,
    &PARTY,
    &PARTIES,
    &ANNOUNCEMENTS,
    &FAULT_REPORTS,
    &FAULT_REPORT,
];

/// Every route Rappu calls.
pub const ALL_ROUTES: [&Route; 13] = [
    &COST_CENTRES,
    &OBJECT,
    &OBJECT_DESCENDANTS,
    &CONNECTIONS,
    &PARTY,
    &PARTIES,
    &ANNOUNCEMENTS,
    &FAULT_REPORTS,
    &FAULT_REPORT,
    &FAULT_REPORT_CREATE,
    &FAULT_REPORT_RECEIVE,
    &FAULT_REPORT_HOLD,
    &FAULT_REPORT_DONE,
];

impl Route {
    /// The path for object `id` (routes without `{id}` ignore it).
    pub fn path(&self, id: Option<u64>) -> String {
        match id {
            Some(id) => self.template.replace("{id}", &id.to_string()),
            None => self.template.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_paths() {
        assert_eq!(OBJECT.label, "GET kohteet/{id}");
        assert_eq!(OBJECT.path(Some(42)), "kohteet/42");
        assert_eq!(FAULT_REPORTS.label, "POST ilmoitukset/selaa");
        let safe: Vec<bool> = [&FAULT_REPORTS, &FAULT_REPORT_CREATE, &FAULT_REPORT_RECEIVE]
            .iter()
            .map(|r| r.safe)
            .collect();
        assert_eq!(safe, [true, false, false]);
        assert!(SAFE_ROUTES.iter().all(|r| r.safe));
        assert_eq!(COST_CENTRES.path(None), "kustannuspaikat/selaa");
    }
}
