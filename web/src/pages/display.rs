//! The stairwell display page (placeholder until the display feed lands).

use yew::prelude::*;

use crate::components::PageShell;

/// `/display`: will show the staircase's residents by floor, announcements and contacts.
#[component]
pub fn DisplayPage() -> Html {
    html! {
        <PageShell title="Porrasnäyttö">
            <p>{ "Tälle sivulle tulee porraskäytävän näyttö: asunnot kerroksittain, tiedotteet, \
                  huoltoyhtiön ja isännöitsijän yhteystiedot sekä QR-koodi vikailmoitukseen." }</p>
            <p class="muted" lang="en">{ "Coming soon: the stairwell display." }</p>
        </PageShell>
    }
}
