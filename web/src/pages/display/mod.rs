//! The stairwell display: [`DisplayPage`] (the screen, or its pairing code while it has no
//! session), [`EnrollPage`] (a one-time enrolment link) and [`PairPage`] (a caretaker's
//! phone pairing screens).

mod enroll;
mod pair;
mod pairing;
mod screen;

pub use enroll::EnrollPage;
pub use pair::PairPage;

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::api;
use crate::components::use_title;
use crate::hooks::{Blocked, use_feed, use_i18n, use_tick};
use crate::i18n::{fill, time_of_day};
use pairing::PairingScreen;
use screen::DisplayScreen;

/// How long each page of a board too big for one screen stays, in milliseconds.
const PAGE_MS: u32 = 12_000;
/// How often a display renews its session while it shows the board.
const RENEW_MS: u32 = 5 * 60_000;

/// Renews the display's session now and every [`RENEW_MS`] while `active` (the gateway
/// replaces a day-old session and applies a reassignment; failures are for the feed to
/// notice).
#[hook]
fn use_session_renewal(active: bool) {
    use_effect_with(active, |&active| {
        let renew = || {
            yew::platform::spawn_local(async {
                let _ = api::renew_display_session().await;
            })
        };
        let interval = active.then(|| {
            renew();
            Interval::new(RENEW_MS, renew)
        });
        move || drop(interval)
    });
}

/// `/display`: the screen, live from the feed; its pairing code while it has no session.
#[component]
pub fn DisplayPage() -> Html {
    let t = use_i18n().t;
    use_title(t.display_title.into());
    let (view, restart) = use_feed();
    let tick = use_tick(PAGE_MS);
    use_session_renewal(view.feed.is_some() && view.blocked.is_none());
    match (&view.feed, view.blocked) {
        (Some(feed), None) => html! {
            <DisplayScreen feed={feed.clone()} {tick} offline_since={view.offline_since} />
        },
        (_, Some(Blocked::NotEnrolled)) => html! { <PairingScreen on_paired={restart} /> },
        (_, Some(Blocked::NoBuilding)) => html! {
            <main class="display display-message" data-state="no-building">
                <h1>{ t.display_title }</h1>
                <p>{ t.display_no_building }</p>
            </main>
        },
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
