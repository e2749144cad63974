//! A fake Tampuuri for the feed tests: one account, one property with two buildings, their
//! staircases, apartments, residents and staff, and announcements. A fetch reads the world
//! *when it starts* (as Tampuuri reads its data at once) and answers after the delay in
//! force then, on tokio's clock; it can also be held until released. Changes return the
//! webhook notifications the simulator would send for them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, TimeDelta, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use rappu_shared::finnish_time;

use super::resources::{Raw, Resource, ResourceKey, Upstream};
use crate::store::webhooks::NotificationRecord;
use crate::upstream::tampuuri::UpstreamError;
use crate::upstream::tampuuri::model::{
    Announcement, Connection, ConnectionRole, Object, ObjectKind, Party, PartyKind,
};

/// The account's name.
pub const ACCOUNT: &str = "fake";
/// The property.
pub const PROPERTY: u64 = 1;
/// The buildings.
pub const BUILDINGS: [u64; 2] = [10, 20];

/// Today in Finland.
pub fn today() -> NaiveDate {
    finnish_time::local_date(Utc::now())
}

/// The data.
#[derive(Debug, Clone)]
pub struct World {
    /// Objects by id.
    pub objects: BTreeMap<u64, Object>,
    /// Connections by id (residents on apartments, staff on the property).
    pub connections: BTreeMap<u64, Connection>,
    /// Announcements by id.
    pub announcements: BTreeMap<u64, Announcement>,
}

fn object(id: u64, kind: ObjectKind, parent: Option<u64>) -> Object {
    Object {
        id,
        kind,
        name: Some(format!("Kohde {id}")),
        code: None,
        parent_id: parent,
        parent_alt: None,
        cost_centre_id: Some(PROPERTY),
        street_address: Some(format!("Testikatu {id}")),
        postal_code: Some("00100".into()),
        city: Some("Helsinki".into()),
        staircase: None,
        floor: None,
        apartment_number: None,
    }
}

/// A person whose every identifying text is unique to `id`.
pub fn person(id: u64) -> Party {
    Party {
        id,
        kind: Some(PartyKind::Person),
        name: Some(format!("Nimi{id}q Etu{id}q")),
        first_name: Some(format!("Etu{id}q")),
        last_name: Some(format!("Suku{id}q")),
        phone: Some(format!("+358 40 {id:07}-")),
        mobile: None,
        email: Some(format!("p{id}q@example.fi")),
        non_disclosure: Some(false),
        archived_at: None,
    }
}

impl World {
    /// Two buildings of one property, each with two staircases of two floors of two
    /// apartments, one resident in each apartment, a manager, a maintenance company and a
    /// board chair, and one announcement per building.
    pub fn new() -> Self {
        let mut objects = BTreeMap::new();
        let mut connections = BTreeMap::new();
        let mut announcements = BTreeMap::new();
        objects.insert(PROPERTY, object(PROPERTY, ObjectKind::CostCentre, None));
        let mut next = 100;
        for (b, building) in BUILDINGS.into_iter().enumerate() {
            objects.insert(
                building,
                object(building, ObjectKind::Building, Some(PROPERTY)),
            );
            for s in 0..2u64 {
                let stair = building + 1 + s;
                let letter = ["A", "B", "C", "D"][b * 2 + s as usize];
                objects.insert(
                    stair,
                    Object {
                        staircase: Some(letter.into()),
                        ..object(stair, ObjectKind::Staircase, Some(building))
                    },
                );
                for floor in 1..=2i32 {
                    for n in 0..2u32 {
                        next += 1;
                        let number = (floor as u32 - 1) * 2 + n + 1;
                        objects.insert(
                            next,
                            Object {
                                code: Some(format!("{letter} {number}")),
                                staircase: Some(letter.into()),
                                floor: Some(floor),
                                apartment_number: Some(number),
                                ..object(next, ObjectKind::Apartment, Some(stair))
                            },
                        );
                        let connection = 1000 + next;
                        connections
                            .insert(connection, resident(connection, next, person(2000 + next)));
                    }
                }
            }
            announcements.insert(
                400 + building,
                Announcement {
                    id: 400 + building,
                    object_id: Some(building),
                    title: format!("Tiedote {building}"),
                    body: "Teksti".into(),
                    published_at: None,
                    valid_from: None,
                    valid_until: None,
                },
            );
        }
        let staff = |id: u64, role: ConnectionRole, party: Party| Connection {
            role,
            ..resident(id, PROPERTY, party)
        };
        let company = Party {
            kind: Some(PartyKind::Company),
            first_name: None,
            last_name: None,
            name: Some("Huoltoyhtio9q Oy".into()),
            non_disclosure: None,
            ..person(9)
        };
        connections.insert(1, staff(1, ConnectionRole::Maintenance, company));
        connections.insert(2, staff(2, ConnectionRole::Manager, person(7)));
        connections.insert(3, staff(3, ConnectionRole::BoardChair, person(8)));
        Self {
            objects,
            connections,
            announcements,
        }
    }

    /// The building an object is in (or is).
    pub fn building_of(&self, mut id: u64) -> Option<u64> {
        loop {
            let o = self.objects.get(&id)?;
            if o.kind == ObjectKind::Building {
                return Some(id);
            }
            id = o.parent_id?;
        }
    }

    fn read(&self, resource: &Resource) -> Result<Raw, UpstreamError> {
        let not_found = UpstreamError::NotFound { route: "fake" };
        Ok(match *resource {
            Resource::Object(id) => {
                Raw::Object(Box::new(self.objects.get(&id).cloned().ok_or(not_found)?))
            }
            Resource::BuildingTree(b) => Raw::Objects(
                self.objects
                    .values()
                    .filter(|o| o.id != b && self.building_of(o.id) == Some(b))
                    .cloned()
                    .collect(),
            ),
            Resource::Residents(b) => Raw::Connections(
                self.connections
                    .values()
                    .filter(|c| c.role == ConnectionRole::Resident)
                    .filter(|c| self.building_of(c.object_id) == Some(b))
                    .cloned()
                    .collect(),
            ),
            Resource::Staff(p) => Raw::Connections(
                self.connections
                    .values()
                    .filter(|c| c.object_id == p && c.role != ConnectionRole::Resident)
                    .cloned()
                    .collect(),
            ),
            Resource::Announcements(b) => Raw::Announcements(
                self.announcements
                    .values()
                    .filter(|a| a.object_id == Some(b) || a.object_id == Some(PROPERTY))
                    .cloned()
                    .collect(),
            ),
            Resource::OpenReports(_) => Raw::Reports(Vec::new()),
        })
    }
}

/// A resident connection in force since 2020.
pub fn resident(id: u64, apartment: u64, party: Party) -> Connection {
    Connection {
        id,
        object_id: apartment,
        role: ConnectionRole::Resident,
        starts: NaiveDate::from_ymd_opt(2020, 1, 1),
        ends: None,
        hide_from_display: Some(false),
        party,
    }
}

/// The fake upstream over a shared [`World`].
#[derive(Clone)]
pub struct FakeTampuuri {
    /// The world, changed by tests.
    pub world: Arc<Mutex<World>>,
    delay: Arc<Mutex<Duration>>,
    calls: Arc<AtomicUsize>,
    notification: Arc<AtomicUsize>,
}

impl FakeTampuuri {
    /// A fake over [`World::new`].
    pub fn new() -> Self {
        Self::from_world(World::new())
    }

    /// A fake over `world`.
    pub fn from_world(world: World) -> Self {
        Self {
            world: Arc::new(Mutex::new(world)),
            delay: Arc::default(),
            calls: Arc::default(),
            notification: Arc::default(),
        }
    }

    /// Answers of fetches started from now on come `delay` after their start.
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// Fetches so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// A copy of the world.
    pub fn snapshot(&self) -> World {
        self.world.lock().unwrap().clone()
    }

    /// Changes the world with `f`, and returns the notifications Tampuuri would send.
    pub fn change(
        &self,
        f: impl FnOnce(&mut World) -> Vec<(&'static str, u64, Option<u64>, Option<u64>)>,
    ) -> Vec<NotificationRecord> {
        let mut world = self.world.lock().unwrap();
        f(&mut world)
            .into_iter()
            .map(|(action, reference, secondary, data)| {
                let n = self.notification.fetch_add(1, Ordering::SeqCst);
                let text = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
                NotificationRecord {
                    id: format!("{ACCOUNT}/n{n}"),
                    account: ACCOUNT.into(),
                    bundle_id: format!("b{n}"),
                    attempt: 1,
                    action: action.into(),
                    reference_id: reference.to_string(),
                    reference_secondary_id: text(secondary),
                    reference_data: text(data),
                }
            })
            .collect()
    }

    /// Patches a party (`OsapuoliTietoMuokkaa`).
    pub fn patch_party(&self, party: u64, f: impl Fn(&mut Party)) -> Vec<NotificationRecord> {
        self.change(|w| {
            for c in w.connections.values_mut() {
                if c.party.id == party {
                    f(&mut c.party);
                }
            }
            vec![("OsapuoliTietoMuokkaa", party, None, None)]
        })
    }

    /// Patches a connection (`KohdeOsapuoliMuokkaa`).
    pub fn patch_connection(
        &self,
        connection: u64,
        f: impl FnOnce(&mut Connection),
    ) -> Vec<NotificationRecord> {
        self.change(|w| {
            let Some(c) = w.connections.get_mut(&connection) else {
                return Vec::new();
            };
            f(c);
            vec![(
                "KohdeOsapuoliMuokkaa",
                c.object_id,
                Some(c.party.id),
                Some(connection),
            )]
        })
    }

    /// Yesterday, for move-outs.
    pub fn yesterday() -> NaiveDate {
        today() - TimeDelta::days(1)
    }
}

impl Upstream for FakeTampuuri {
    fn fetch(&self, key: &ResourceKey) -> BoxFuture<'static, Result<Raw, UpstreamError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let read = self.world.lock().unwrap().read(&key.resource);
        let delay = *self.delay.lock().unwrap();
        async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            read
        }
        .boxed()
    }
}
