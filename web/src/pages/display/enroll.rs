//! `/display/enroll?code=...`: the one-time enrolment link. The code leaves the address bar
//! at once (history.replaceState), is exchanged for the display's session cookie, and the
//! page moves on to `/display`. A used or unknown code gets a clear message; while the
//! gateway cannot be reached the page keeps trying, with no input needed.

use gloo_timers::future::TimeoutFuture;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::use_title;
use crate::hooks;
use crate::hooks::use_i18n;
use crate::router::use_navigator;
use crate::storage;
use crate::url::query_param;

/// How long to wait before trying an unreachable gateway again.
const RETRY_MS: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enrolment {
    Working,
    Retrying,
    Invalid,
    NoCode,
}

/// The enrolment page.
#[component]
pub fn EnrollPage() -> Html {
    let t = use_i18n().t;
    use_title(t.enroll_title.into());
    let state = use_state(|| Enrolment::Working);
    let navigator = use_navigator();
    {
        let state = state.clone();
        use_effect_with((), move |()| {
            let code = query_param("code");
            // The code is secret until used: off the address bar before anything else.
            navigator.replace(Route::DisplayEnroll);
            match code {
                None => state.set(Enrolment::NoCode),
                Some(code) => yew::platform::spawn_local(async move {
                    loop {
                        match api::enroll_display(&code).await {
                            Ok(()) => {
                                // A feed kept from an earlier enrolment is not this one's.
                                storage::remove(hooks::KEPT_FEED);
                                navigator.replace(Route::Display);
                                break;
                            }
                            Err(error) if error.slug() == Some("invalid-code") => {
                                state.set(Enrolment::Invalid);
                                break;
                            }
                            Err(ApiError::Validation(_)) => {
                                state.set(Enrolment::Invalid);
                                break;
                            }
                            // Anything else may pass: the gateway down, restarting, busy.
                            Err(_) => {
                                state.set(Enrolment::Retrying);
                                TimeoutFuture::new(RETRY_MS).await;
                            }
                        }
                    }
                }),
            }
        });
    }
    let (kind, text) = match *state {
        Enrolment::Working => ("working", t.enroll_working),
        Enrolment::Retrying => ("retrying", t.enroll_retrying),
        Enrolment::Invalid => ("invalid", t.enroll_invalid),
        Enrolment::NoCode => ("invalid", t.enroll_no_code),
    };
    let role = if kind == "invalid" { "alert" } else { "status" };
    html! {
        <main class="display display-message" data-state={kind}>
            <h1>{ t.enroll_title }</h1>
            <p {role}>{ text }</p>
        </main>
    }
}
