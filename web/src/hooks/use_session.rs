//! The resident's session: a context provider for the portal and [`use_session`] to read it,
//! check it again, or end it. The session itself is an HttpOnly cookie; the app only asks
//! the gateway who it is (`GET /api/v1/me`).

use rappu_shared::Role;
use yew::prelude::*;

use crate::api::{self, ApiError};

/// Who is signed in.
#[derive(Debug, Clone, PartialEq)]
pub enum Session {
    /// Asking the gateway.
    Checking,
    /// No resident session (none, ended, or another role's).
    SignedOut,
    /// A resident.
    Resident,
    /// The gateway could not be asked.
    Failed(ApiError),
}

/// The session and what can be done with it.
#[derive(Clone, PartialEq)]
pub struct SessionHandle {
    /// The session.
    pub session: Session,
    refresh: Callback<()>,
    sign_out: Callback<()>,
}

impl SessionHandle {
    /// Asks the gateway again (after signing in, or when a request said 401).
    pub fn refresh(&self) {
        self.refresh.emit(());
    }

    /// Ends the session.
    pub fn sign_out(&self) {
        self.sign_out.emit(());
    }
}

async fn check() -> Session {
    match api::my_role().await {
        Ok(Role::Resident) => Session::Resident,
        Ok(_) | Err(ApiError::Unauthorized | ApiError::Forbidden) => Session::SignedOut,
        Err(error) => Session::Failed(error),
    }
}

/// Props of [`SessionProvider`].
#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    /// The portal.
    #[prop_or_default]
    pub children: Html,
}

/// Provides [`SessionHandle`] to the portal; checks the session once on mount.
#[component]
pub fn SessionProvider(props: &SessionProviderProps) -> Html {
    let session = use_state(|| Session::Checking);
    let refresh = {
        let session = session.clone();
        Callback::from(move |()| {
            let session = session.clone();
            yew::platform::spawn_local(async move { session.set(check().await) });
        })
    };
    {
        let refresh = refresh.clone();
        use_effect_with((), move |()| refresh.emit(()));
    }
    let sign_out = {
        let session = session.clone();
        Callback::from(move |()| {
            // Signed out at once (no page may act on a session being ended), whatever the
            // gateway answers: it revokes the session and clears the cookie, or it was gone.
            session.set(Session::SignedOut);
            yew::platform::spawn_local(async move {
                let _ = api::logout().await;
            });
        })
    };
    let context = SessionHandle {
        session: (*session).clone(),
        refresh,
        sign_out,
    };
    html! {
        <ContextProvider<SessionHandle> {context}>
            { props.children.clone() }
        </ContextProvider<SessionHandle>>
    }
}

/// The resident's session (signed out outside a [`SessionProvider`]).
#[hook]
pub fn use_session() -> SessionHandle {
    use_context::<SessionHandle>().unwrap_or_else(|| SessionHandle {
        session: Session::SignedOut,
        refresh: Callback::noop(),
        sign_out: Callback::noop(),
    })
}
