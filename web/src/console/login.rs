//! `/console/login?code=...`: an operator's one-time console link (`rappu admin-link`). The
//! code is posted once for the session cookie and taken off the address bar.

use yew::prelude::*;

use super::nav::{ConsolePage, use_console_nav};
use super::{api, use_texts};
use crate::api::ApiError;
use crate::components::{Notice, NoticeKind, use_title};
use crate::url::query_param;

/// The sign-in page.
#[component]
pub fn LoginPage() -> Html {
    let c = use_texts();
    use_title(c.title.into());
    let nav = use_console_nav();
    let failed = use_state(|| None::<ApiError>);
    {
        let failed = failed.clone();
        use_effect_with((), move |()| {
            let code = query_param("code");
            yew::platform::spawn_local(async move {
                let Some(code) = code else {
                    failed.set(Some(ApiError::NotFound));
                    return;
                };
                match api::sign_in(&code).await {
                    Ok(()) => nav.replace(ConsolePage::Displays),
                    Err(e) => failed.set(Some(e)),
                }
            });
        });
    }
    html! {
        <>
            <h1>{ c.title }</h1>
            if let Some(error) = &*failed {
                <Notice kind={NoticeKind::Error}>
                    { if error.slug() == Some("invalid-code") || *error == ApiError::NotFound { c.link_invalid } else { c.need_link } }
                </Notice>
                <p>{ c.need_link }</p>
            } else {
                <p class="muted" role="status">{ c.signing_in }</p>
            }
        </>
    }
}
