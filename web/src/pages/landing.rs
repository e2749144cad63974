//! The landing page: what Rappu is and where to go.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::{HealthStatus, PageShell};

/// `/`: the name, one line on what this is, links to the two apps, the gateway's health.
#[component]
pub fn LandingPage() -> Html {
    html! {
        <PageShell title="Rappu">
            <p class="lead">{ "Porraskäytävän näyttö ja asukkaiden vikailmoitukset – yhdestä palvelusta." }</p>
            <ul class="cards">
                <li>
                    <Link<Route> to={Route::Display} classes="card">
                        <span class="card-title">{ "Porrasnäyttö" }</span>
                        <span class="card-text">{ "Asukkaat, tiedotteet ja yhteystiedot porraskäytävän näytölle." }</span>
                    </Link<Route>>
                </li>
                <li>
                    <Link<Route> to={Route::Portal} classes="card">
                        <span class="card-title">{ "Asukasportaali" }</span>
                        <span class="card-text">{ "Tee vikailmoitus ja seuraa sen etenemistä." }</span>
                    </Link<Route>>
                </li>
            </ul>
            <HealthStatus />
        </PageShell>
    }
}
