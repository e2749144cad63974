//! The gateway's health, fetched once from `GET /healthz`: proof that the wasm app runs and
//! reaches the gateway it was served by.

use yew::prelude::*;

use rappu_shared::Health;

use crate::api::{self, ApiError};
use crate::hooks::use_i18n;
use crate::i18n::{fill, messages};

/// Where the health request is.
#[derive(Debug, Clone, PartialEq)]
enum HealthState {
    Loading,
    Ready(Health),
    Failed(ApiError),
}

/// One line, announced politely to screen readers: checking, up (with the gateway's
/// version), or the reason it could not be reached. `data-state` lets tests wait for it.
#[component]
pub fn HealthStatus() -> Html {
    let t = use_i18n().t;
    let state = use_state(|| HealthState::Loading);
    {
        let state = state.clone();
        use_effect_with((), move |()| {
            yew::platform::spawn_local(async move {
                state.set(match api::fetch_health().await {
                    Ok(health) => HealthState::Ready(health),
                    Err(error) => HealthState::Failed(error),
                });
            });
        });
    }
    let (kind, text) = match &*state {
        HealthState::Loading => ("loading", t.health_checking.to_owned()),
        HealthState::Ready(health) if health.status == "ok" => {
            ("ok", fill(t.health_ok, &[("version", &health.version)]))
        }
        HealthState::Ready(health) => (
            "degraded",
            fill(
                t.health_degraded,
                &[("status", &health.status), ("version", &health.version)],
            ),
        ),
        HealthState::Failed(error) => (
            "error",
            fill(
                t.health_failed,
                &[("error", &messages::api_error(t, error))],
            ),
        ),
    };
    html! {
        <p class={classes!("health", kind)} role="status" aria-live="polite" data-state={kind}>
            { text }
        </p>
    }
}
