//! The landing page: what Rappu is and where to go.

use yew::prelude::*;

use crate::app::Route;
use crate::components::{HealthStatus, PageShell};
use crate::hooks::use_i18n;
use crate::router::Link;

/// `/`: the name, one line on what this is, links to the two apps, the gateway's health.
#[component]
pub fn LandingPage() -> Html {
    let t = use_i18n().t;
    html! {
        <PageShell title="Rappu">
            <p class="lead">{ t.landing_lead }</p>
            <ul class="cards">
                <li>
                    <Link to={Route::Display} classes="card">
                        <span class="card-title">{ t.landing_display_title }</span>
                        <span class="card-text">{ t.landing_display_text }</span>
                    </Link>
                </li>
                <li>
                    <Link to={Route::PortalHome} classes="card">
                        <span class="card-title">{ t.landing_portal_title }</span>
                        <span class="card-text">{ t.landing_portal_text }</span>
                    </Link>
                </li>
            </ul>
            <HealthStatus />
        </PageShell>
    }
}
