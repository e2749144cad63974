//! The route table and the two root components, one per bundle.
//!
//! The display, the caretaker's pairing page and the portal are separate programs
//! (`src/bin/display.rs`, `src/bin/pair.rs`, `src/bin/portal.rs`) over this one library: a
//! stairwell screen never downloads forms, a phone never downloads the display's board, and
//! each stays under the first-load budget. The gateway answers `index.html` on every page
//! path; its boot module loads the display bundle for `/display` and `/display/enroll`, the
//! pairing bundle for `/display/pair` and the portal bundle for everything else.

use yew::prelude::*;

use crate::hooks::I18nProvider;
use crate::pages::{DisplayPage, EnrollPage, LandingPage, NotFoundPage, PairPage, PortalPage};
use crate::router::Router;

/// Which program serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    /// The stairwell display.
    Display,
    /// A caretaker's phone pairing displays.
    Pair,
    /// The landing page and the resident portal.
    Portal,
}

/// The app's pages, by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/`: what Rappu is, with links to the display and the portal.
    Landing,
    /// `/display`: the stairwell display screen (full screen, no input).
    Display,
    /// `/display/enroll?code=...`: a display's one-time enrolment link.
    DisplayEnroll,
    /// `/display/pair`: a caretaker's phone pairs screens by the code they show.
    DisplayPair,
    /// `/portal`: sign in, or straight to the reports when signed in.
    PortalHome,
    /// `/portal/login?code=...`: a resident's one-time login link.
    PortalLogin,
    /// `/portal/report`: the fault report form (the display's QR code points here).
    NewReport,
    /// `/portal/reports`: the resident's reports.
    Reports,
    /// `/portal/reports/{id}`: one report with its timeline.
    Report {
        /// Rappu's id of the report.
        id: String,
    },
    /// Any other path.
    NotFound,
}

impl Route {
    /// The route for a path (a trailing slash is ignored).
    pub fn recognize(path: &str) -> Route {
        let path = path.trim_end_matches('/');
        let mut parts = path.split('/').skip(1);
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (None, ..) => Route::Landing,
            (Some("display"), None, ..) => Route::Display,
            (Some("display"), Some("enroll"), None, _) => Route::DisplayEnroll,
            (Some("display"), Some("pair"), None, _) => Route::DisplayPair,
            (Some("portal"), None, ..) => Route::PortalHome,
            (Some("portal"), Some("login"), None, _) => Route::PortalLogin,
            (Some("portal"), Some("report"), None, _) => Route::NewReport,
            (Some("portal"), Some("reports"), None, _) => Route::Reports,
            (Some("portal"), Some("reports"), Some(id), None) if !id.is_empty() => {
                Route::Report { id: id.to_owned() }
            }
            _ => Route::NotFound,
        }
    }

    /// The route's path.
    pub fn to_path(&self) -> String {
        match self {
            Route::Landing => "/".into(),
            Route::Display => "/display".into(),
            Route::DisplayEnroll => "/display/enroll".into(),
            Route::DisplayPair => "/display/pair".into(),
            Route::PortalHome => "/portal".into(),
            Route::PortalLogin => "/portal/login".into(),
            Route::NewReport => "/portal/report".into(),
            Route::Reports => "/portal/reports".into(),
            Route::Report { id } => format!("/portal/reports/{id}"),
            Route::NotFound => "/404".into(),
        }
    }

    /// The program that serves it.
    pub fn bundle(&self) -> Bundle {
        match self {
            Route::Display | Route::DisplayEnroll => Bundle::Display,
            Route::DisplayPair => Bundle::Pair,
            _ => Bundle::Portal,
        }
    }

    /// Whether it is a page of the resident portal.
    pub fn in_portal(&self) -> bool {
        matches!(
            self,
            Route::PortalHome
                | Route::PortalLogin
                | Route::NewReport
                | Route::Reports
                | Route::Report { .. }
        )
    }
}

/// Renders the display bundle's page for a route.
#[component]
fn DisplaySwitch() -> Html {
    match crate::router::use_route() {
        Route::DisplayEnroll => html! { <EnrollPage /> },
        _ => html! { <DisplayPage /> },
    }
}

/// The display bundle's root: language, router, page.
#[component]
pub fn DisplayApp() -> Html {
    html! {
        <I18nProvider>
            <Router bundle={Bundle::Display}><DisplaySwitch /></Router>
        </I18nProvider>
    }
}

/// The pairing bundle's root: language, router, the caretaker's page.
#[component]
pub fn PairApp() -> Html {
    html! {
        <I18nProvider>
            <Router bundle={Bundle::Pair}><PairPage /></Router>
        </I18nProvider>
    }
}

/// Renders the portal bundle's page for a route.
#[component]
fn PortalSwitch() -> Html {
    let route = crate::router::use_route();
    match route {
        Route::Landing => html! { <LandingPage /> },
        route if route.in_portal() => html! { <PortalPage {route} /> },
        _ => html! { <NotFoundPage /> },
    }
}

/// The portal bundle's root (landing page, resident portal, not found).
#[component]
pub fn PortalApp() -> Html {
    html! {
        <I18nProvider>
            <Router bundle={Bundle::Portal}><PortalSwitch /></Router>
        </I18nProvider>
    }
}

#[cfg(test)]
mod tests {
    use super::{Bundle, Route};

    #[test]
    fn paths_map_to_pages() {
        for (path, route) in [
            ("/", Route::Landing),
            ("", Route::Landing),
            ("/display", Route::Display),
            ("/display/", Route::Display),
            ("/display/enroll", Route::DisplayEnroll),
            ("/display/pair", Route::DisplayPair),
            ("/portal", Route::PortalHome),
            ("/portal/login", Route::PortalLogin),
            ("/portal/report", Route::NewReport),
            ("/portal/reports", Route::Reports),
            (
                "/portal/reports/0193f6d2-8a0e",
                Route::Report {
                    id: "0193f6d2-8a0e".into(),
                },
            ),
            ("/portal/reports/1/x", Route::NotFound),
            ("/portal/nope", Route::NotFound),
            ("/displayx", Route::NotFound),
            ("/nope", Route::NotFound),
        ] {
            assert_eq!(Route::recognize(path), route, "{path}");
        }
    }

    #[test]
    fn routes_print_paths_that_map_back() {
        for route in [
            Route::Landing,
            Route::Display,
            Route::DisplayEnroll,
            Route::DisplayPair,
            Route::PortalHome,
            Route::PortalLogin,
            Route::NewReport,
            Route::Reports,
            Route::Report { id: "abc".into() },
        ] {
            assert_eq!(Route::recognize(&route.to_path()), route);
        }
        // The display's QR code (made by the gateway) points at this path.
        assert_eq!(Route::NewReport.to_path(), "/portal/report");
    }

    #[test]
    fn only_the_display_pages_are_in_the_display_bundle() {
        assert_eq!(Route::Display.bundle(), Bundle::Display);
        assert_eq!(Route::DisplayEnroll.bundle(), Bundle::Display);
        assert_eq!(Route::DisplayPair.bundle(), Bundle::Pair);
        assert_eq!(Route::Landing.bundle(), Bundle::Portal);
        assert_eq!(Route::Reports.bundle(), Bundle::Portal);
        assert_eq!(Route::NotFound.bundle(), Bundle::Portal);
        assert!(Route::Report { id: "x".into() }.in_portal());
        assert!(!Route::Landing.in_portal());
    }
}
