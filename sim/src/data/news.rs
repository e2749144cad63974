//! A property's announcements: a standing one with no end, current ones, an expired one
//! and sometimes (always in the showcase property) one valid only from a future date.

use super::property::PropertyCtx;
use super::rng::Rng;
use super::{Gen, names, tags};
use crate::model::Announcement;
use crate::time::Timestamp;

impl Gen {
    fn target(&self, rng: &mut Rng, ctx: &PropertyCtx) -> i64 {
        match rng.below(10) {
            0..=5 => ctx.id,
            6..=8 => rng.pick(&ctx.buildings).copied().unwrap_or(ctx.id),
            _ => rng.pick(&ctx.staircases).copied().unwrap_or(ctx.id),
        }
    }

    fn news(
        &mut self,
        kohde: i64,
        (title, text): (&str, &str),
        times: [Timestamp; 2],
        end: Option<Timestamp>,
    ) {
        let id = self.world.announcements.next_id();
        let extra = self.extra(tags::ANNOUNCEMENT, id);
        self.world.announcements.insert_with(|id| Announcement {
            id,
            kohde_id: kohde,
            otsikko: title.to_owned(),
            sisalto: text.to_owned(),
            julkaistu: times[0],
            voimassa_alkaen: times[1],
            voimassa_asti: end,
            extra,
        });
    }

    /// Standing (no end), current, expired and future announcements.
    pub(crate) fn announcements(&mut self, rng: &mut Rng, ctx: &PropertyCtx) {
        let standing = rng.pick(names::STANDING_NEWS).copied().unwrap_or(("", ""));
        let published = self.at(-rng.range(30, 300), 8, 0);
        self.news(ctx.id, standing, [published, published], None);
        let first = rng.below(names::NEWS.len() as u64) as usize;
        let mut texts = names::NEWS.iter().cycle().skip(first).copied();
        for _ in 0..rng.count(1, 2) {
            let day = -rng.range(0, 10);
            let published = self.at(day, 8, 0);
            let end = self.at(rng.range(1, 20), 0, 0);
            let kohde = self.target(rng, ctx);
            let text = texts.next().unwrap_or(standing);
            self.news(kohde, text, [published, published], Some(end));
        }
        let day = -rng.range(40, 90);
        let published = self.at(day, 8, 0);
        let end = self.at((day + rng.range(5, 30)).min(-1), 0, 0);
        let kohde = self.target(rng, ctx);
        let text = texts.next().unwrap_or(standing);
        self.news(kohde, text, [published, published], Some(end));
        if ctx.showcase || rng.chance(0.4) {
            let published = self.at(-rng.range(0, 3), 8, 0);
            let start = rng.range(2, 14);
            let from = self.at(start, 8, 0);
            let end = self.at(start + rng.range(3, 10), 0, 0);
            let text = texts.next().unwrap_or(standing);
            self.news(ctx.id, text, [published, from], Some(end));
        }
    }
}
