//! Signing in. In demo mode (the embedded simulator) the resident picks a demo resident;
//! otherwise the page explains the one-time login link (a real deployment would put its
//! identity provider here). [`LoginLinkPage`] redeems such a link.

use rappu_shared::session::{DemoLogin, DemoResident};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::{Notice, NoticeKind, use_title};
use crate::hooks::{use_i18n, use_session};
use crate::i18n::messages;
use crate::router::{Link, use_navigator};
use crate::url::query_param;

/// What the sign-in page knows about how to sign in.
#[derive(Debug, Clone, PartialEq)]
enum Ways {
    Loading,
    /// Demo mode: these residents.
    Demo(Vec<DemoResident>),
    /// Not demo mode: login links only.
    LinkOnly,
    Failed(ApiError),
}

/// The sign-in page (shown in place of any portal page while signed out).
#[component]
pub fn SignInPage() -> Html {
    let t = use_i18n().t;
    use_title(t.signin_title.into());
    let session = use_session();
    let ways = use_state(|| Ways::Loading);
    let failure = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    {
        let ways = ways.clone();
        use_effect_with((), move |()| {
            yew::platform::spawn_local(async move {
                ways.set(match api::demo_residents().await {
                    Ok(list) => Ways::Demo(list),
                    Err(ApiError::NotFound) => Ways::LinkOnly,
                    Err(error) => Ways::Failed(error),
                });
            });
        });
    }
    let pick = |resident: &DemoResident| {
        let who = DemoLogin {
            party: resident.party,
            apartment: resident.apartment,
        };
        let (session, failure, busy) = (session.clone(), failure.clone(), busy.clone());
        move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (session, failure, busy, who) =
                (session.clone(), failure.clone(), busy.clone(), who.clone());
            yew::platform::spawn_local(async move {
                match api::demo_login(&who).await {
                    Ok(()) => session.refresh(),
                    Err(error) => failure.set(Some(error)),
                }
                busy.set(false);
            });
        }
    };
    let body = match &*ways {
        Ways::Loading => html! { <p class="loading" role="status">{ t.loading }</p> },
        Ways::Demo(list) => html! {
            <>
                <p id="demo-intro">{ t.signin_demo_intro }</p>
                <ul class="choices" aria-labelledby="demo-intro">
                    { for list.iter().map(|r| html! {
                        <li>
                            <button type="button" class="choice" disabled={*busy} onclick={pick(r)}>
                                { &r.label }
                            </button>
                        </li>
                    }) }
                </ul>
            </>
        },
        Ways::LinkOnly => html! {
            <>
                <p>{ t.signin_link_intro }</p>
                <p class="muted">{ t.signin_link_note }</p>
            </>
        },
        Ways::Failed(error) => html! {
            <Notice kind={NoticeKind::Error}>{ messages::api_error(t, error) }</Notice>
        },
    };
    html! {
        <>
            <h1>{ t.signin_title }</h1>
            if let Some(error) = &*failure {
                <Notice kind={NoticeKind::Error}>{ messages::api_error(t, error) }</Notice>
            }
            { body }
        </>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Redeem {
    Working,
    Invalid,
    NoCode,
    Failed,
}

/// `/portal/login?code=...`: takes the code off the address bar, exchanges it for a session
/// and goes on to the resident's reports.
#[component]
pub fn LoginLinkPage() -> Html {
    let t = use_i18n().t;
    use_title(t.login_title.into());
    let session = use_session();
    let navigator = use_navigator();
    let state = use_state(|| Redeem::Working);
    let error = use_state(|| None::<ApiError>);
    {
        let (state, error) = (state.clone(), error.clone());
        use_effect_with((), move |()| {
            let code = query_param("code");
            navigator.replace(Route::PortalLogin);
            match code {
                None => state.set(Redeem::NoCode),
                Some(code) => yew::platform::spawn_local(async move {
                    match api::login(&code).await {
                        Ok(()) => {
                            session.refresh();
                            navigator.replace(Route::Reports);
                        }
                        Err(e) if e.is_transient() => {
                            error.set(Some(e));
                            state.set(Redeem::Failed);
                        }
                        Err(_) => state.set(Redeem::Invalid),
                    }
                }),
            }
        });
    }
    let message = match *state {
        Redeem::Working => html! { <p class="loading" role="status">{ t.login_working }</p> },
        Redeem::Invalid => html! { <Notice kind={NoticeKind::Error}>{ t.login_invalid }</Notice> },
        Redeem::NoCode => html! { <Notice kind={NoticeKind::Error}>{ t.login_no_code }</Notice> },
        Redeem::Failed => html! {
            <Notice kind={NoticeKind::Error}>
                { error.as_ref().map(|e| messages::api_error(t, e)).unwrap_or_default() }
            </Notice>
        },
    };
    html! {
        <>
            <h1>{ t.login_title }</h1>
            { message }
            if *state != Redeem::Working {
                <p><Link to={Route::PortalHome}>{ t.signin_title }</Link></p>
            }
        </>
    }
}
