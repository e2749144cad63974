//! The portal's frame: a skip link, the header (portal name, menu, language switch,
//! sign-out; compact, so that on a narrow phone with large text it leaves the screen to the
//! page) and `<main>`. The menu shows once a resident is signed in. After moving to
//! another page, focus goes to `<main>` so a screen reader starts from the new page.

use yew::prelude::*;

use crate::app::Route;
use crate::components::LanguageSwitch;
use crate::hooks::{Session, use_i18n, use_session};
use crate::router::{Link, use_navigator};

/// Props of [`PortalShell`].
#[derive(Properties, PartialEq)]
pub struct PortalShellProps {
    /// The route shown (for the menu's current page and focus on moving).
    pub route: Route,
    /// The page.
    #[prop_or_default]
    pub children: Html,
}

/// The frame around every portal page.
#[component]
pub fn PortalShell(props: &PortalShellProps) -> Html {
    let t = use_i18n().t;
    let session = use_session();
    let navigator = use_navigator();
    let main = use_node_ref();
    let first = use_mut_ref(|| true);
    {
        let main = main.clone();
        use_effect_with(props.route.clone(), move |_| {
            if std::mem::replace(&mut *first.borrow_mut(), false) {
                return;
            }
            if let Some(main) = main.cast::<web_sys::HtmlElement>() {
                let _ = main.focus();
            }
        });
    }
    let signed_in = matches!(session.session, Session::Resident);
    let sign_out = move |_: MouseEvent| {
        // The next resident on this phone must not find this one's draft.
        super::draft::clear();
        session.sign_out();
        navigator.push(Route::PortalHome);
    };
    let here = match &props.route {
        Route::Report { .. } => Route::Reports,
        other => other.clone(),
    };
    html! {
        <>
            <a class="skip-link" href="#main">{ t.skip_to_content }</a>
            <header class="portal-header">
                <div class="portal-bar">
                    <Link to={Route::Landing} classes="brand">{ "Rappu" }</Link>
                    <span class="portal-name">{ t.portal_title }</span>
                    <LanguageSwitch />
                </div>
                if signed_in {
                    <nav class="portal-nav" aria-label={t.portal_nav}>
                        <ul>
                            <li>
                                <Link to={Route::NewReport} current={here == Route::NewReport}>
                                    { t.nav_new_report }
                                </Link>
                            </li>
                            <li>
                                <Link to={Route::Reports} current={here == Route::Reports}>
                                    { t.nav_my_reports }
                                </Link>
                            </li>
                            <li class="sign-out">
                                <button type="button" class="link-button" onclick={sign_out}>{ t.sign_out }</button>
                            </li>
                        </ul>
                    </nav>
                }
            </header>
            <main id="main" class="page portal" tabindex="-1" ref={main}>
                { props.children.clone() }
            </main>
        </>
    }
}
