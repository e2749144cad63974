//! The page for unknown paths.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::components::PageShell;

/// Any path the router does not know.
#[component]
pub fn NotFoundPage() -> Html {
    html! {
        <PageShell title="Sivua ei löytynyt">
            <p>{ "Tätä sivua ei ole. " }<Link<Route> to={Route::Landing}>{ "Etusivulle" }</Link<Route>></p>
        </PageShell>
    }
}
