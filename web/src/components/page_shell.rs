//! The frame around the landing and not-found pages: a skip link, the header with the home
//! link, the page heading, the content.

use yew::prelude::*;

use crate::app::Route;
use crate::hooks::use_i18n;
use crate::router::Link;

/// Props of [`PageShell`].
#[derive(Properties, PartialEq)]
pub struct PageShellProps {
    /// The page's heading, also put in the document title (WCAG 2.4.2).
    pub title: AttrValue,
    /// The page's content, below the heading.
    #[prop_or_default]
    pub children: Html,
}

/// Sets the document title to `title – Rappu` (or `Rappu`).
#[hook]
pub fn use_title(title: AttrValue) {
    use_effect_with(title, |title| {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            let full = if title.as_str() == "Rappu" {
                title.to_string()
            } else {
                format!("{title} – Rappu")
            };
            document.set_title(&full);
        }
    });
}

/// Header, `<main>` with an `<h1>`, and the document title kept in step with the heading.
#[component]
pub fn PageShell(props: &PageShellProps) -> Html {
    let i18n = use_i18n();
    use_title(props.title.clone());
    html! {
        <>
            <a class="skip-link" href="#main">{ i18n.t.skip_to_content }</a>
            <header class="site-header">
                <Link to={Route::Landing} classes="brand">{ "Rappu" }</Link>
            </header>
            <main id="main" class="page" tabindex="-1">
                <h1>{ props.title.clone() }</h1>
                { props.children.clone() }
            </main>
        </>
    }
}
