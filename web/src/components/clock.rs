//! A clock for the display: hours and minutes in Finnish time, updated every second (the
//! text changes once a minute).

use yew::prelude::*;

use crate::hooks::{use_i18n, use_tick};
use crate::i18n::{time_of_day, utc_from_millis};

/// The time now, as `hh.mm`.
#[component]
pub fn Clock() -> Html {
    let t = use_i18n().t;
    let _ = use_tick(1_000);
    let text = time_of_day(t, utc_from_millis(js_sys::Date::now()));
    html! { <time class="clock">{ text }</time> }
}
