//! The resident portal: its frame, the sign-in guard and its pages, under one mounted
//! [`PortalPage`] that holds the session.
//!
//! - [`shell`]: header (portal name, menu, language switch, sign-out), `<main>`.
//! - [`sign_in`]: demo residents or the login-link instructions; a login link's page.
//! - [`report_form`] with [`form_state`] (its reducer), [`photo_state`] and [`photos`]
//!   (checking and resizing photos in the browser) and [`draft`] (kept across a reload).
//! - [`report_list`], [`report_detail`]: the resident's reports, refreshing by themselves.

mod draft;
mod form_state;
mod photo_state;
mod photos;
mod report_detail;
mod report_form;
mod report_list;
mod shell;
mod sign_in;

use yew::prelude::*;

use crate::app::Route;
use crate::components::{Notice, NoticeKind};
use crate::hooks::{Session, SessionProvider, use_i18n, use_session};
use crate::i18n::messages;
use crate::router::Redirect;
use report_detail::ReportDetailPage;
use report_form::ReportFormPage;
use report_list::ReportListPage;
use shell::PortalShell;
use sign_in::{LoginLinkPage, SignInPage};

/// Props of [`PortalPage`].
#[derive(Properties, PartialEq)]
pub struct PortalPageProps {
    /// The portal route to show.
    pub route: Route,
}

/// The portal: session, frame, and the page for the route, each behind the sign-in guard
/// except the login link's. Mounted once while the resident moves between portal pages,
/// so the session is checked once.
#[component]
pub fn PortalPage(props: &PortalPageProps) -> Html {
    let page = match &props.route {
        Route::PortalLogin => html! { <LoginLinkPage /> },
        Route::NewReport => html! { <RequireResident><ReportFormPage /></RequireResident> },
        Route::Reports => html! { <RequireResident><ReportListPage /></RequireResident> },
        Route::Report { id } => html! {
            <RequireResident><ReportDetailPage id={id.clone()} /></RequireResident>
        },
        _ => html! { <RequireResident><Redirect to={Route::Reports} /></RequireResident> },
    };
    html! {
        <SessionProvider>
            <PortalShell route={props.route.clone()}>{ page }</PortalShell>
        </SessionProvider>
    }
}

/// Props of [`RequireResident`].
#[derive(Properties, PartialEq)]
pub struct RequireResidentProps {
    /// The page for a signed-in resident.
    #[prop_or_default]
    pub children: Html,
}

/// Shows its page to a signed-in resident and the sign-in page to anyone else; after
/// signing in the resident is on the page they asked for (e.g. the QR code's form).
#[component]
pub fn RequireResident(props: &RequireResidentProps) -> Html {
    let t = use_i18n().t;
    let session = use_session();
    match &session.session {
        Session::Checking => html! { <p class="loading" role="status">{ t.loading }</p> },
        Session::SignedOut => html! { <SignInPage /> },
        Session::Resident => props.children.clone(),
        Session::Failed(error) => {
            let retry = {
                let session = session.clone();
                move |_: MouseEvent| session.refresh()
            };
            html! {
                <>
                    <h1>{ t.portal_title }</h1>
                    <Notice kind={NoticeKind::Error}>{ messages::api_error(t, error) }</Notice>
                    <button type="button" onclick={retry}>{ t.retry }</button>
                </>
            }
        }
    }
}
