//! The apartment board: staircases, floors from the top down, apartment numbers with the
//! names that may be shown. It measures the room it has (a hidden probe line gives the line
//! height and the narrowest column), lays the board out in pages that fit
//! ([`super::board_layout`]), and shows one page per tick of its parent's timer, so a tall
//! building needs no scrolling and no input.

use std::rc::Rc;

use gloo_events::EventListener;
use rappu_shared::display::DisplayFeed;
use web_sys::HtmlElement;
use yew::prelude::*;

use super::board_layout::{BoardBlock, BoardLine, layout};
use crate::hooks::use_i18n;
use crate::i18n::fill;

/// Props of [`ApartmentBoard`].
#[derive(Properties, PartialEq)]
pub struct ApartmentBoardProps {
    /// The feed whose staircases to show.
    pub feed: Rc<DisplayFeed>,
    /// The parent's page timer: page `tick % pages` is shown.
    pub tick: u32,
}

/// Columns and lines the board has room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fit {
    columns: usize,
    lines: usize,
}

fn measure(container: &NodeRef, probe: &NodeRef) -> Option<Fit> {
    let container = container.cast::<HtmlElement>()?;
    let probe = probe.cast::<HtmlElement>()?;
    let line = probe.offset_height();
    let column = probe.offset_width();
    if line <= 0 || column <= 0 {
        return None;
    }
    let columns = (container.client_width() / column).clamp(1, 4);
    let lines = container.client_height() / line;
    Some(Fit {
        columns: usize::try_from(columns).ok()?,
        lines: usize::try_from(lines).ok()?,
    })
}

/// The board, paged to fit the screen.
#[component]
pub fn ApartmentBoard(props: &ApartmentBoardProps) -> Html {
    let t = use_i18n().t;
    let container = use_node_ref();
    let probe = use_node_ref();
    let fit = use_state_eq(|| Fit {
        columns: 3,
        lines: 16,
    });
    // A resize (or rotation) of the screen measures again.
    let resized = use_state(|| 0_u32);
    {
        let resized = resized.clone();
        use_effect_with((), move |()| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "resize", move |_| resized.set(*resized + 1))
            });
            move || drop(listener)
        });
    }
    {
        let (container, probe, fit) = (container.clone(), probe.clone(), fit.clone());
        use_effect_with((props.feed.clone(), *resized), move |_| {
            if let Some(measured) = measure(&container, &probe) {
                fit.set(measured);
            }
        });
    }
    let pages = {
        let fit = *fit;
        use_memo((props.feed.clone(), fit), |(feed, fit)| {
            layout(&feed.staircases, fit.columns, fit.lines)
        })
    };
    let current = usize::try_from(props.tick).unwrap_or(0) % pages.len().max(1);
    let columns_class = format!("cols-{}", fit.columns);

    let block = |block: &BoardBlock| {
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
                        BoardLine::Floor(n) => html! {
                            <li class="floor">{ fill(t.display_floor, &[("n", &n.to_string())]) }</li>
                        },
                        BoardLine::Apartment(apartment) => {
                            let names = if apartment.names.is_empty() {
                                html! { <span class="apt-names empty">{ t.display_no_residents_name }</span> }
                            } else {
                                html! { <span class="apt-names">{ apartment.names.join(", ") }</span> }
                            };
                            html! {
                                <li class="apt" data-apartment={apartment.number.clone()}>
                                    <span class="apt-no">{ &apartment.number }</span>
                                    { names }
                                </li>
                            }
                        }
                    }) }
                </ul>
            </section>
        }
    };

    html! {
        <div class="board" ref={container.clone()}>
            <span class="board-probe" aria-hidden="true" ref={probe.clone()}>{ "A 00 Xxxxxxxx" }</span>
            { for pages.iter().enumerate().map(|(i, page)| html! {
                <div class={classes!("board-page", columns_class.clone())} hidden={i != current}
                     data-page={(i + 1).to_string()}>
                    { for page.columns.iter().map(|column| html! {
                        <div class="board-column">{ for column.iter().map(block) }</div>
                    }) }
                </div>
            }) }
            if pages.len() > 1 {
                <p class="board-paging">
                    { fill(t.display_page, &[("n", &(current + 1).to_string()), ("total", &pages.len().to_string())]) }
                </p>
            }
        </div>
    }
}
