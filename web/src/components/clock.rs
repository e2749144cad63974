//! A clock for the display: the weekday and date above hours and minutes, in Finnish time,
//! updated every second (the text changes once a minute).

use yew::prelude::*;

use crate::hooks::{use_i18n, use_tick};
use crate::i18n::{time_of_day, today, utc_from_millis};

/// The date and the time now.
#[component]
pub fn Clock() -> Html {
    let t = use_i18n().t;
    let _ = use_tick(1_000);
    let now = utc_from_millis(js_sys::Date::now());
    html! {
        <div class="now">
            <p class="today">{ today(t, now) }</p>
            <time class="clock">{ time_of_day(t, now) }</time>
        </div>
    }
}
