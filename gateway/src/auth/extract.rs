//! Extractors: a handler names the caller it needs, and the request is refused before the
//! handler runs if the credentials are missing, invalid, or of another role.
//!
//! An invalid token is always an error, never "anonymous".

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use rappu_shared::{Grant, Role};

use super::jwt::{Principal, TokenError};
use crate::error::ApiError;
use crate::http::context::{PrincipalKind, note_principal};
use crate::state::AppState;

/// Any authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<Principal>);

/// The token of a request: the `Authorization: Bearer` header, else the session cookie
/// named `cookie` (over https only the `__Host-` one); `Ok(None)` when there is neither.
pub fn bearer<'a>(parts: &'a Parts, cookie: &str) -> Result<Option<&'a str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| crate::sessions::from_cookie_header(v, cookie)));
    };
    // UTF-8 rather than `to_str`'s visible-ASCII check: this runs on every display poll and
    // `from_utf8` is vectorised. A token with any byte outside base64url still fails
    // verification as malformed.
    let value = std::str::from_utf8(value.as_bytes())
        .map_err(|_| ApiError::Token(TokenError::Malformed))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(ApiError::Token(TokenError::Malformed))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::Token(TokenError::Malformed));
    }
    Ok(Some(token))
}

/// The outcome of verifying a request's token, kept in its extensions so a token is
/// verified once per request however many layers and extractors ask.
#[derive(Debug, Clone)]
struct Verified(Result<Arc<Principal>, TokenError>);

/// Verifies the request's credentials (once per request: the outcome is kept in its
/// extensions for the next layer or extractor that asks).
pub fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Arc<Principal>, ApiError> {
    if let Some(Verified(outcome)) = parts.extensions.get::<Verified>() {
        return outcome.clone().map_err(ApiError::Token);
    }
    let cookie = crate::sessions::cookie_name(state.https());
    let token = match bearer(parts, cookie) {
        Ok(token) => token.ok_or(ApiError::Unauthenticated)?,
        Err(e) => {
            parts
                .extensions
                .insert(Verified(Err(TokenError::Malformed)));
            state.tokens.record_malformed();
            note_kind(state, PrincipalKind::Invalid);
            return Err(e);
        }
    };
    let outcome = state.tokens.verify(token);
    note(state, &outcome);
    parts.extensions.insert(Verified(outcome.clone()));
    outcome.map_err(ApiError::Token)
}

/// Tells the request envelope what kind of caller this is, for the access line.
fn note(state: &AppState, outcome: &Result<Arc<Principal>, TokenError>) {
    if state.settings.log.access {
        note_principal(match outcome {
            Ok(p) => PrincipalKind::of(&p.grant),
            Err(_) => PrincipalKind::Invalid,
        });
    }
}

/// [`note`] for a kind already known. Without access lines nothing is noted: the feed's
/// hot path then never reaches for the request's task-local.
fn note_kind(state: &AppState, kind: PrincipalKind) {
    if state.settings.log.access {
        note_principal(kind);
    }
}

/// Verifies the request's credentials for a caller that asks once (the feed lane):
/// nothing is kept in the request.
pub fn credentials(parts: &Parts, state: &AppState) -> Result<Arc<Principal>, ApiError> {
    let cookie = crate::sessions::cookie_name(state.https());
    let token = bearer(parts, cookie)
        .inspect_err(|_| {
            state.tokens.record_malformed();
            note_kind(state, PrincipalKind::Invalid);
        })?
        .ok_or(ApiError::Unauthenticated)?;
    let outcome = state.tokens.verify(token);
    note(state, &outcome);
    outcome.map_err(ApiError::Token)
}

/// The verified caller if the request carries valid credentials; `None` otherwise.
pub fn authenticate_optional(parts: &mut Parts, state: &AppState) -> Option<Arc<Principal>> {
    authenticate(parts, state).ok()
}

/// Whether the request carries credentials at all (a bearer token or a session cookie).
pub fn has_credentials(parts: &Parts) -> bool {
    [crate::sessions::COOKIE, crate::sessions::HOST_COOKIE]
        .iter()
        .any(|cookie| matches!(bearer(parts, cookie), Ok(Some(_)) | Err(_)))
}

/// `principal` as is, unless it is a resident session whose holder has moved out
/// ([`crate::signin::residency`]) or a revoked app's token.
pub async fn still_valid(
    principal: Arc<Principal>,
    state: &AppState,
) -> Result<Arc<Principal>, ApiError> {
    if matches!(principal.grant, Grant::App { .. }) {
        super::app_caller::app_of(&principal, state)?;
    }
    if let Grant::Resident { party, apartment } = principal.grant {
        let today = rappu_shared::finnish_time::local_date(chrono::Utc::now());
        if !state
            .residency
            .still_lives(&principal.account, party, apartment, today)
            .await
        {
            return Err(ApiError::Token(TokenError::NoLongerResident));
        }
    }
    Ok(principal)
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let principal = authenticate(parts, &state)?;
        still_valid(principal, &state).await.map(Caller)
    }
}

/// An operator of this gateway.
#[derive(Debug, Clone)]
pub struct AdminCaller(pub Arc<Principal>);

/// A stairwell display, bound to a building and maybe one staircase.
#[derive(Debug, Clone)]
pub struct DisplayCaller {
    /// The verified token.
    pub principal: Arc<Principal>,
    /// Building object id.
    pub building: u64,
    /// Staircase object id, when bound to one.
    pub staircase: Option<u64>,
}

/// A resident, bound to their party and apartment.
#[derive(Debug, Clone)]
pub struct ResidentCaller {
    /// The verified token.
    pub principal: Arc<Principal>,
    /// Party id.
    pub party: u64,
    /// Apartment object id.
    pub apartment: u64,
}

/// An assignee (maintenance company), bound to its party id.
#[derive(Debug, Clone)]
pub struct PartnerCaller {
    /// The verified token.
    pub principal: Arc<Principal>,
    /// Assignee party id.
    pub assignee: u64,
}

macro_rules! role_extractor {
    ($ty:ty, $role:expr, |$p:ident| $build:expr) => {
        impl<S> FromRequestParts<S> for $ty
        where
            S: Send + Sync,
            AppState: FromRef<S>,
        {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                let $p = authenticate(parts, &AppState::from_ref(state))?;
                let built: Option<Self> = $build;
                built.ok_or(ApiError::WrongRole($role.as_str()))
            }
        }
    };
}

role_extractor!(AdminCaller, Role::Admin, |p| matches!(
    p.grant,
    Grant::Admin
)
.then(|| AdminCaller(Arc::clone(&p))));

impl DisplayCaller {
    /// The display `principal` is; refused if it is another role.
    pub fn of(principal: &Arc<Principal>) -> Result<Self, ApiError> {
        match principal.grant {
            Grant::Display {
                building,
                staircase,
            } => Ok(Self {
                principal: Arc::clone(principal),
                building,
                staircase,
            }),
            _ => Err(ApiError::WrongRole(Role::Display.as_str())),
        }
    }
}

impl<S> FromRequestParts<S> for DisplayCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Self::of(&authenticate(parts, &AppState::from_ref(state))?)
    }
}

impl<S> FromRequestParts<S> for ResidentCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let p = authenticate(parts, &state)?;
        let Grant::Resident { party, apartment } = p.grant else {
            return Err(ApiError::WrongRole(Role::Resident.as_str()));
        };
        let principal = still_valid(p, &state).await?;
        Ok(ResidentCaller {
            principal,
            party,
            apartment,
        })
    }
}

role_extractor!(PartnerCaller, Role::Partner, |p| match p.grant {
    Grant::Partner { assignee } => Some(PartnerCaller {
        principal: Arc::clone(&p),
        assignee,
    }),
    _ => None,
});
