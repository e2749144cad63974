//! The stairwell display: [`DisplayPage`] (the screen) and [`EnrollPage`] (its one-time
//! enrolment link).

mod enroll;
mod screen;

pub use enroll::EnrollPage;

use yew::prelude::*;

use crate::components::use_title;
use crate::hooks::{Blocked, use_feed, use_i18n, use_tick};
use crate::i18n::{fill, time_of_day};
use screen::DisplayScreen;

/// How long each page of a board too big for one screen stays, in milliseconds.
const PAGE_MS: u32 = 12_000;

/// `/display`: the screen, live from the feed; a message when the display has no session.
#[component]
pub fn DisplayPage() -> Html {
    let t = use_i18n().t;
    use_title(t.display_title.into());
    let view = use_feed();
    let tick = use_tick(PAGE_MS);
    match (&view.feed, view.blocked) {
        (Some(feed), None) => html! {
            <DisplayScreen feed={feed.clone()} {tick} offline_since={view.offline_since} />
        },
        (_, Some(blocked)) => {
            let text = match blocked {
                Blocked::NotEnrolled => t.display_not_enrolled_text,
                Blocked::NoBuilding => t.display_no_building,
            };
            html! {
                <main class="display display-message" data-state="not-enrolled">
                    <h1>{ t.display_not_enrolled_title }</h1>
                    <p>{ text }</p>
                </main>
            }
        }
        (None, None) => html! {
            <main class="display display-message" data-state="connecting">
                <h1>{ t.display_title }</h1>
                <p>{ t.display_connecting }</p>
                if let Some(since) = view.offline_since {
                    <p class="offline">{ fill(t.display_offline_since, &[("time", &time_of_day(t, since))]) }</p>
                }
            </main>
        },
    }
}
