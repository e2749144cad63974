//! A small router over the History API: the current [`Route`] in a context, a
//! [`Navigator`] to move (push or replace), [`Link`] and [`Redirect`].
//!
//! Why not yew-router: it costs ~12 KB of gzip in each bundle (a route recognizer, a
//! history abstraction, serde for query strings and history state), and the app has nine
//! fixed paths. Routes belong to one of the bundles ([`Bundle`]); moving to a route of
//! another bundle loads that page from the server.

use gloo_events::EventListener;
use yew::prelude::*;

use crate::app::{Bundle, Route};

/// The path part of the address bar.
fn current_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".to_owned())
}

/// How a navigation changes the session history.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Move {
    route: Route,
    query: Option<String>,
    replace: bool,
}

/// Moves between routes; from [`use_navigator`].
#[derive(Clone, PartialEq)]
pub struct Navigator {
    route: Route,
    go: Callback<Move>,
}

impl Navigator {
    /// Goes to `route`, adding a history entry.
    pub fn push(&self, route: Route) {
        self.go.emit(Move {
            route,
            query: None,
            replace: false,
        });
    }

    /// Goes to `route` with a query string (without the `?`).
    pub fn push_with_query(&self, route: Route, query: &str) {
        self.go.emit(Move {
            route,
            query: Some(query.to_owned()),
            replace: false,
        });
    }

    /// Goes to `route` in place of the current entry (e.g. to drop a one-time code from
    /// the address bar).
    pub fn replace(&self, route: Route) {
        self.go.emit(Move {
            route,
            query: None,
            replace: true,
        });
    }
}

/// Props of [`Router`].
#[derive(Properties, PartialEq)]
pub struct RouterProps {
    /// The bundle this router runs in: routes of other bundles load from the server.
    pub bundle: Bundle,
    /// The app.
    #[prop_or_default]
    pub children: Html,
}

/// Keeps the current route in step with the address bar (back and forward included).
#[component]
pub fn Router(props: &RouterProps) -> Html {
    let route = use_state(|| Route::recognize(&current_path()));
    {
        let route = route.clone();
        use_effect_with((), move |()| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "popstate", move |_| {
                    route.set(Route::recognize(&current_path()));
                })
            });
            move || drop(listener)
        });
    }
    let go = {
        let route = route.clone();
        let bundle = props.bundle;
        Callback::from(move |m: Move| {
            let Some(window) = web_sys::window() else {
                return;
            };
            let mut url = m.route.to_path();
            if let Some(query) = &m.query {
                url = format!("{url}?{query}");
            }
            if m.route.bundle() != bundle {
                let _ = window.location().assign(&url);
                return;
            }
            if let Ok(history) = window.history() {
                let _ = if m.replace {
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
                } else {
                    history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
                };
            }
            if !m.replace {
                window.scroll_to_with_x_and_y(0.0, 0.0);
            }
            route.set(m.route);
        })
    };
    let context = Navigator {
        route: (*route).clone(),
        go,
    };
    html! {
        <ContextProvider<Navigator> {context}>{ props.children.clone() }</ContextProvider<Navigator>>
    }
}

/// The navigator (a no-op outside a [`Router`]).
#[hook]
pub fn use_navigator() -> Navigator {
    use_context::<Navigator>().unwrap_or_else(|| Navigator {
        route: Route::NotFound,
        go: Callback::noop(),
    })
}

/// The current route.
#[hook]
pub fn use_route() -> Route {
    use_navigator().route
}

/// Props of [`Link`].
#[derive(Properties, PartialEq)]
pub struct LinkProps {
    /// Where it goes.
    pub to: Route,
    /// CSS classes.
    #[prop_or_default]
    pub classes: Classes,
    /// Marks the link as the current page (`aria-current="page"`).
    #[prop_or_default]
    pub current: bool,
    /// The link's content.
    #[prop_or_default]
    pub children: Html,
}

/// A link that moves within the app without a page load (modified clicks, e.g. to open a
/// new tab, do what the browser does).
#[component]
pub fn Link(props: &LinkProps) -> Html {
    let navigator = use_navigator();
    let onclick = {
        let to = props.to.clone();
        move |e: MouseEvent| {
            if e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() || e.button() != 0 {
                return;
            }
            e.prevent_default();
            navigator.push(to.clone());
        }
    };
    html! {
        <a href={props.to.to_path()} class={props.classes.clone()}
            aria-current={props.current.then_some("page")} {onclick}>
            { props.children.clone() }
        </a>
    }
}

/// Props of [`Redirect`].
#[derive(Properties, PartialEq)]
pub struct RedirectProps {
    /// Where to go.
    pub to: Route,
}

/// Replaces the current route with another as soon as it renders.
#[component]
pub fn Redirect(props: &RedirectProps) -> Html {
    let navigator = use_navigator();
    use_effect_with(props.to.clone(), move |to| navigator.replace(to.clone()));
    html! {}
}
