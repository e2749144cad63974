//! The frame around every page: header with the home link, the page heading, the content.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

/// Props of [`PageShell`].
#[derive(Properties, PartialEq)]
pub struct PageShellProps {
    /// The page's heading, also put in the document title (WCAG 2.4.2).
    pub title: AttrValue,
    /// The page's content, below the heading.
    #[prop_or_default]
    pub children: Html,
}

/// Header, `<main>` with an `<h1>`, and the document title kept in step with the heading.
#[component]
pub fn PageShell(props: &PageShellProps) -> Html {
    use_effect_with(props.title.clone(), |title| {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            let full = if title.as_str() == "Rappu" {
                title.to_string()
            } else {
                format!("{title} – Rappu")
            };
            document.set_title(&full);
        }
    });
    html! {
        <>
            <header class="site-header">
                <Link<Route> to={Route::Landing} classes="brand">{ "Rappu" }</Link<Route>>
            </header>
            <main id="main" class="page">
                <h1>{ props.title.clone() }</h1>
                { props.children.clone() }
            </main>
        </>
    }
}
