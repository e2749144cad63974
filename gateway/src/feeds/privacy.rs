//! Who may appear on a public screen: **one rule, in one place**, for every person a feed
//! can show — residents on the apartment list and every contact (manager, maintenance
//! company, board chair).
//!
//! A party may be named only if all of these hold:
//! - the connection does not ask to be left off the display (`PiilotaPorrasnaytolta`);
//! - the party is not archived (`Arkistoitu`);
//! - a person is known *not* to be under turvakielto (`Turvakielto: false`; a missing flag,
//!   or a party whose kind Rappu cannot read, counts as a protected person);
//! - and, decided by date where the feed is assembled ([`super::assemble::in_force_dates`]),
//!   the connection is in force today (a current resident; a staff member not yet gone).
//!
//! Ongoing work never shows text a resident wrote (a title can name a neighbour): only the
//! job's place, its category from Tampuuri's pick list and its state; titles only of jobs
//! the property manager or the maintenance company entered, and only when the operator
//! turns that on ([`super::compact::work`]).
//!
//! The rule is applied where Tampuuri's data enters the cache ([`super::compact`]), so a
//! protected name is never held in memory, and again when a change notification arrives
//! ([`super::resources::Redaction`]), so a name that became protected leaves every screen
//! before the notification is answered.

use rappu_shared::display::FeedContact;

use crate::upstream::tampuuri::model::{Connection, Party, PartyKind};

/// Whether `party` is a company (a business contact); anything else is treated as a person.
pub fn is_company(party: &Party) -> bool {
    party.kind == Some(PartyKind::Company)
}

/// The rule: whether the party of connection `c` may be named on a display at all (the
/// date is checked when the feed is assembled).
pub fn may_name(c: &Connection) -> bool {
    if c.hide_from_display == Some(true) || c.party.archived_at.is_some() {
        return false;
    }
    is_company(&c.party) || c.party.non_disclosure == Some(false)
}

/// The surname a resident connection may put on the board, if any. Residents are named
/// only as persons.
pub fn resident_surname(c: &Connection) -> Option<Box<str>> {
    if is_company(&c.party) || !may_name(c) {
        return None;
    }
    trimmed(c.party.last_name.as_deref())
}

/// The contact a staff connection (manager, maintenance company, board chair) may show.
pub fn staff_contact(c: &Connection) -> Option<FeedContact> {
    if !may_name(c) {
        return None;
    }
    let p = &c.party;
    let name = match (p.first_name.as_deref(), p.last_name.as_deref()) {
        (Some(first), Some(last)) if !is_company(p) => format!("{} {}", first.trim(), last.trim())
            .trim()
            .to_owned(),
        _ => p.name.as_deref().map(str::trim).unwrap_or("").to_owned(),
    };
    (!name.is_empty()).then(|| FeedContact {
        name,
        phone: trimmed(p.phone.as_deref())
            .or_else(|| trimmed(p.mobile.as_deref()))
            .map(String::from),
        email: trimmed(p.email.as_deref()).map(String::from),
    })
}

fn trimmed(s: Option<&str>) -> Option<Box<str>> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(Box::from)
}
