//! Measuring the apartment board in the browser and choosing its size.
//!
//! A hidden copy of the whole board (every staircase heading, floor heading and apartment
//! row, in one column) is set to each candidate type size and column width, and every
//! element's height is read back (`getBoundingClientRect`): rows with long names wrap, so
//! their height is what the browser says, not a guess. [`super::board_layout::layout`]
//! packs the heights into pages; the best [`Plan`] wins (fewest pages, then the largest
//! type, then the widest columns).
//!
//! Type sizes run from 2.6 % of the screen's shorter side down to the smallest legible
//! size, where an apartment row is 24 px tall on a 1080 px wide screen (rows are 1.4 lines:
//! `web/static/app.css`, `.apt`). A column is never narrower than the longest unbreakable
//! part of a row (the apartment number and the longest name), so no name is ever broken
//! inside a word or cut.

use rappu_shared::display::FeedStaircase;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use super::board_layout::{Heights, Plan, layout};

/// Type sizes tried, in hundredths of the screen's shorter side (`vmin`), largest first.
const FONTS: [u32; 5] = [260, 235, 215, 195, 176];
/// An apartment row is at least this tall on a screen whose shorter side is 1080 px.
pub const MIN_ROW_AT_1080: f64 = 24.0;
/// Rows are this many lines tall (line height plus padding).
const ROW_LINES: f64 = 1.4;
/// Room between columns, in ems of the board's type.
const GAP_EMS: f64 = 1.2;
/// Most columns a page has.
const MAX_COLUMNS: usize = 6;

/// The room the board has, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Width of the board.
    pub width: f64,
    /// Height of the board.
    pub height: f64,
    /// The screen's shorter side.
    pub vmin: f64,
}

/// The type sizes to try for a screen, in whole pixels, largest first.
pub fn font_sizes(vmin: f64) -> Vec<f64> {
    let smallest = (MIN_ROW_AT_1080 / ROW_LINES * vmin / 1080.0).ceil();
    let mut sizes: Vec<f64> = FONTS
        .iter()
        .map(|&f| (f64::from(f) * vmin / 10_000.0).round().max(smallest))
        .collect();
    sizes.dedup();
    sizes
}

fn elements(root: &Element, selector: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

fn height(element: Option<&Element>) -> f64 {
    element.map_or(0.0, |e| e.get_bounding_client_rect().height())
}

/// `n` pixels as CSS, whole pixels (float formatting would cost the bundle kilobytes).
pub fn px(n: f64) -> String {
    format!("{}px", n.floor() as i64)
}

/// Reads the heights of the measuring copy as it is laid out now.
fn read(measure: &Element, staircases: &[FeedStaircase]) -> Heights {
    let rows = elements(measure, ".apt");
    let mut next = rows.iter();
    let rows = staircases
        .iter()
        .map(|s| {
            s.floors
                .iter()
                .map(|f| f.apartments.iter().map(|_| height(next.next())).collect())
                .collect()
        })
        .collect();
    Heights {
        staircase: height(measure.query_selector(".stair h2").ok().flatten().as_ref()),
        floor: height(measure.query_selector(".floor").ok().flatten().as_ref()),
        rows,
    }
}

/// The best plan for `staircases` in `area`, measured with the hidden copy `measure`.
pub fn plan(measure: &HtmlElement, staircases: &[FeedStaircase], area: Area) -> Option<Plan> {
    if area.width < 1.0 || area.height < 1.0 {
        return None;
    }
    let style = measure.style();
    let fonts = font_sizes(area.vmin);
    let largest = *fonts.first()?;
    // The longest unbreakable part of any row, at the largest type.
    style.set_property("font-size", &px(largest)).ok()?;
    style.set_property("width", "min-content").ok()?;
    let narrowest = measure.get_bounding_client_rect().width();
    let mut best: Option<Plan> = None;
    for &font in &fonts {
        style.set_property("font-size", &px(font)).ok()?;
        let gap = (font * GAP_EMS).round();
        let needed = (narrowest * font / largest).ceil() + 1.0;
        for columns in 1..=MAX_COLUMNS {
            let n = columns as f64;
            // A pixel spare: the board's size is rounded to whole pixels.
            let width = ((area.width - 1.0 - gap * (n - 1.0)) / n).floor();
            if width < needed {
                break;
            }
            style.set_property("width", &px(width)).ok()?;
            let heights = read(measure, staircases);
            let candidate = Plan {
                font,
                columns,
                column_width: width,
                gap,
                pages: layout(staircases, &heights, columns, area.height),
            };
            let one_page = candidate.pages.len() == 1;
            if best.as_ref().is_none_or(|b| candidate.better(b)) {
                best = Some(candidate);
            }
            // More columns at this size cannot beat one page.
            if one_page {
                break;
            }
        }
        // One page at the largest size that gives one page: smaller type only loses.
        if best.as_ref().is_some_and(|b| b.pages.len() == 1) {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_sizes_never_go_below_a_24_px_row_at_1080() {
        let sizes = font_sizes(1080.0);
        assert_eq!(sizes, [28.0, 25.0, 23.0, 21.0, 19.0]);
        assert!(sizes.iter().all(|f| f * ROW_LINES >= MIN_ROW_AT_1080));
        // A smaller screen scales down, to the same proportion.
        let small = font_sizes(540.0);
        assert!(small.iter().all(|f| f * ROW_LINES >= MIN_ROW_AT_1080 / 2.0));
        assert_eq!(px(27.9), "27px");
    }
}
