//! The display's screen: building and clock on top, the apartment board, announcements,
//! ongoing work and the portal's QR code, contacts and "updated" at the bottom. Portrait
//! and landscape are both laid out by CSS (`web/static/app.css`, `.display`), large type
//! and high contrast for reading at three metres.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use rappu_shared::display::DisplayFeed;
use yew::prelude::*;

use crate::components::{AnnouncementList, ApartmentBoard, Clock, ContactList, PortalQr};
use crate::hooks::use_i18n;
use crate::i18n::{fill, messages, time_of_day};

/// Props of [`DisplayScreen`].
#[derive(Properties, PartialEq)]
pub struct DisplayScreenProps {
    /// The feed.
    pub feed: Rc<DisplayFeed>,
    /// The page timer.
    pub tick: u32,
    /// When the display lost touch, if it has.
    pub offline_since: Option<DateTime<Utc>>,
}

/// The whole screen.
#[component]
pub fn DisplayScreen(props: &DisplayScreenProps) -> Html {
    let t = use_i18n().t;
    let feed = &props.feed;
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
    html! {
        <div class="display" data-state={state}>
            <header class="display-header">
                <div class="display-place">
                    <h1>{ &feed.building.property_name }</h1>
                    <p class="display-address">{ place }</p>
                </div>
                <Clock />
            </header>
            <main class="display-board">
                <ApartmentBoard feed={feed.clone()} tick={props.tick} />
            </main>
            <aside class="display-side">
                <AnnouncementList announcements={feed.announcements.clone()} tick={props.tick} />
                if !feed.ongoing_work.is_empty() {
                    <section class="ongoing-work" aria-labelledby="work-title">
                        <h2 id="work-title">{ t.display_ongoing_work }</h2>
                        <ul>
                            { for feed.ongoing_work.iter().map(|w| html! {
                                <li>
                                    <span class="work-title">{
                                        // Staff-entered titles only, when the operator shows
                                        // them; otherwise the category, else the place.
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
                    </section>
                }
                <PortalQr />
            </aside>
            <footer class="display-footer">
                <ContactList contacts={feed.contacts.clone()} />
                <p class="display-status">
                    <span class="updated">
                        { fill(t.display_updated, &[("time", &time_of_day(t, feed.data_as_of))]) }
                    </span>
                    if let Some(since) = props.offline_since {
                        <span class="offline">
                            { fill(t.display_offline_since, &[("time", &time_of_day(t, since))]) }
                        </span>
                    }
                </p>
            </footer>
        </div>
    }
}
