//! What each thing the mirror does costs in Tampuuri calls: one source for the code's
//! documentation, `rappu plan`'s cost model ([`crate::plan`]) and the test that holds both to
//! the simulator's own count (`tests/api/economy.rs`).

use super::sync::calls_for;

/// Rows a paged account-wide read asks for at once (`Limit`).
pub const PAGE_ROWS: u64 = 250;

/// A connection changed (`KohdeOsapuoli*`: a move-in or -out, a hide-from-display flag):
/// the party's connections in one search (the apartment's, when the notification names no
/// party).
pub const CONNECTION_CHANGE: u64 = 1;
/// A party changed (`Osapuoli*`: a name, turvakielto): the party's connections, one search
/// carrying its full data. (`osapuolitiedot/osapuolet/hae` reads many parties at once but
/// answers no names or contact details, so it cannot refresh one.)
pub const PARTY_CHANGE: u64 = 1;
/// An object changed (`Kohde*`): the object by id.
pub const OBJECT_CHANGE: u64 = 1;
/// A fault report changed (`Ilmoitus*`): the report by id.
pub const REPORT_CHANGE: u64 = 1;
/// A report filed through Rappu: the create (`ilmoitukset/lisaa`, which answers only the
/// id), the report read back for its number and state, and the fetch its own webhook
/// (`Ilmoitus.Uusi`) causes. The apartment's place comes from the mirror.
pub const REPORT_FILED: u64 = 3;
/// A partner's transition: the call, and the fetch its own webhook causes.
pub const TRANSITION: u64 = 2;

/// One reconciliation of the registry: the properties, then each property's objects.
pub fn registry_sweep(properties: u64, objects: u64) -> u64 {
    if properties == 0 {
        return calls_for(0);
    }
    let per_property = objects.div_ceil(properties);
    calls_for(properties) + properties * calls_for(per_property)
}

/// One reconciliation of people: every connection Rappu keeps (residents, managers,
/// maintenance, board chairs), paged.
pub fn people_sweep(connections: u64) -> u64 {
    calls_for(connections)
}

/// One reconciliation of fault reports: those not closed, paged.
pub fn reports_sweep(unclosed: u64) -> u64 {
    calls_for(unclosed)
}

/// One read of the announcements, paged (also what a news notification costs: Tampuuri
/// has no route for one announcement).
pub fn news_read(announcements: u64) -> u64 {
    calls_for(announcements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_are_paged_by_250() {
        assert_eq!(PAGE_ROWS, 250);
        assert_eq!(people_sweep(0), 1);
        assert_eq!(people_sweep(250), 1);
        assert_eq!(people_sweep(251), 2);
        assert_eq!(people_sweep(16_000), 64);
        // 250 properties with 47 objects each: one call for the list, one each below.
        assert_eq!(registry_sweep(250, 250 * 47), 251);
        // A property with 600 objects below it takes three pages.
        assert_eq!(registry_sweep(1, 600), 4);
        assert_eq!(news_read(1_000), 4);
    }
}
