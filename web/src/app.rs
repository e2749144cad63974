//! The route table and the root component.
//!
//! Every path here is also answered by the gateway with `index.html` (SPA fallback), so a
//! reload or a shared link on any of them lands back in this router.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::pages::{DisplayPage, LandingPage, NotFoundPage, PortalPage};

/// The app's pages, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Routable)]
pub enum Route {
    /// What Rappu is, with links to the display and the portal.
    #[at("/")]
    Landing,
    /// The stairwell display screen (portrait, full screen, no input).
    #[at("/display")]
    Display,
    /// The resident portal: fault reports and their progress.
    #[at("/portal")]
    Portal,
    /// Any other path.
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// Renders the page for a route.
fn switch(route: Route) -> Html {
    match route {
        Route::Landing => html! { <LandingPage /> },
        Route::Display => html! { <DisplayPage /> },
        Route::Portal => html! { <PortalPage /> },
        Route::NotFound => html! { <NotFoundPage /> },
    }
}

/// The root component: browser-history routing over [`Route`].
#[component]
pub fn App() -> Html {
    html! {
        <BrowserRouter>
            <Switch<Route> render={switch} />
        </BrowserRouter>
    }
}

#[cfg(test)]
mod tests {
    use super::Route;
    use yew_router::Routable;

    #[test]
    fn paths_map_to_pages() {
        assert_eq!(Route::recognize("/"), Some(Route::Landing));
        assert_eq!(Route::recognize("/display"), Some(Route::Display));
        assert_eq!(Route::recognize("/portal"), Some(Route::Portal));
        assert_eq!(Route::recognize("/portal/reports/5"), Some(Route::NotFound));
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
    }

    #[test]
    fn routes_print_their_paths() {
        assert_eq!(Route::Display.to_path(), "/display");
        assert_eq!(Route::Portal.to_path(), "/portal");
    }
}
