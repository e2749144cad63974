//! Read access for tests and the gateway's demo mode: a summary of the ids worth knowing
//! (`GET /_sim/accounts/{account}/summary`) and a full copy of the data set.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::World;
use crate::model::{Announcement, Connection, ObjectKind, Party, RegistryObject, Role};
use crate::report::FaultReport;

/// How many examples of each kind of resident a summary lists.
const EXAMPLES: usize = 5;

/// The ids a test or a demo needs, without scanning the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// Account name.
    pub account: String,
    /// The date the data treats as today.
    pub today: NaiveDate,
    /// Every property (cost centre) with its buildings and staircases.
    pub properties: Vec<PropertySummary>,
    /// Example residents of each interesting kind.
    pub residents: ResidentExamples,
    /// Maintenance company party ids (the assignees of fault reports).
    pub maintenance_companies: Vec<i64>,
    /// Property manager party ids.
    pub managers: Vec<i64>,
    /// Board chair party ids.
    pub board_chairs: Vec<i64>,
}

/// One property (cost centre).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertySummary {
    /// Cost-centre object id.
    pub id: i64,
    /// Housing company name.
    pub name: String,
    /// Its buildings.
    pub buildings: Vec<BuildingSummary>,
    /// The property manager's party id.
    pub manager_id: Option<i64>,
    /// The maintenance company's party id.
    pub maintenance_company_id: Option<i64>,
    /// The board chair's party id, if the property has one on record.
    pub board_chair_id: Option<i64>,
}

/// One building.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildingSummary {
    /// Building object id.
    pub id: i64,
    /// Street address.
    pub address: String,
    /// Its staircases.
    pub staircases: Vec<StaircaseSummary>,
}

/// One staircase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaircaseSummary {
    /// Staircase object id.
    pub id: i64,
    /// Staircase letter.
    pub letter: String,
    /// Number of apartments.
    pub apartments: usize,
}

/// Residents worth testing with, up to five of each kind, in connection-id order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResidentExamples {
    /// Current residents with nothing special: shown on displays.
    pub plain: Vec<ResidentExample>,
    /// Current residents under non-disclosure (`Turvakielto`).
    pub turvakielto: Vec<ResidentExample>,
    /// Current residents who asked to be left off the display.
    pub hidden: Vec<ResidentExample>,
    /// Residents who have moved out.
    pub former: Vec<ResidentExample>,
    /// Residents who move in later.
    pub future: Vec<ResidentExample>,
    /// Residents whose party is archived.
    pub archived: Vec<ResidentExample>,
}

/// A resident and where they live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidentExample {
    /// Party id.
    pub party_id: i64,
    /// Connection id.
    pub connection_id: i64,
    /// Apartment object id.
    pub apartment_id: i64,
    /// Staircase object id.
    pub staircase_id: i64,
    /// Building object id.
    pub building_id: i64,
    /// Cost-centre object id.
    pub property_id: i64,
}

/// A full copy of one account's data, every table in id order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The date the data treats as today.
    pub today: NaiveDate,
    /// The object tree, depth-first.
    pub objects: Vec<RegistryObject>,
    /// Persons and companies.
    pub parties: Vec<Party>,
    /// Party–object connections.
    pub connections: Vec<Connection>,
    /// Announcements.
    pub announcements: Vec<Announcement>,
    /// Fault reports.
    pub reports: Vec<FaultReport>,
}

impl Snapshot {
    /// One object.
    pub fn object(&self, id: i64) -> Option<&RegistryObject> {
        self.objects
            .binary_search_by_key(&id, |o| o.id)
            .ok()
            .and_then(|i| self.objects.get(i))
    }

    /// One party.
    pub fn party(&self, id: i64) -> Option<&Party> {
        self.parties
            .binary_search_by_key(&id, |p| p.id)
            .ok()
            .and_then(|i| self.parties.get(i))
    }
}

impl AccountSummary {
    /// Every property id.
    pub fn property_ids(&self) -> Vec<i64> {
        self.properties.iter().map(|p| p.id).collect()
    }

    /// Every building id.
    pub fn building_ids(&self) -> Vec<i64> {
        self.properties
            .iter()
            .flat_map(|p| p.buildings.iter().map(|b| b.id))
            .collect()
    }
}

impl World {
    /// A full copy of the data.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            today: self.today,
            objects: self.objects.iter().cloned().collect(),
            parties: self.parties.iter().cloned().collect(),
            connections: self.connections.iter().cloned().collect(),
            announcements: self.announcements.iter().cloned().collect(),
            reports: self.reports.iter().cloned().collect(),
        }
    }

    /// The ids worth knowing.
    pub fn summary(&self, account: &str) -> AccountSummary {
        let mut properties: Vec<PropertySummary> = Vec::new();
        for o in self.objects.iter() {
            match o.kohde_metatyyppi {
                ObjectKind::Kustannuspaikka => properties.push(PropertySummary {
                    id: o.id,
                    name: o.nimi.clone(),
                    buildings: Vec::new(),
                    manager_id: self.cost_centre_party(o.id, Role::Isannoitsija),
                    maintenance_company_id: self.cost_centre_party(o.id, Role::Huoltoyhtio),
                    board_chair_id: self.cost_centre_party(o.id, Role::HallituksenPuheenjohtaja),
                }),
                ObjectKind::Rakennus => {
                    if let Some(p) = properties.last_mut() {
                        p.buildings.push(BuildingSummary {
                            id: o.id,
                            address: o.katuosoite.clone(),
                            staircases: Vec::new(),
                        });
                    }
                }
                ObjectKind::Porras => {
                    if let Some(b) = properties.last_mut().and_then(|p| p.buildings.last_mut()) {
                        b.staircases.push(StaircaseSummary {
                            id: o.id,
                            letter: o.porras.clone().unwrap_or_default(),
                            apartments: 0,
                        });
                    }
                }
                ObjectKind::Huoneisto => {
                    let s = properties
                        .last_mut()
                        .and_then(|p| p.buildings.last_mut())
                        .and_then(|b| b.staircases.last_mut());
                    if let Some(s) = s {
                        s.apartments += 1;
                    }
                }
            }
        }
        let ids = |f: fn(&PropertySummary) -> Option<i64>| {
            let mut v: Vec<i64> = properties.iter().filter_map(f).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        AccountSummary {
            account: account.to_owned(),
            today: self.today,
            maintenance_companies: ids(|p| p.maintenance_company_id),
            managers: ids(|p| p.manager_id),
            board_chairs: ids(|p| p.board_chair_id),
            properties,
            residents: self.resident_examples(),
        }
    }

    /// Up to five residents of each kind, in connection-id order.
    pub(crate) fn resident_examples(&self) -> ResidentExamples {
        let mut ex = ResidentExamples::default();
        let today = self.today;
        for c in self.connections.iter().filter(|c| c.rooli == Role::Asukas) {
            let (Some(party), Some(example)) = (self.parties.get(c.osapuoli_id), self.place(c))
            else {
                continue;
            };
            let list = if party.arkistoitu.is_some() {
                &mut ex.archived
            } else if c.alkaa > today {
                &mut ex.future
            } else if c.paattyy.is_some_and(|end| end < today) {
                &mut ex.former
            } else if party.turvakielto {
                &mut ex.turvakielto
            } else if c.piilota_porrasnaytolta {
                &mut ex.hidden
            } else {
                &mut ex.plain
            };
            if list.len() < EXAMPLES {
                list.push(example);
            }
        }
        ex
    }

    /// Where a connection's apartment sits in the tree.
    fn place(&self, c: &Connection) -> Option<ResidentExample> {
        let lineage = self.lineage(c.kohde_id);
        let [apartment, staircase, building, property] = lineage.as_slice() else {
            return None;
        };
        Some(ResidentExample {
            party_id: c.osapuoli_id,
            connection_id: c.id,
            apartment_id: *apartment,
            staircase_id: *staircase,
            building_id: *building,
            property_id: *property,
        })
    }
}
