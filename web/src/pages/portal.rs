//! The resident portal (placeholder until sign-in and fault reports land).

use yew::prelude::*;

use crate::components::PageShell;

/// `/portal`: will let a resident sign in, report a fault and follow their reports.
#[component]
pub fn PortalPage() -> Html {
    html! {
        <PageShell title="Asukasportaali">
            <p>{ "Täällä voit pian kirjautua sisään, tehdä vikailmoituksen kuvineen ja seurata \
                  omien ilmoitustesi etenemistä." }</p>
            <p class="muted" lang="en">{ "Coming soon: the resident portal." }</p>
        </PageShell>
    }
}
