//! An unpaired screen: it asks the gateway for a pairing and shows the code (and a QR code
//! of the caretaker page with the code in it) until a caretaker or an operator enters it;
//! then it becomes the display (within a second: each poll waits on the gateway for the
//! approval). A code that expires is replaced by a new one. The screen shows nothing a
//! passer-by could act on: no commands, no links, only the code.

use gloo_timers::future::TimeoutFuture;
use rappu_shared::pairing::{PairingPoll, PairingStarted, format_user_code};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::hooks::use_i18n;

/// Wait before trying again when the gateway cannot be reached.
const RETRY_MS: u32 = 5_000;

/// Props of [`PairingScreen`].
#[derive(Properties, PartialEq)]
pub struct PairingScreenProps {
    /// Called once the screen has its session.
    pub on_paired: Callback<()>,
}

/// How long to wait after a failed call before the next.
fn backoff(error: &ApiError) -> u32 {
    match error {
        ApiError::RateLimited {
            retry_after: Some(s),
        } => s.saturating_mul(1_000).max(RETRY_MS),
        _ => RETRY_MS,
    }
}

/// The pairing screen.
#[component]
pub fn PairingScreen(props: &PairingScreenProps) -> Html {
    let t = use_i18n().t;
    let started = use_state(|| None::<PairingStarted>);
    let offline = use_state(|| false);
    {
        let (started, offline) = (started.setter(), offline.setter());
        let on_paired = props.on_paired.clone();
        use_effect_with((), move |()| {
            let alive = std::rc::Rc::new(std::cell::Cell::new(true));
            let running = alive.clone();
            yew::platform::spawn_local(async move {
                'pairing: while running.get() {
                    let pairing = match api::start_pairing().await {
                        Ok(pairing) => pairing,
                        Err(error) => {
                            offline.set(true);
                            TimeoutFuture::new(backoff(&error)).await;
                            continue;
                        }
                    };
                    offline.set(false);
                    started.set(Some(pairing.clone()));
                    while running.get() {
                        match api::poll_pairing().await {
                            Ok(PairingPoll::Paired { .. }) => {
                                on_paired.emit(());
                                break 'pairing;
                            }
                            Ok(PairingPoll::Pending { .. }) => {
                                offline.set(false);
                                TimeoutFuture::new(pairing.interval_secs.saturating_mul(1_000))
                                    .await;
                            }
                            // Expired (or the cookie is gone): a new code.
                            Err(ApiError::Other(p)) if p.status == 410 => continue 'pairing,
                            Err(ApiError::Unauthorized) => continue 'pairing,
                            Err(error) => {
                                offline.set(true);
                                TimeoutFuture::new(backoff(&error)).await;
                            }
                        }
                    }
                }
            });
            move || alive.set(false)
        });
    }
    html! {
        <main class="display display-pairing" data-state="pairing">
            <h1>{ t.pairing_title }</h1>
            if let Some(pairing) = started.as_ref() {
                <p class="pairing-intro">{ t.pairing_intro }</p>
                <p class="pairing-code" data-code={pairing.user_code.clone()}>
                    <span class="visually-hidden">{ t.pairing_code_label }</span>
                    // A non-breaking hyphen: the code never breaks across lines.
                    { format_user_code(&pairing.user_code).replace('-', "\u{2011}") }
                </p>
                <img class="pairing-qr" src={api::pairing_qr(&pairing.user_code)}
                    alt={t.pairing_qr_alt} width="260" height="260" />
            } else {
                <p class="pairing-intro">{ t.display_connecting }</p>
            }
            if *offline {
                <p class="offline" role="status">{ t.pairing_offline }</p>
            }
        </main>
    }
}
