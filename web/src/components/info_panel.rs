//! The display's rotating area: each announcement in full (title, dates, all of its text)
//! and the work going on in common areas, one at a time.
//!
//! All items share one grid cell, so the area is as tall as its tallest item, up to the
//! limit the stylesheet sets (it never takes room the apartment board needs: the screen
//! makes it smaller when a staircase would not fit a page). An item longer than the area
//! is paged: its text flows into columns exactly as wide as the area (CSS multi-column
//! layout breaks between lines, never through one) and one column shows at a time. Each
//! page of each item stays [`PAGE_MS`]. Nothing is rendered when there is nothing to show.

use std::rc::Rc;

use rappu_shared::display::{FeedAnnouncement, FeedWork};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

use super::board_measure::px;
use crate::hooks::{use_i18n, use_tick};
use crate::i18n::{Texts, date, fill, messages};

/// How long each page of each item stays, in milliseconds.
pub const PAGE_MS: u32 = 12_000;
/// Room between the columns a long text flows into, px.
const COLUMN_GAP: f64 = 48.0;

/// Props of [`InfoPanel`].
#[derive(Properties, PartialEq)]
pub struct InfoPanelProps {
    /// Announcements valid now, newest first.
    pub announcements: Rc<Vec<FeedAnnouncement>>,
    /// Work going on in common areas and outdoors.
    pub work: Rc<Vec<FeedWork>>,
    /// The screen's size: a change lays the area out again.
    pub screen: (i32, i32),
    /// Whether the area gives up room to the board (a smaller limit): also a new layout.
    pub compact: bool,
}

fn announcement(
    t: &Texts,
    a: &FeedAnnouncement,
    n: usize,
    total: usize,
) -> (String, String, Option<String>, Html) {
    let kind = fill(
        t.display_announcement_n,
        &[("n", &n.to_string()), ("total", &total.to_string())],
    );
    let dates = [
        a.published_at
            .map(|at| fill(t.display_published, &[("date", &date(t, at))])),
        a.valid_until
            .map(|at| fill(t.display_valid_until, &[("date", &date(t, at))])),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    let dates = (!dates.is_empty()).then(|| dates.join(" · "));
    (
        kind,
        a.title.clone(),
        dates,
        html! { <p class="info-text">{ &a.body }</p> },
    )
}

fn work(t: &Texts, work: &[FeedWork]) -> Html {
    html! {
        <ul class="work-list">
            { for work.iter().map(|w| html! {
                <li>
                    <span class="work-title">{
                        // Staff-entered titles only, when the operator shows them;
                        // otherwise the category, else the place.
                        w.title.clone().or_else(|| w.category.clone())
                            .unwrap_or_else(|| messages::work_place(t, w.place).to_owned())
                    }</span>
                    if w.title.is_some() || w.category.is_some() {
                        <span class="work-place">{ messages::work_place(t, w.place) }</span>
                    }
                    <span class="work-state">{ messages::work_state(t, w.state) }</span>
                </li>
            }) }
        </ul>
    }
}

/// Lays each item's text out in area-wide columns; returns each item's page count.
fn paginate(band: &HtmlElement) -> Vec<usize> {
    let _ = band.style().remove_property("height");
    let bodies = band.query_selector_all(".info-body").ok();
    let bodies: Vec<HtmlElement> = bodies
        .map(|list| {
            (0..list.length())
                .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
                .collect()
        })
        .unwrap_or_default();
    for body in &bodies {
        let style = body.style();
        for property in ["height", "column-width", "column-gap", "transform"] {
            let _ = style.remove_property(property);
        }
    }
    // As tall as the tallest item, within the stylesheet's limit; then fixed, so each
    // item's text window has a definite height to page in.
    let height = band.get_bounding_client_rect().height();
    let _ = band.style().set_property("height", &px(height.ceil()));
    bodies
        .iter()
        .map(|body| {
            let Some(window) = body.parent_element() else {
                return 1;
            };
            let (w, h) = (
                f64::from(window.client_width()),
                f64::from(window.client_height()),
            );
            if w < 1.0 || h < 1.0 {
                return 1;
            }
            let style = body.style();
            let _ = style.set_property("height", &px(h));
            let _ = style.set_property("column-width", &px(w));
            let _ = style.set_property("column-gap", &px(COLUMN_GAP));
            let pages = ((f64::from(body.scroll_width()) + COLUMN_GAP) / (w + COLUMN_GAP)).round();
            pages.max(1.0) as usize
        })
        .collect()
}

/// The rotating area; nothing when there is nothing to show.
#[component]
pub fn InfoPanel(props: &InfoPanelProps) -> Html {
    let t = use_i18n().t;
    let band = use_node_ref();
    let pages = use_state(Vec::<usize>::new);
    let tick = use_tick(PAGE_MS);
    {
        let (band, pages) = (band.clone(), pages.clone());
        let deps = (
            props.announcements.clone(),
            props.work.clone(),
            props.screen,
            props.compact,
            t.display_published,
        );
        use_effect_with(deps, move |_| {
            if let Some(band) = band.cast::<HtmlElement>() {
                pages.set(paginate(&band));
            }
        });
    }
    let total = props.announcements.len();
    let mut items: Vec<(String, String, Option<String>, Html)> = props
        .announcements
        .iter()
        .enumerate()
        .map(|(i, a)| announcement(t, a, i + 1, total))
        .collect();
    if !props.work.is_empty() {
        items.push((
            t.display_ongoing_work.to_owned(),
            String::new(),
            None,
            work(t, &props.work),
        ));
    }
    // Every (item, page) in turn.
    let slots: Vec<(usize, usize)> = (0..items.len())
        .flat_map(|i| (0..pages.get(i).copied().unwrap_or(1)).map(move |p| (i, p)))
        .collect();
    let (item, page) = slots
        .get(usize::try_from(tick).unwrap_or(0) % slots.len().max(1))
        .copied()
        .unwrap_or((0, 0));
    // Show the page: its column moved into the window.
    {
        let band = band.clone();
        use_effect_with((item, page, (*pages).clone()), move |(item, page, _)| {
            let body = band
                .cast::<HtmlElement>()
                .and_then(|b| b.query_selector_all(".info-body").ok())
                .and_then(|list| list.item(u32::try_from(*item).ok()?))
                .and_then(|node| node.dyn_into::<HtmlElement>().ok());
            if let Some(body) = body {
                let w = body.parent_element().map_or(0, |p| p.client_width());
                let shift = f64::from(w) + COLUMN_GAP;
                let _ = body.style().set_property(
                    "transform",
                    &format!("translateX(-{})", px(shift * *page as f64)),
                );
            }
        });
    }
    if items.is_empty() {
        return html! {};
    }
    let item_pages = pages.get(item).copied().unwrap_or(1);
    html! {
        <section class="info" aria-label={t.display_announcements} ref={band}>
            { for items.into_iter().enumerate().map(|(i, (kind, title, dates, body))| {
                let current = i == item;
                html! {
                    <article class={classes!("info-item", current.then_some("current"))}
                        aria-hidden={(!current).then_some("true")}>
                        <p class="info-kind">
                            { kind }
                            if current && item_pages > 1 {
                                { " · " }
                                { fill(t.display_page, &[("n", &(page + 1).to_string()), ("total", &item_pages.to_string())]) }
                            }
                        </p>
                        if !title.is_empty() {
                            <h2 class="info-title">{ title }</h2>
                        }
                        if let Some(dates) = dates {
                            <p class="info-dates">{ dates }</p>
                        }
                        <div class="info-window"><div class="info-body">{ body }</div></div>
                    </article>
                }
            }) }
        </section>
    }
}
