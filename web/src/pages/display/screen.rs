//! The display's screen: building, date and clock on top, the apartment board, the rotating
//! announcements and work, contacts, status and the portal's QR code. Portrait
//! (1080×1920) and landscape (1920×1080) are both laid out by the stylesheet
//! (`web/static/app.css`, `.display`), large type and high contrast for reading at three
//! metres; the board sizes itself by measurement.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use rappu_shared::display::DisplayFeed;
use yew::prelude::*;

use crate::components::{ApartmentBoard, BoardStatus, Clock, ContactList, InfoPanel, PortalQr};
use crate::hooks::{use_i18n, use_size};
use crate::i18n::{fill, time_of_day};

/// Props of [`DisplayScreen`].
#[derive(Properties, PartialEq)]
pub struct DisplayScreenProps {
    /// The feed.
    pub feed: Rc<DisplayFeed>,
    /// The board's page timer.
    pub tick: u32,
    /// When the display lost touch, if it has.
    pub offline_since: Option<DateTime<Utc>>,
}

/// The whole screen.
#[component]
pub fn DisplayScreen(props: &DisplayScreenProps) -> Html {
    let t = use_i18n().t;
    let root = use_node_ref();
    let screen = use_size(root.clone());
    let board = use_state_eq(BoardStatus::default);
    // The list comes first: when a staircase would not fit a page, the announcements get
    // less room. Once given up, the room stays given up for this content on this screen
    // (else the two would take it from each other in turn): `compact_for` is the content
    // and screen it was given up for.
    let situation = (std::rc::Rc::as_ptr(&props.feed) as usize, screen);
    let compact_for = use_state_eq(|| None::<(usize, (i32, i32))>);
    let on_status = {
        let (board, compact_for) = (board.clone(), compact_for.clone());
        Callback::from(move |status: BoardStatus| {
            if !status.staircases_fit {
                compact_for.set(Some(situation));
            }
            board.set(status);
        })
    };
    let feed = &props.feed;
    let staircases = use_memo(feed.clone(), |f| f.staircases.clone());
    let announcements = use_memo(feed.clone(), |f| f.announcements.clone());
    let work = use_memo(feed.clone(), |f| f.ongoing_work.clone());
    let address = &feed.building.address;
    let town = format!("{} {}", address.postal_code, address.city);
    let place = [address.street.as_str(), town.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let state = if props.offline_since.is_some() {
        "offline"
    } else {
        "live"
    };
    let has_info = !announcements.is_empty() || !work.is_empty();
    let compact = *compact_for == Some(situation);
    html! {
        <div class={classes!("display", has_info.then_some("has-info"), compact.then_some("compact"))}
            data-state={state} ref={root}>
            <header class="display-header">
                <div class="display-place">
                    <h1>{ &feed.building.property_name }</h1>
                    <p class="display-address">{ place }</p>
                </div>
                <Clock />
            </header>
            <main class="display-board">
                <ApartmentBoard {staircases} tick={props.tick} {on_status} />
            </main>
            <InfoPanel {announcements} {work} {screen} {compact} />
            <footer class="display-footer">
                <ContactList contacts={feed.contacts.clone()} />
                <p class="display-status">
                    if board.pages > 1 {
                        <span class="board-paging">
                            { fill(t.display_page, &[("n", &(board.page + 1).to_string()), ("total", &board.pages.to_string())]) }
                        </span>
                    }
                    <span class="updated">
                        { fill(t.display_updated, &[("time", &time_of_day(t, feed.data_as_of))]) }
                    </span>
                    if let Some(since) = props.offline_since {
                        <span class="offline" role="status">
                            { fill(t.display_offline_since, &[("time", &time_of_day(t, since))]) }
                        </span>
                    }
                </p>
            </footer>
            <PortalQr />
        </div>
    }
}
