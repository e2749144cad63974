//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rappu_shared::health::ReadinessCheck;
use rappu_shared::{Health, Readiness};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::{AppState, UpstreamMode};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// This instance can serve traffic: its database answers, it has verification keys and (on
/// PostgreSQL) it has caught up with the other replicas.
/// Tampuuri being down does not make Rappu unready: it serves cached data then.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready", body = Readiness)))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    // One query: the database answers, and its schema is this build's.
    let (ok, detail) = match state.store.schema().await {
        Ok((applied, known)) if applied >= known => (true, None),
        Ok((applied, known)) => (
            false,
            Some(format!("migrations pending: {applied} of {known} applied")),
        ),
        Err(e) => (false, Some(e.to_string())),
    };
    let checks = vec![
        ReadinessCheck {
            name: "store".into(),
            ok,
            detail,
        },
        ReadinessCheck {
            name: "keys".into(),
            ok: state.tokens.keys().kids().next().is_some(),
            detail: None,
        },
        ReadinessCheck {
            // On PostgreSQL: caught up with the other replicas and hearing them, so a
            // revocation or a change made through another replica holds here too.
            name: "replicas".into(),
            ok: state.store.hears_replicas(),
            detail: (!state.store.hears_replicas())
                .then(|| "not yet listening to the other replicas".to_owned()),
        },
        ReadinessCheck {
            name: "upstream".into(),
            ok: true,
            detail: Some(
                match state.mode {
                    UpstreamMode::Tampuuri => "tampuuri",
                    UpstreamMode::Embedded(_) => "embedded simulator",
                }
                .into(),
            ),
        },
    ];
    let ready = checks.iter().all(|c| c.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ready { "ready" } else { "not-ready" }.into(),
            checks,
        }),
    )
}
