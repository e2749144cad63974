//! The page for unknown paths.

use yew::prelude::*;

use crate::app::Route;
use crate::components::PageShell;
use crate::hooks::use_i18n;
use crate::router::Link;

/// Any path the router does not know.
#[component]
pub fn NotFoundPage() -> Html {
    let t = use_i18n().t;
    html! {
        <PageShell title={t.not_found_title}>
            <p>{ t.not_found_text }{ " " }<Link to={Route::Landing}>{ t.back_home }</Link></p>
        </PageShell>
    }
}
