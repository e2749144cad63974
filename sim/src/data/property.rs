//! One property: the object tree (cost centre → buildings → staircases → apartments), its
//! residents and owners, and the parties on the cost centre.

use super::people::Address;
use super::rng::Rng;
use super::{Gen, Pools, names};
use crate::model::{ObjectKind, RegistryObject, Role};

/// An apartment and who lives there now (for reporters and board chairs).
pub(crate) struct ApartmentInfo {
    pub(crate) id: i64,
    pub(crate) staircase: i64,
    /// Current residents without non-disclosure.
    pub(crate) residents: Vec<i64>,
}

/// What the content generators need to know about a property.
pub(crate) struct PropertyCtx {
    pub(crate) id: i64,
    pub(crate) buildings: Vec<i64>,
    pub(crate) staircases: Vec<i64>,
    pub(crate) apartments: Vec<ApartmentInfo>,
    pub(crate) maintenance: Option<i64>,
    /// The first property must contain every interesting case.
    pub(crate) showcase: bool,
}

/// A location and a name for a housing company.
struct Site {
    street: &'static str,
    number: i64,
    postcode: &'static str,
    town: &'static str,
    name: String,
}

fn site(rng: &mut Rng) -> Site {
    let (postcode, town, district) = rng
        .pick(names::PLACES)
        .copied()
        .unwrap_or(("00100", "Helsinki", "Kallion"));
    let street = rng.word(names::STREETS);
    let number = rng.range(1, 30);
    let nick = rng.word(names::NICKNAMES);
    let name = match rng.below(20) {
        0..=9 => format!("As Oy {street} {number}"),
        10..=16 => format!("Asunto Oy {district} {nick}"),
        _ => format!("Kiinteistö Oy {district} {nick}"),
    };
    Site {
        street,
        number,
        postcode,
        town,
        name,
    }
}

/// 1 (55 %), 2 (30 %) or 3 (15 %).
pub(super) fn one_to_three(rng: &mut Rng, p1: u64, p2: u64) -> usize {
    match rng.below(100) {
        x if x < p1 => 1,
        x if x < p1 + p2 => 2,
        _ => 3,
    }
}

impl Gen {
    fn object(&mut self, site: &Site, kind: ObjectKind, parts: ObjectParts) -> i64 {
        let id = self.world.objects.next_id();
        let extra = self.extra(super::tags::OBJECT, id);
        self.add_object(|id| RegistryObject {
            id,
            kohde_metatyyppi: kind,
            nimi: parts.name,
            tunnus: parts.code,
            yla_kohde_id: parts.parent,
            kustannuspaikka_id: parts.cost_centre.unwrap_or(id),
            katuosoite: parts.street,
            postinumero: site.postcode.to_owned(),
            postitoimipaikka: site.town.to_owned(),
            porras: parts.letter,
            kerros: parts.floor,
            huoneistonumero: parts.number,
            tila: 1,
            extra,
        })
    }

    /// Generate property number `index`.
    pub(crate) fn property(&mut self, index: usize, pools: &Pools) {
        let mut rng = Rng::derive(self.seed, index as u64);
        let site = site(&mut rng);
        let cc = self.object(
            &site,
            ObjectKind::Kustannuspaikka,
            ObjectParts::new(site.name.clone(), format!("{}", 1001 + index))
                .street(format!("{} {}", site.street, site.number)),
        );
        self.world.cost_centres.push(cc);
        let mut ctx = PropertyCtx {
            id: cc,
            buildings: Vec::new(),
            staircases: Vec::new(),
            apartments: Vec::new(),
            maintenance: None,
            showcase: index == 0,
        };
        let mut letter = b'A';
        let mut number = 1;
        // Drawn even when fixed, so worlds of the default shape stay as they were.
        let drawn = one_to_three(&mut rng, 55, 30);
        for b in 0..self.buildings_per_property.unwrap_or(drawn) {
            let street = format!("{} {}", site.street, site.number + 2 * b as i64);
            let building = self.object(
                &site,
                ObjectKind::Rakennus,
                ObjectParts::new(format!("Rakennus {}", b + 1), format!("{}", b + 1))
                    .street(street.clone())
                    .under(cc, cc),
            );
            ctx.buildings.push(building);
            for _ in 0..one_to_three(&mut rng, 40, 40) {
                let l = char::from(letter).to_string();
                letter += 1;
                let stair = self.object(
                    &site,
                    ObjectKind::Porras,
                    ObjectParts::new(format!("Porras {l}"), l.clone())
                        .street(street.clone())
                        .under(building, cc)
                        .letter(&l),
                );
                ctx.staircases.push(stair);
                let (floors, per_floor) = (rng.count(2, 5), rng.count(2, 4));
                for floor in 1..=floors {
                    for _ in 0..per_floor {
                        let code = format!("{l} {number}");
                        let mut parts = ObjectParts::new(code.clone(), code.clone())
                            .street(street.clone())
                            .under(stair, cc)
                            .letter(&l);
                        parts.floor = Some(floor as i32);
                        parts.number = Some(number);
                        let apt = self.object(&site, ObjectKind::Huoneisto, parts);
                        let home = Address {
                            street: format!("{street} {code}"),
                            postcode: site.postcode.to_owned(),
                            town: site.town.to_owned(),
                        };
                        let mut info = ApartmentInfo {
                            id: apt,
                            staircase: stair,
                            residents: Vec::new(),
                        };
                        self.residents(&mut rng, &mut info, &home);
                        ctx.apartments.push(info);
                        self.close(apt);
                        number += 1;
                    }
                }
                self.close(stair);
            }
            self.close(building);
        }
        self.close(cc);
        self.cost_centre_parties(&mut rng, &mut ctx, pools);
        if ctx.showcase {
            self.ensure_residents(&ctx);
        }
        self.announcements(&mut rng, &ctx);
        self.reports(&mut rng, &ctx);
    }

    /// The manager (sometimes with a predecessor), the maintenance company and maybe a
    /// board chair chosen among the residents.
    fn cost_centre_parties(&mut self, rng: &mut Rng, ctx: &mut PropertyCtx, pools: &Pools) {
        let since = -rng.range(100, 3000);
        if let Some(&manager) = rng.pick(&pools.managers) {
            if pools.managers.len() > 1 && rng.chance(0.2) {
                let old = pools.managers.iter().copied().find(|m| *m != manager);
                if let Some(old) = old {
                    let start = since - rng.range(300, 3000);
                    self.connect(
                        ctx.id,
                        old,
                        Role::Isannoitsija,
                        self.day(start),
                        Some(self.day(since - 1)),
                        false,
                    );
                }
            }
            self.connect(
                ctx.id,
                manager,
                Role::Isannoitsija,
                self.day(since),
                None,
                false,
            );
        }
        if let Some(&company) = rng.pick(&pools.maintenance) {
            let start = -rng.range(100, 4000);
            self.connect(
                ctx.id,
                company,
                Role::Huoltoyhtio,
                self.day(start),
                None,
                false,
            );
            ctx.maintenance = Some(company);
        }
        let residents: Vec<i64> = ctx
            .apartments
            .iter()
            .flat_map(|a| a.residents.iter().copied())
            .collect();
        let chair = if ctx.showcase || rng.chance(0.6) {
            rng.pick(&residents).copied()
        } else {
            None
        };
        if let Some(chair) = chair {
            let start = -rng.range(30, 1500);
            self.connect(
                ctx.id,
                chair,
                Role::HallituksenPuheenjohtaja,
                self.day(start),
                None,
                false,
            );
        }
    }
}

/// The parts of an object that differ by level.
struct ObjectParts {
    name: String,
    code: String,
    street: String,
    parent: Option<i64>,
    cost_centre: Option<i64>,
    letter: Option<String>,
    floor: Option<i32>,
    number: Option<i32>,
}

impl ObjectParts {
    fn new(name: String, code: String) -> Self {
        Self {
            name,
            code,
            street: String::new(),
            parent: None,
            cost_centre: None,
            letter: None,
            floor: None,
            number: None,
        }
    }

    fn street(mut self, street: String) -> Self {
        self.street = street;
        self
    }

    fn under(mut self, parent: i64, cost_centre: i64) -> Self {
        self.parent = Some(parent);
        self.cost_centre = Some(cost_centre);
        self
    }

    fn letter(mut self, l: &str) -> Self {
        self.letter = Some(l.to_owned());
        self
    }
}
