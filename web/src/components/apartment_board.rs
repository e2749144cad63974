//! The apartment board: staircases, floors from the top down, apartment numbers with the
//! names that may be shown, in as few pages as the screen allows at a legible size.
//!
//! The board watches its own size (`ResizeObserver`), measures a hidden copy of itself at
//! each candidate size ([`super::board_measure`]) whenever the feed or the size changes,
//! and shows one page per tick of its parent's timer. Names wrap; nothing is cut.

use std::rc::Rc;

use rappu_shared::display::{FeedApartment, FeedStaircase};
use web_sys::HtmlElement;
use yew::prelude::*;

use super::board_layout::{BoardBlock, BoardLine, Plan};
use super::board_measure::{Area, plan, px};
use crate::hooks::{use_i18n, use_size};
use crate::i18n::{Texts, fill};

/// What the board tells its parent after each layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoardStatus {
    /// The page shown (0-based).
    pub page: usize,
    /// Pages in all.
    pub pages: usize,
    /// Whether every staircase fits a page (the board has room enough).
    pub staircases_fit: bool,
}

/// Props of [`ApartmentBoard`].
#[derive(Properties, PartialEq)]
pub struct ApartmentBoardProps {
    /// The staircases to show.
    pub staircases: Rc<Vec<FeedStaircase>>,
    /// The parent's page timer: page `tick % pages` is shown.
    pub tick: u32,
    /// Told the page and layout whenever they change.
    pub on_status: Callback<BoardStatus>,
}

fn names(t: &Texts, apartment: &FeedApartment) -> Html {
    if apartment.names.is_empty() {
        html! { <span class="apt-names empty">{ t.display_no_residents_name }</span> }
    } else {
        html! { <span class="apt-names">{ apartment.names.join(", ") }</span> }
    }
}

fn row(t: &Texts, apartment: &FeedApartment) -> Html {
    html! {
        <li class="apt" data-apartment={apartment.number.clone()}>
            <span class="apt-no">{ &apartment.number }</span>
            { names(t, apartment) }
        </li>
    }
}

fn floor(t: &Texts, n: i32) -> Html {
    html! { <li class="floor">{ fill(t.display_floor, &[("n", &n.to_string())]) }</li> }
}

fn block(t: &Texts, block: &BoardBlock) -> Html {
    let title = if block.continued {
        t.display_staircase_continued
    } else {
        t.display_staircase
    };
    html! {
        <section class="stair">
            <h2>{ fill(title, &[("name", &block.staircase)]) }</h2>
            <ul>
                { for block.lines.iter().map(|line| match line {
                    BoardLine::Floor(n) => floor(t, *n),
                    BoardLine::Apartment(apartment) => row(t, apartment),
                }) }
            </ul>
        </section>
    }
}

/// The hidden copy the board measures: every line once, in one column (the longer,
/// "continued" heading, so any heading fits what was measured).
fn measuring_copy(t: &Texts, staircases: &[FeedStaircase]) -> Html {
    html! {
        { for staircases.iter().map(|s| html! {
            <section class="stair">
                <h2>{ fill(t.display_staircase_continued, &[("name", &s.name)]) }</h2>
                <ul>
                    { for s.floors.iter().map(|f| html! {
                        <>
                            { floor(t, f.floor) }
                            { for f.apartments.iter().map(|a| row(t, a)) }
                        </>
                    }) }
                </ul>
            </section>
        }) }
    }
}

fn screen_vmin() -> f64 {
    let Some(window) = web_sys::window() else {
        return 1080.0;
    };
    let side = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| {
        v.ok().and_then(|v| v.as_f64()).unwrap_or(1080.0)
    };
    side(window.inner_width()).min(side(window.inner_height()))
}

/// The board, paged to fit the screen.
#[component]
pub fn ApartmentBoard(props: &ApartmentBoardProps) -> Html {
    let t = use_i18n().t;
    let container = use_node_ref();
    let measure = use_node_ref();
    let size = use_size(container.clone());
    let plan_state = use_state(|| None::<Rc<Plan>>);
    {
        let (measure, plan_state) = (measure.clone(), plan_state.clone());
        let deps = (
            props.staircases.clone(),
            size,
            t.display_staircase_continued,
        );
        use_effect_with(deps, move |(staircases, (width, height), _)| {
            let area = Area {
                width: f64::from(*width),
                height: f64::from(*height),
                vmin: screen_vmin(),
            };
            if let Some(measure) = measure.cast::<HtmlElement>()
                && let Some(found) = plan(&measure, staircases, area)
            {
                plan_state.set(Some(Rc::new(found)));
            }
        });
    }
    // The chosen size, as CSS variables the stylesheet uses (CSSOM, which the CSP allows).
    {
        let container = container.clone();
        use_effect_with((*plan_state).clone(), move |plan| {
            if let (Some(plan), Some(element)) = (plan, container.cast::<HtmlElement>()) {
                let style = element.style();
                let _ = style.set_property("--board-font", &px(plan.font));
                let _ = style.set_property("--board-col", &px(plan.column_width));
                let _ = style.set_property("--board-cols", &plan.columns.to_string());
                let _ = style.set_property("--board-gap", &px(plan.gap));
            }
        });
    }
    let pages = plan_state.as_ref().map_or(0, |p| p.pages.len());
    let current = usize::try_from(props.tick).unwrap_or(0) % pages.max(1);
    let status = BoardStatus {
        page: current,
        pages,
        staircases_fit: plan_state
            .as_ref()
            .is_none_or(|p| p.staircases_fit_a_page()),
    };
    {
        let on_status = props.on_status.clone();
        use_effect_with(status, move |status| on_status.emit(*status));
    }

    html! {
        <div class="board" ref={container}>
            <div class="board-measure" aria-hidden="true" ref={measure}>
                { measuring_copy(t, &props.staircases) }
            </div>
            if let Some(plan) = plan_state.as_ref() {
                { for plan.pages.iter().enumerate().map(|(i, page)| html! {
                    <div class="board-page" hidden={i != current} data-page={(i + 1).to_string()}>
                        { for page.columns.iter().map(|column| html! {
                            <div class="board-column">{ for column.iter().map(|b| block(t, b)) }</div>
                        }) }
                    </div>
                }) }
            }
        </div>
    }
}
