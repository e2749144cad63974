//! A third-party app as a caller: its token names it (`client_id`) and the scopes it was
//! given; what those scopes reach is the app's registration *now* (a revoked app is refused
//! at once, a narrowed scope reaches less at once).

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::ORIGIN;
use axum::http::request::Parts;
use rappu_shared::apps::Scope;
use rappu_shared::{Grant, Role};

use super::extract::authenticate;
use super::jwt::{Principal, TokenError};
use crate::apps::registry::RegisteredApp;
use crate::error::ApiError;
use crate::places::Lineage;
use crate::reports::ReportError;
use crate::state::AppState;
use crate::upstream::tampuuri::UpstreamError;
use crate::upstream::tampuuri::model::FaultReport;
use crate::work_orders::by_place::lineage_of;

/// A verified app.
#[derive(Debug, Clone)]
pub struct AppCaller {
    /// The verified token.
    pub principal: Arc<Principal>,
    /// Its registration as it is now.
    pub app: Arc<RegisteredApp>,
    /// The scopes the token was given (a subset of the app's).
    pub scopes: Vec<Scope>,
}

/// The registration of the app `principal` is, if it is an app in force; `Ok(None)` for
/// other roles. A revoked or vanished app's token is refused like a revoked token.
pub fn app_of(principal: &Arc<Principal>, state: &AppState) -> Result<Option<AppCaller>, ApiError> {
    let Grant::App { client_id, scope } = &principal.grant else {
        return Ok(None);
    };
    let app = state
        .apps
        .get(client_id)
        .filter(|a| a.active() && a.account == principal.account)
        .ok_or(ApiError::Token(TokenError::Revoked))?;
    let scopes = scope.split(' ').filter_map(Scope::parse).collect();
    Ok(Some(AppCaller {
        principal: Arc::clone(principal),
        app,
        scopes,
    }))
}

impl AppCaller {
    /// `Ok` if the token carries `scope`, else 403 `insufficient_scope` (RFC 6750 §3.1).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope.as_str()))
        }
    }

    /// `Ok` if the token carries `scope` and the app's `scope` covers building `building`.
    pub async fn require_building(
        &self,
        state: &AppState,
        scope: Scope,
        building: u64,
    ) -> Result<(), ApiError> {
        self.require(scope)?;
        if self.app.names_building(scope, building) {
            return Ok(());
        }
        let lineage = match state.places.lineage(&self.app.account, building).await {
            Ok(l) => l,
            // A building Tampuuri does not have is no building of the app's either.
            Err(crate::upstream::tampuuri::UpstreamError::NotFound { .. }) => {
                return Err(self.outside(scope));
            }
            Err(e) => return Err(e.into()),
        };
        if lineage.building == Some(building) && self.app.covers(scope, &lineage) {
            Ok(())
        } else {
            Err(self.outside(scope))
        }
    }

    /// Whether the app's `scope` covers fault report `report` (its object's building, or
    /// its property). Whether the token carries `scope` is [`AppCaller::require`]'s.
    pub async fn covers_report(
        &self,
        state: &AppState,
        scope: Scope,
        report: &FaultReport,
    ) -> Result<bool, ReportError> {
        match lineage_of(&state.places, &self.app.account, report).await {
            Ok(lineage) => Ok(self.app.covers(scope, &lineage)),
            Err(UpstreamError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// `Ok` if the token carries `scope` and the app's `scope` covers the place `lineage`.
    pub fn require_place(&self, scope: Scope, lineage: &Lineage) -> Result<(), ApiError> {
        self.require(scope)?;
        if self.app.covers(scope, lineage) {
            Ok(())
        } else {
            Err(self.outside(scope))
        }
    }

    fn outside(&self, scope: Scope) -> ApiError {
        ApiError::OutOfScope(format!(
            "this app's {} scope does not cover this building",
            scope.as_str()
        ))
    }
}

/// The app a request comes from, if its token is an app's (`Ok(None)` for other roles): the
/// app must be in force, and a request from a web page (with `Origin`) must come from one
/// of the origins its registration lists, or from Rappu's own.
pub fn of_request(parts: &mut Parts, state: &AppState) -> Result<Option<AppCaller>, ApiError> {
    let principal = authenticate(parts, state)?;
    let Some(caller) = app_of(&principal, state)? else {
        return Ok(None);
    };
    if let Some(origin) = parts.headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let own = url::Url::parse(&state.public_url)
            .map(|u| u.origin().ascii_serialization() == origin)
            .unwrap_or(false);
        if !own && !caller.app.origins.iter().any(|o| o == origin) {
            return Err(ApiError::OutOfScope(format!(
                "this app's tokens may not be used from pages at {origin}: its registration does not list that origin"
            )));
        }
    }
    Ok(Some(caller))
}

impl<S> FromRequestParts<S> for AppCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        of_request(parts, &state)?.ok_or(ApiError::WrongRole(Role::App.as_str()))
    }
}
