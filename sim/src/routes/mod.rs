//! The HTTP surface. The Tampuuri API lives under `/v10/api/`, behind one gate that
//! authenticates, counts the call by route template and applies the fault switches; the
//! simulator's own admin routes live under `/_sim/` (no authentication, loopback only).

mod accept;
mod admin;
mod admin_data;
mod news;
mod objects;
mod parties;
mod reports;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::auth;
use crate::counter::REJECTED;
use crate::error::ApiError;
use crate::simulator::{Account, Simulator};
use crate::wire::Wire;
use crate::world::World;

/// The API base path.
pub const API_BASE: &str = "/v10/api";
/// The admin base path.
pub const ADMIN_BASE: &str = "/_sim";

/// Request bodies up to this size (fault reports carry base64 photos: five of 5 MiB are
/// about 34 MiB of JSON).
const BODY_LIMIT: usize = 48 * 1024 * 1024;

/// The authenticated account of an API call.
#[derive(Clone)]
pub(crate) struct Caller(pub(crate) Arc<Account>);

impl std::ops::Deref for Caller {
    type Target = Account;
    fn deref(&self) -> &Account {
        &self.0
    }
}

impl Caller {
    /// Run `f` with the account's data and a renderer in its current dialect (the read
    /// lock is held meanwhile).
    pub(crate) fn render<R>(&self, f: impl FnOnce(&Wire<'_>, &World) -> R) -> R {
        let world = self.read();
        let dialect = self.dialect();
        let wire = Wire::new(&dialect, self.seed, &world);
        f(&wire, &world)
    }
}

pub(crate) fn router(sim: Simulator) -> Router {
    let api = Router::new()
        .merge(objects::routes())
        .merge(parties::routes())
        .merge(news::routes())
        .merge(reports::routes())
        .route_layer(middleware::from_fn_with_state(sim.clone(), gate))
        .method_not_allowed_fallback(wrong_method)
        .fallback(unknown_route);
    let admin = admin::routes()
        .merge(admin_data::routes())
        .route_layer(middleware::from_fn(loopback_only))
        .method_not_allowed_fallback(wrong_method)
        .fallback(unknown_route);
    Router::new()
        .nest(API_BASE, api)
        .nest(ADMIN_BASE, admin)
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(sim)
}

async fn unknown_route() -> ApiError {
    ApiError::NotFound("Tuntematon reitti".to_owned())
}

async fn wrong_method() -> ApiError {
    ApiError::Status(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Metodi ei ole sallittu".to_owned(),
    )
}

/// `GET kohteet/{id}` from the matched path `/v10/api/kohteet/{id}`.
fn route_template(req: &Request) -> String {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(req.uri().path(), MatchedPath::as_str);
    let path = path.strip_prefix(API_BASE).unwrap_or(path);
    format!("{} {}", req.method(), path.trim_start_matches('/'))
}

/// Authenticate, count, check `Accept` (accounts that require JSON to be asked for),
/// apply the fault switches.
async fn gate(State(sim): State<Simulator>, mut req: Request, next: Next) -> Response {
    let route = route_template(&req);
    let account = match auth::authenticate(&sim, req.headers()) {
        Ok(a) => a,
        Err(e) => {
            sim.count(REJECTED, &route);
            return e.into_response();
        }
    };
    sim.count(&account.name, &route);
    if account.dialect().require_accept_json && !accept::allows_json(req.headers()) {
        return accept::not_acceptable();
    }
    let verdict = sim.fault_switch().decide();
    if !verdict.latency.is_zero() {
        tokio::time::sleep(verdict.latency).await;
    }
    if let Some(failure) = verdict.failure {
        return failure.into_response();
    }
    req.extensions_mut().insert(Caller(account));
    let delay = sim.faults().response_delay_ms;
    let response = next.run(req).await;
    // The call has had its effect; its answer may be held back (a lost answer, for tests
    // of callers that must not repeat a change).
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    response
}

/// The admin routes answer only callers on the loopback interface (when the server
/// records peer addresses; an embedding router without them is trusted).
async fn loopback_only(req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>();
    if peer.is_some_and(|ConnectInfo(addr)| !addr.ip().is_loopback()) {
        return ApiError::Forbidden("Ylläpito vain paikallisesti".to_owned()).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt as _;

    use crate::{Faults, SimConfig, Simulator};

    fn api_request(uri: &str) -> Request<Body> {
        let mut req = Request::get(uri);
        for (name, value) in [
            ("X-TampuuriAvain", "5A1B2C3D-4E5F-6789"),
            ("X-AsiakasNimi", "Rappu Demo Oy"),
            ("X-Ohjelmistoversio", "test"),
            ("X-TiliNimi", "demo"),
            ("X-Kayttajatunnus", "rappu"),
            ("X-Salasana", "demo-salasana"),
        ] {
            req = req.header(name, value);
        }
        req.body(Body::empty()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn latency_follows_tokio_time() {
        let sim = Simulator::new(SimConfig::demo());
        sim.set_faults(Faults {
            latency_ms: 30_000,
            ..Faults::default()
        });
        let started = tokio::time::Instant::now();
        let resp = sim
            .router()
            .oneshot(api_request("/v10/api/kustannuspaikat/selaa"))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(started.elapsed() >= Duration::from_secs(30));
        assert_eq!(sim.calls().get("demo", "GET kustannuspaikat/selaa"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_answer_comes_late_but_the_change_is_made() {
        let sim = Simulator::new(SimConfig::demo());
        let object = sim.summary("demo").unwrap().properties[0].id;
        let before = sim.snapshot("demo").unwrap().reports.len();
        sim.set_faults(Faults {
            response_delay_ms: 30_000,
            ..Faults::default()
        });
        let (parts, _) = api_request("/v10/api/ilmoitukset/base64").into_parts();
        let mut req = Request::from_parts(
            parts,
            Body::from(format!(r#"{{"Otsikko":"Ovi","KohdeId":{object}}}"#)),
        );
        *req.method_mut() = axum::http::Method::POST;
        let call = tokio::spawn(sim.router().oneshot(req));
        let started = tokio::time::Instant::now();
        while sim.snapshot("demo").unwrap().reports.len() == before {
            tokio::task::yield_now().await;
        }
        assert!(!call.is_finished());
        let resp = call.await.unwrap().unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        assert!(started.elapsed() >= Duration::from_secs(29));
    }

    #[tokio::test]
    async fn a_missing_accept_header_is_refused_when_json_is_required() {
        let config = SimConfig::demo().with_dialect("demo", crate::Dialect::vendor_help());
        let sim = Simulator::new(config);
        let resp = sim
            .router()
            .oneshot(api_request("/v10/api/kustannuspaikat/selaa"))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE);
        assert_eq!(sim.calls().get("demo", "GET kustannuspaikat/selaa"), 1);
        sim.set_dialect("demo", crate::Dialect::classic()).unwrap();
        let resp = sim
            .router()
            .oneshot(api_request("/v10/api/kustannuspaikat/selaa"))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn admin_answers_loopback_only() {
        let sim = Simulator::new(SimConfig::demo());
        for (peer, expected) in [
            ("127.0.0.1:5000", StatusCode::OK),
            ("[::1]:5000", StatusCode::OK),
            ("10.1.2.3:5000", StatusCode::FORBIDDEN),
        ] {
            let mut req = Request::get("/_sim/calls").body(Body::empty()).unwrap();
            let addr: SocketAddr = peer.parse().unwrap();
            req.extensions_mut().insert(ConnectInfo(addr));
            let resp = sim.router().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), expected, "{peer}");
        }
    }
}
