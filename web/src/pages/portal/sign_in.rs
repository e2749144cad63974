//! Signing in: the resident asks for a one-time link by email ([`EmailSignIn`]); in demo
//! mode (the embedded simulator) they may also pick a demo resident. [`LoginLinkPage`]
//! redeems a link (the mailed one or one an operator made), and lets a resident with
//! several apartments pick one.

use rappu_shared::session::{ApartmentOption, DemoLogin, DemoResident, Language};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::{FieldMessage, Notice, NoticeKind, use_title};
use crate::hooks::{use_i18n, use_session};
use crate::i18n::{Lang, fill, messages};
use crate::router::{Link, use_navigator};
use crate::url::query_param;

/// What asking for a link has come to (one state: the portal's size budget counts every
/// hook).
#[derive(Debug, Clone, PartialEq)]
enum LinkRequest {
    /// Typing; the address's error, or why the last request failed.
    Editing {
        invalid: bool,
        failure: Option<ApiError>,
    },
    Sending,
    /// Taken: a link is mailed if the address is a resident's, valid this many seconds.
    Sent {
        email: String,
        valid_secs: u64,
    },
}

/// Whether `email` looks like an address (the gateway has the last word).
fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

/// The email form: an address in, "a link is on its way" out, whatever the address.
#[component]
fn EmailSignIn() -> Html {
    let i18n = use_i18n();
    let t = i18n.t;
    let input = use_node_ref();
    let phase = use_state(|| LinkRequest::Editing {
        invalid: false,
        failure: None,
    });
    let onsubmit = {
        let (input, phase) = (input.clone(), phase.clone());
        let language = match i18n.lang {
            Lang::Fi => Language::Fi,
            Lang::En => Language::En,
        };
        move |e: SubmitEvent| {
            e.prevent_default();
            if *phase == LinkRequest::Sending {
                return;
            }
            let address = input
                .cast::<web_sys::HtmlInputElement>()
                .map(|i| i.value().trim().to_owned())
                .unwrap_or_default();
            if !plausible_email(&address) {
                phase.set(LinkRequest::Editing {
                    invalid: true,
                    failure: None,
                });
                return;
            }
            phase.set(LinkRequest::Sending);
            let phase = phase.clone();
            yew::platform::spawn_local(async move {
                phase.set(match api::request_link(&address, language).await {
                    Ok(valid_secs) => LinkRequest::Sent {
                        email: address,
                        valid_secs,
                    },
                    Err(ApiError::Validation(_)) => LinkRequest::Editing {
                        invalid: true,
                        failure: None,
                    },
                    Err(other) => LinkRequest::Editing {
                        invalid: false,
                        failure: Some(other),
                    },
                });
            });
        }
    };
    let (invalid, failure) = match &*phase {
        LinkRequest::Sent { email, valid_secs } => {
            let minutes = (valid_secs / 60).max(1).to_string();
            return html! {
                <Notice kind={NoticeKind::Success}>
                    { fill(t.signin_link_sent, &[("email", email), ("minutes", &minutes)]) }
                </Notice>
            };
        }
        LinkRequest::Editing { invalid, failure } => (*invalid, failure.as_ref()),
        LinkRequest::Sending => (false, None),
    };
    let sending = *phase == LinkRequest::Sending;
    html! {
        <form class="signin-email" novalidate=true {onsubmit}>
            <p>{ t.signin_email_intro }</p>
            if let Some(error) = failure {
                <Notice kind={NoticeKind::Error}>{ messages::api_error(t, error) }</Notice>
            }
            <div class={classes!("field", invalid.then_some("invalid"))}>
                <label for="email">
                    { t.field_email }<span class="required" aria-hidden="true">{ " *" }</span>
                </label>
                <p id="email-hint" class="hint">{ t.hint_email }</p>
                <input id="email" name="email" type="email" autocomplete="email" ref={input}
                    aria-required="true" aria-invalid={if invalid { "true" } else { "false" }}
                    aria-describedby={if invalid { "email-hint email-error" } else { "email-hint" }} />
                if invalid {
                    <FieldMessage id="email-error" text={t.err_email} />
                }
            </div>
            <button type="submit" class="primary" disabled={sending}>
                { if sending { t.signin_sending } else { t.signin_send_link } }
            </button>
        </form>
    }
}

/// What the sign-in page knows about how else to sign in.
#[derive(Debug, Clone, PartialEq)]
enum Ways {
    Loading,
    /// Demo mode: these residents too.
    Demo(Vec<DemoResident>),
    /// Not demo mode: email (or a link an operator made) only.
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
    let demo = match &*ways {
        Ways::Loading | Ways::LinkOnly | Ways::Failed(_) => html! {},
        Ways::Demo(list) => html! {
            <section class="signin-demo">
                <p id="demo-intro" class="muted">{ t.signin_demo_intro }</p>
                <ul class="choices" aria-labelledby="demo-intro">
                    { for list.iter().map(|r| html! {
                        <li>
                            <button type="button" class="choice" disabled={*busy} onclick={pick(r)}>
                                { &r.label }
                            </button>
                        </li>
                    }) }
                </ul>
            </section>
        },
    };
    html! {
        <>
            <h1>{ t.signin_title }</h1>
            if let Some(error) = &*failure {
                <Notice kind={NoticeKind::Error}>{ messages::api_error(t, error) }</Notice>
            }
            <EmailSignIn />
            <p class="muted">{ t.signin_link_note }</p>
            { demo }
        </>
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Redeem {
    Working,
    /// Several apartments: the resident picks one.
    Choose(Vec<ApartmentOption>),
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
    let busy = use_state(|| false);
    let pick = {
        let (session, navigator, state, error, busy) = (
            session.clone(),
            navigator.clone(),
            state.clone(),
            error.clone(),
            busy.clone(),
        );
        Callback::from(move |apartment: u64| {
            if *busy {
                return;
            }
            busy.set(true);
            let (session, navigator, state, error, busy) = (
                session.clone(),
                navigator.clone(),
                state.clone(),
                error.clone(),
                busy.clone(),
            );
            yew::platform::spawn_local(async move {
                match api::pick_apartment(apartment).await {
                    Ok(()) => {
                        session.refresh();
                        navigator.replace(Route::Reports);
                    }
                    Err(e) if e.is_transient() => error.set(Some(e)),
                    Err(_) => state.set(Redeem::Invalid),
                }
                busy.set(false);
            });
        })
    };
    {
        let (state, error) = (state.clone(), error.clone());
        let (session, navigator) = (session.clone(), navigator.clone());
        use_effect_with((), move |()| {
            let code = query_param("code");
            navigator.replace(Route::PortalLogin);
            match code {
                None => state.set(Redeem::NoCode),
                Some(code) => yew::platform::spawn_local(async move {
                    match api::login(&code).await {
                        Ok(None) => {
                            session.refresh();
                            navigator.replace(Route::Reports);
                        }
                        Ok(Some(apartments)) => state.set(Redeem::Choose(apartments)),
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
    let message = match &*state {
        Redeem::Working => html! { <p class="loading" role="status">{ t.login_working }</p> },
        Redeem::Choose(apartments) => html! {
            <>
                if let Some(e) = &*error {
                    <Notice kind={NoticeKind::Error}>{ messages::api_error(t, e) }</Notice>
                }
                <p id="pick-intro">{ t.login_pick_intro }</p>
                <ul class="choices" aria-labelledby="pick-intro">
                    { for apartments.iter().map(|a| html! {
                        <li>
                            <button type="button" class="choice" disabled={*busy}
                                onclick={pick.reform({ let id = a.apartment; move |_| id })}>
                                { &a.label }
                            </button>
                        </li>
                    }) }
                </ul>
            </>
        },
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
            if !matches!(*state, Redeem::Working | Redeem::Choose(_)) {
                <p><Link to={Route::PortalHome}>{ t.signin_title }</Link></p>
            }
        </>
    }
}
