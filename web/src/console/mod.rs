//! The operator's console (`/console`, program `rappu-console`): displays, Tampuuri usage,
//! upstream health, undelivered fault reports and tokens, for an admin session only.
//!
//! Its own program, so the display, pairing and portal programs never carry its code or
//! its texts ([`texts`]). Sign-in is a one-time link from `rappu admin-link`
//! (`/console/login?code=...`, [`login`]) that becomes an HttpOnly session cookie; every
//! change is a same-origin `fetch`, which the gateway's CSRF check requires.
//!
//! - [`nav`]: the pages by path and moving between them (the console's own, so the app's
//!   route table, in every program, does not carry the console's).
//! - [`api`]: the admin API calls.
//! - [`chart`]: the usage chart as numbers (pure, tested on the host).
//! - [`displays`], [`usage`], [`upstream`], [`reports`], [`tokens`], [`login`]: the pages.

mod api;
pub mod chart;
mod displays;
mod login;
pub mod nav;
mod reports;
pub mod texts;
mod tokens;
mod upstream;
mod usage;

use std::future::Future;
use std::pin::Pin;

use yew::prelude::*;

use crate::api::ApiError;
use crate::components::{LanguageSwitch, Notice, NoticeKind, use_title};
use crate::hooks::{I18nProvider, use_i18n};
use crate::i18n::fill;
use nav::{ConsoleLink, ConsolePage, ConsoleRouter, use_console_nav};
use texts::ConsoleTexts;

/// The console's texts in the language in use.
#[hook]
pub fn use_texts() -> &'static ConsoleTexts {
    texts::texts(use_i18n().lang)
}

/// What a page loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    /// On its way.
    Loading,
    /// Here.
    Ready(T),
    /// Failed.
    Failed(ApiError),
}

/// A page's loader: an API call without arguments.
pub type Loader<T> = fn() -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// Loads with `load` at first and whenever `version` changes.
#[hook]
pub fn use_load<T: Clone + PartialEq + 'static>(load: Loader<T>, version: u32) -> Load<T> {
    let state = use_state(|| Load::Loading);
    {
        let state = state.clone();
        use_effect_with(version, move |_| {
            yew::platform::spawn_local(async move {
                state.set(match load().await {
                    Ok(value) => Load::Ready(value),
                    Err(e) => Load::Failed(e),
                });
            });
        });
    }
    (*state).clone()
}

/// A failed load or action, as a message.
pub fn error_notice(c: &ConsoleTexts, error: &ApiError) -> Html {
    html! {
        <Notice kind={NoticeKind::Error}>
            { fill(c.error, &[("error", &error.to_string())]) }
        </Notice>
    }
}

/// The console's root: language, router, frame.
#[component]
pub fn ConsoleApp() -> Html {
    html! {
        <I18nProvider>
            <ConsoleRouter><ConsoleFrame /></ConsoleRouter>
        </I18nProvider>
    }
}

/// Whether the session is an admin's, asked once per sign-in.
#[derive(Debug, Clone, PartialEq)]
enum Access {
    Checking,
    Admin,
    NotAdmin,
    SignedOut,
    Failed(ApiError),
}

#[component]
fn ConsoleFrame() -> Html {
    let c = use_texts();
    let skip = use_i18n().t.skip_to_content;
    let page = use_console_nav().page;
    let access = use_state(|| Access::Checking);
    {
        let access = access.clone();
        use_effect_with(page == ConsolePage::Login, move |&login| {
            if !login {
                yew::platform::spawn_local(async move {
                    access.set(match api::is_admin().await {
                        Ok(true) => Access::Admin,
                        Ok(false) | Err(ApiError::Forbidden) => Access::NotAdmin,
                        Err(ApiError::Unauthorized) => Access::SignedOut,
                        Err(e) => Access::Failed(e),
                    });
                });
            }
        });
    }
    let body = match (page, &*access) {
        (ConsolePage::Login, _) => html! { <login::LoginPage /> },
        (_, Access::Checking) => html! { <p class="muted">{ c.loading }</p> },
        (_, Access::SignedOut) => html! { <SignedOutPage /> },
        (_, Access::NotAdmin) => {
            html! { <Notice kind={NoticeKind::Error}>{ c.not_admin }</Notice> }
        }
        (_, Access::Failed(e)) => error_notice(c, e),
        (page, Access::Admin) => match page {
            ConsolePage::Usage => html! { <usage::UsagePage /> },
            ConsolePage::Upstream => html! { <upstream::UpstreamPage /> },
            ConsolePage::Reports => html! { <reports::ReportsPage /> },
            ConsolePage::Tokens => html! { <tokens::TokensPage /> },
            _ => html! { <displays::DisplaysPage /> },
        },
    };
    let signed_in = *access == Access::Admin && page != ConsolePage::Login;
    let sign_out = {
        let access = access.clone();
        move |_: MouseEvent| {
            let access = access.clone();
            yew::platform::spawn_local(async move {
                let _ = crate::api::logout().await;
                access.set(Access::SignedOut);
            });
        }
    };
    let link = |to: ConsolePage, label: &'static str| {
        html! {
            <li><ConsoleLink {to}>{ label }</ConsoleLink></li>
        }
    };
    html! {
        <>
            <a class="skip-link" href="#main">{ skip }</a>
            <header class="console-header">
                <div class="console-bar">
                    <span class="brand">{ "Rappu" }</span>
                    <span class="console-name">{ c.title }</span>
                    <LanguageSwitch />
                    if signed_in {
                        <button type="button" class="link-button" onclick={sign_out}>{ c.sign_out }</button>
                    }
                </div>
                if signed_in {
                    <nav class="console-nav" aria-label={c.nav_label}>
                        <ul>
                            { link(ConsolePage::Displays, c.nav_displays) }
                            { link(ConsolePage::Usage, c.nav_usage) }
                            { link(ConsolePage::Upstream, c.nav_upstream) }
                            { link(ConsolePage::Reports, c.nav_reports) }
                            { link(ConsolePage::Tokens, c.nav_tokens) }
                        </ul>
                    </nav>
                }
            </header>
            <main id="main" class="page console" tabindex="-1">{ body }</main>
        </>
    }
}

#[component]
fn SignedOutPage() -> Html {
    let c = use_texts();
    use_title(c.title.into());
    html! {
        <>
            <h1>{ c.title }</h1>
            <p>{ c.need_link }</p>
        </>
    }
}

/// A small button that reloads a page's data.
#[derive(Properties, PartialEq)]
pub struct RefreshProps {
    /// Bumped on click.
    pub version: UseStateHandle<u32>,
}

/// "Refresh".
#[component]
pub fn RefreshButton(props: &RefreshProps) -> Html {
    let c = use_texts();
    let version = props.version.clone();
    html! {
        <button type="button" class="secondary" onclick={move |_| version.set(*version + 1)}>
            { c.refresh }
        </button>
    }
}
