//! The console's pages by path, and moving between them over the History API.
//!
//! Why not the app's [`crate::router`]: its `Route` table is compiled into every program,
//! so console routes there would make the display and portal programs carry them (the
//! console must not grow them). This is the same small mechanism for the console's six
//! fixed paths only: the page in a context, `popstate` followed, [`ConsoleLink`] and
//! [`ConsoleNav::replace`] moving without a page load.

use gloo_events::EventListener;
use yew::prelude::*;

/// The console's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsolePage {
    /// `/console`: the displays.
    Displays,
    /// `/console/login?code=...`: an operator's one-time console link.
    Login,
    /// `/console/usage`: Tampuuri calls this month and what they cost.
    Usage,
    /// `/console/upstream`: how Tampuuri is doing.
    Upstream,
    /// `/console/reports`: fault reports not delivered.
    Reports,
    /// `/console/tokens`: tokens, minting and revoking.
    Tokens,
}

impl ConsolePage {
    /// The page for a path; `None` outside the console or for an unknown page (a trailing
    /// slash is ignored).
    pub fn recognize(path: &str) -> Option<Self> {
        let rest = path.trim_end_matches('/').strip_prefix("/console")?;
        Some(match rest {
            "" => ConsolePage::Displays,
            "/login" => ConsolePage::Login,
            "/usage" => ConsolePage::Usage,
            "/upstream" => ConsolePage::Upstream,
            "/reports" => ConsolePage::Reports,
            "/tokens" => ConsolePage::Tokens,
            _ => return None,
        })
    }

    /// The page's path.
    pub fn to_path(self) -> &'static str {
        match self {
            ConsolePage::Displays => "/console",
            ConsolePage::Login => "/console/login",
            ConsolePage::Usage => "/console/usage",
            ConsolePage::Upstream => "/console/upstream",
            ConsolePage::Reports => "/console/reports",
            ConsolePage::Tokens => "/console/tokens",
        }
    }
}

/// The page in the address bar; an unknown console path shows the displays.
fn current_page() -> ConsolePage {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .and_then(|path| ConsolePage::recognize(&path))
        .unwrap_or(ConsolePage::Displays)
}

/// The current page and a way to move; from [`use_console_nav`].
#[derive(Clone, PartialEq)]
pub struct ConsoleNav {
    /// The page shown.
    pub page: ConsolePage,
    go: Callback<(ConsolePage, bool)>,
}

impl ConsoleNav {
    /// Goes to `page`, adding a history entry.
    pub fn push(&self, page: ConsolePage) {
        self.go.emit((page, false));
    }

    /// Goes to `page` in place of the current entry (e.g. to drop a one-time code from the
    /// address bar).
    pub fn replace(&self, page: ConsolePage) {
        self.go.emit((page, true));
    }
}

/// Props of [`ConsoleRouter`].
#[derive(Properties, PartialEq)]
pub struct ConsoleRouterProps {
    /// The console.
    #[prop_or_default]
    pub children: Html,
}

/// Keeps the page in step with the address bar (back and forward included).
#[component]
pub fn ConsoleRouter(props: &ConsoleRouterProps) -> Html {
    let page = use_state(current_page);
    {
        let page = page.clone();
        use_effect_with((), move |()| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "popstate", move |_| page.set(current_page()))
            });
            move || drop(listener)
        });
    }
    let go = {
        let page = page.clone();
        Callback::from(move |(to, replace): (ConsolePage, bool)| {
            let Some(window) = web_sys::window() else {
                return;
            };
            if let Ok(history) = window.history() {
                let url = Some(to.to_path());
                let _ = if replace {
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", url)
                } else {
                    history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", url)
                };
            }
            if !replace {
                window.scroll_to_with_x_and_y(0.0, 0.0);
            }
            page.set(to);
        })
    };
    let context = ConsoleNav { page: *page, go };
    html! {
        <ContextProvider<ConsoleNav> {context}>{ props.children.clone() }</ContextProvider<ConsoleNav>>
    }
}

/// The console's navigation (a no-op outside a [`ConsoleRouter`]).
#[hook]
pub fn use_console_nav() -> ConsoleNav {
    use_context::<ConsoleNav>().unwrap_or_else(|| ConsoleNav {
        page: ConsolePage::Displays,
        go: Callback::noop(),
    })
}

/// Props of [`ConsoleLink`].
#[derive(Properties, PartialEq)]
pub struct ConsoleLinkProps {
    /// Where it goes.
    pub to: ConsolePage,
    /// The link's content.
    #[prop_or_default]
    pub children: Html,
}

/// A link to a console page without a page load, marked `aria-current="page"` on its own
/// page (modified clicks, e.g. to open a new tab, do what the browser does).
#[component]
pub fn ConsoleLink(props: &ConsoleLinkProps) -> Html {
    let nav = use_console_nav();
    let current = nav.page == props.to;
    let onclick = {
        let to = props.to;
        move |e: MouseEvent| {
            if e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() || e.button() != 0 {
                return;
            }
            e.prevent_default();
            nav.push(to);
        }
    };
    html! {
        <a href={props.to.to_path()} aria-current={current.then_some("page")} {onclick}>
            { props.children.clone() }
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::ConsolePage;

    #[test]
    fn every_page_has_a_path_that_leads_back_to_it() {
        for page in [
            ConsolePage::Displays,
            ConsolePage::Login,
            ConsolePage::Usage,
            ConsolePage::Upstream,
            ConsolePage::Reports,
            ConsolePage::Tokens,
        ] {
            assert_eq!(ConsolePage::recognize(page.to_path()), Some(page));
        }
        assert_eq!(
            ConsolePage::recognize("/console/usage/"),
            Some(ConsolePage::Usage)
        );
        assert_eq!(ConsolePage::recognize("/console/nope"), None);
        assert_eq!(ConsolePage::recognize("/consoles"), None);
        assert_eq!(ConsolePage::recognize("/portal"), None);
    }
}
