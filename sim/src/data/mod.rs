//! Deterministic generation of an account's data set from its seed.
//!
//! Each property draws from its own random stream ([`Rng::derive`]): what one property
//! looks like does not depend on how many random numbers the others used.
//! The first property is made to contain every interesting case (each kind of resident,
//! each report state, follow-ups, a future announcement) so that even a one-property
//! account can be tested against all of them.

pub(crate) mod names;
mod news;
mod people;
mod property;
mod reports;
mod residents;
pub mod rng;

use chrono::NaiveDate;

use crate::config::AccountSpec;
use crate::model::{Connection, Extra, RegistryObject, Role};
use crate::time::{self, Timestamp};
use crate::world::{OBJECT_BASE, World};
use rng::Rng;

/// Kinds of rows, to derive each row's [`Extra`] from its kind and id.
pub mod tags {
    /// Objects.
    pub const OBJECT: u64 = 1;
    /// Parties.
    pub const PARTY: u64 = 2;
    /// Connections.
    pub const CONNECTION: u64 = 3;
    /// Announcements.
    pub const ANNOUNCEMENT: u64 = 4;
    /// Fault reports.
    pub const REPORT: u64 = 5;
    /// Report history rows.
    pub const HISTORY: u64 = 6;
    /// Report actions.
    pub const ACTION: u64 = 7;
    /// Attachments.
    pub const ATTACHMENT: u64 = 8;
    /// Identification blocks.
    pub const IDENTIFICATION: u64 = 9;
}

/// Stream number of the account-wide pools (managers, maintenance companies).
const POOL_STREAM: u64 = u64::MAX;

/// The data set of one account.
pub fn generate(spec: &AccountSpec, today: NaiveDate) -> World {
    let mut g = Gen {
        world: World::empty(today),
        today,
        seed: spec.seed,
        buildings_per_property: spec.buildings_per_property,
    };
    let pools = g.pools(spec.properties);
    for index in 0..spec.properties {
        g.property(index, &pools);
    }
    g.world
}

/// The generator's state: the world being built.
pub(crate) struct Gen {
    pub(crate) world: World,
    pub(crate) today: NaiveDate,
    pub(crate) seed: u64,
    /// Buildings in every property, when fixed (`AccountSpec::buildings_per_property`).
    pub(crate) buildings_per_property: Option<usize>,
}

/// Parties shared between properties.
pub(crate) struct Pools {
    pub(crate) managers: Vec<i64>,
    pub(crate) maintenance: Vec<i64>,
}

impl Gen {
    /// A date `days` from today (negative = past).
    pub(crate) fn day(&self, days: i64) -> NaiveDate {
        time::shift(self.today, days)
    }

    /// A local timestamp `days` from today at `hour:minute`.
    pub(crate) fn at(&self, days: i64, hour: u32, minute: u32) -> Timestamp {
        time::local(self.day(days), hour, minute)
    }

    /// The "last changed" time of a generated row: some day in the past year.
    pub(crate) fn extra(&self, tag: u64, id: i64) -> Extra {
        let h = rng::hash(&[self.seed, tag, id as u64]);
        let back = 1 + (h % 365) as i64;
        Extra::stamped(
            tag,
            id,
            self.at(-back, 7 + (h >> 20) as u32 % 10, (h >> 30) as u32 % 60),
        )
    }

    fn pools(&mut self, properties: usize) -> Pools {
        if properties == 0 {
            return Pools {
                managers: Vec::new(),
                maintenance: Vec::new(),
            };
        }
        let mut rng = Rng::derive(self.seed, POOL_STREAM);
        let companies = properties.div_ceil(6).clamp(1, names::MAINTENANCE.len());
        let maintenance = (0..companies)
            .map(|i| self.maintenance_company(&mut rng, i))
            .collect();
        let managers = (0..properties.div_ceil(10).clamp(1, 8))
            .map(|_| self.manager(&mut rng))
            .collect();
        Pools {
            managers,
            maintenance,
        }
    }

    /// Insert an object; [`Gen::close`] records where its subtree ends.
    pub(crate) fn add_object(&mut self, build: impl FnOnce(i64) -> RegistryObject) -> i64 {
        let id = self.world.objects.insert_with(build);
        self.world.subtree_end.push(id);
        id
    }

    /// All objects inserted since `id` are its descendants.
    pub(crate) fn close(&mut self, id: i64) {
        let end = self.world.objects.next_id() - 1;
        if let Some(slot) = usize::try_from(id - OBJECT_BASE)
            .ok()
            .and_then(|i| self.world.subtree_end.get_mut(i))
        {
            *slot = end;
        }
    }

    /// Connect a party to an object.
    pub(crate) fn connect(
        &mut self,
        object: i64,
        party: i64,
        role: Role,
        alkaa: NaiveDate,
        paattyy: Option<NaiveDate>,
        hidden: bool,
    ) -> i64 {
        let extra_of = |g: &Self, id| g.extra(tags::CONNECTION, id);
        let id = self.world.connections.next_id();
        let extra = extra_of(self, id);
        self.world.insert_connection(|id| Connection {
            id,
            kohde_id: object,
            osapuoli_id: party,
            rooli: role,
            alkaa,
            paattyy,
            piilota_porrasnaytolta: hidden,
            extra,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
