//! Who lives in an apartment: current, former and future residents and owners; and the
//! showcase guarantee that the first property has a resident of every kind.

use super::people::{self, Address};
use super::property::{ApartmentInfo, PropertyCtx, one_to_three};
use super::rng::Rng;
use super::{Gen, names};
use crate::model::Role;
use crate::time;

impl Gen {
    /// The residents (and maybe an owner) of one apartment.
    pub(super) fn residents(&mut self, rng: &mut Rng, apt: &mut ApartmentInfo, home: &Address) {
        let apt_id = apt.id;
        let elsewhere = |rng: &mut Rng| Address {
            street: format!("{} {}", rng.word(names::STREETS), rng.range(1, 60)),
            ..home.clone()
        };
        let former = |g: &mut Self, rng: &mut Rng, end: i64| {
            let start = end - rng.range(200, 4000);
            let address = elsewhere(rng);
            let (who, turva) = (people::name(rng), rng.chance(0.06));
            let pid = g.person(rng, who, &address, turva);
            g.connect(
                apt_id,
                pid,
                Role::Asukas,
                g.day(start),
                Some(g.day(end)),
                false,
            );
            if rng.chance(0.3) {
                let archived = (end + rng.range(30, 300)).min(-1);
                let stamp = g.at(archived, 9, 0);
                if let Some(p) = g.world.parties.get_mut(pid) {
                    p.arkistoitu = Some(stamp);
                }
            }
        };
        if rng.chance(0.05) {
            if rng.chance(0.5) {
                let end = -rng.range(5, 200);
                former(self, rng, end);
            }
            return;
        }
        let move_in = -rng.range(30, 5000);
        let leaving = rng.chance(0.07).then(|| rng.range(5, 60));
        let surname = rng.word(names::LAST);
        let mut first_resident = None;
        for k in 0..one_to_three(rng, 40, 40) {
            let (first, other) = people::name(rng);
            let last = if k == 0 || rng.chance(0.65) {
                surname
            } else {
                other
            };
            let turva = rng.chance(0.06);
            let pid = self.person(rng, (first, last), home, turva);
            let start = if k == 0 || rng.chance(0.7) {
                move_in
            } else {
                rng.range(move_in, -1)
            };
            let end = leaving.map(|d| self.day(d - 1));
            let hidden = rng.chance(0.05);
            self.connect(apt.id, pid, Role::Asukas, self.day(start), end, hidden);
            if !turva {
                apt.residents.push(pid);
            }
            first_resident.get_or_insert(pid);
        }
        if rng.chance(0.25) {
            let end = move_in - rng.range(1, 60);
            former(self, rng, end);
        }
        if let Some(day) = leaving {
            let (who, turva) = (people::name(rng), rng.chance(0.06));
            let pid = self.person(rng, who, home, turva);
            self.connect(apt.id, pid, Role::Asukas, self.day(day), None, false);
        }
        if rng.chance(0.35) {
            let (owner, since) = match first_resident {
                Some(pid) if rng.chance(0.6) => (pid, move_in),
                _ => (self.landlord(rng), move_in - rng.range(0, 2000)),
            };
            self.connect(apt.id, owner, Role::Omistaja, self.day(since), None, false);
        }
    }

    /// Give the showcase property at least one resident of each kind.
    pub(super) fn ensure_residents(&mut self, ctx: &PropertyCtx) {
        let have = self.world.resident_examples();
        let mut rng = Rng::derive(self.seed, u64::MAX - 1);
        let kinds: [(bool, i64, Option<i64>, bool, bool, bool); 6] = [
            // (missing, start, end, turvakielto, hidden, archived)
            (have.plain.is_empty(), -400, None, false, false, false),
            (have.turvakielto.is_empty(), -300, None, true, false, false),
            (have.hidden.is_empty(), -200, None, false, true, false),
            (
                have.former.is_empty(),
                -2000,
                Some(-100),
                false,
                false,
                false,
            ),
            (have.future.is_empty(), 14, None, false, false, false),
            (
                have.archived.is_empty(),
                -3000,
                Some(-700),
                false,
                false,
                true,
            ),
        ];
        for (i, (missing, start, end, turva, hidden, archived)) in kinds.into_iter().enumerate() {
            let Some(apt) = ctx.apartments.get(i % ctx.apartments.len().max(1)) else {
                return;
            };
            if !missing {
                continue;
            }
            let Some(o) = self.world.objects.get(apt.id) else {
                continue;
            };
            let home = Address {
                street: format!("{} {}", o.katuosoite, o.tunnus),
                postcode: o.postinumero.clone(),
                town: o.postitoimipaikka.clone(),
            };
            let who = people::name(&mut rng);
            let pid = self.person(&mut rng, who, &home, turva);
            let end = end.map(|e| self.day(e));
            self.connect(apt.id, pid, Role::Asukas, self.day(start), end, hidden);
            if archived {
                let stamp = time::local(self.day(-400), 9, 0);
                if let Some(p) = self.world.parties.get_mut(pid) {
                    p.arkistoitu = Some(stamp);
                }
            }
        }
    }
}
