//! What the operator's console reads (admin role): displays with their state, the month's
//! Tampuuri usage day by day, upstream health, and tokens (list and mint; revoking is
//! `POST /api/v1/admin/tokens/revoke` in [`super::admin`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Utc};
use rappu_shared::console::{
    AccountCircuit, ConsoleDisplay, ConsoleMirror, DayCalls, MintedToken, MirrorSync, NewToken,
    RouteCalls, RouteLatency, StaleFeed, TokenInfo, UpstreamFailure, UpstreamHealth, UsageMonth,
};
use rappu_shared::{FieldError, Grant};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{AdminCaller, TokenRequest};
use crate::error::{ApiError, ApiResult};
use crate::http::json::ApiJson;
use crate::metrics::families::RouteLabel;
use crate::metrics::scrape::SEEN_WINDOW;
use crate::pricing;
use crate::state::AppState;
use crate::store::revocations::IssuedToken;
use crate::upstream::tampuuri::breaker::CircuitState;
use crate::upstream::tampuuri::routes::ALL_ROUTES;
use crate::usage;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(displays))
        .routes(routes!(usage_month))
        .routes(routes!(upstream_health))
        .routes(routes!(list_tokens, mint_token))
        .routes(routes!(link_qr))
}

/// A link of this instance to show as a QR code (a display's enrolment link).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct QrText {
    /// A URL of this instance (it starts with its public URL), at most 500 characters.
    #[schema(max_length = 500)]
    url: String,
}

/// An SVG QR code of a link of this instance (the console shows one for a display's
/// enrolment link, to open it on the screen's browser by scanning). Only this instance's
/// links: it is not a QR service for anything else.
#[utoipa::path(post, path = "/api/v1/admin/console/qr.svg", tag = "admin",
    request_body = QrText,
    security(("bearer" = [])),
    responses((status = 200, description = "SVG image", content_type = "image/svg+xml")))]
async fn link_qr(
    State(state): State<AppState>,
    AdminCaller(_admin): AdminCaller,
    ApiJson(body): ApiJson<QrText>,
) -> ApiResult<axum::response::Response> {
    let own = format!("{}/", state.public_url);
    if body.url.chars().count() > 500 || !body.url.starts_with(&own) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "url",
            "must be a link of this instance, at most 500 characters",
        )]));
    }
    super::sessions::qr_svg(&body.url, "no-store")
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Every display of the admin's account: paired screens, and any other display token used
/// in the last day, with when each was last seen, whether it is online (seen in the last
/// 5 minutes) and the version of the feed its scope serves.
#[utoipa::path(get, path = "/api/v1/admin/console/displays", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Displays, paired ones first", body = [ConsoleDisplay])))]
async fn displays(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<Vec<ConsoleDisplay>>> {
    let now = Utc::now();
    let used = state.tokens.recently_used(Duration::from_secs(86_400));
    let seen: HashMap<&str, u64> = used
        .iter()
        .filter(|(account, ..)| *account == admin.account)
        .map(|(_, subject, _, ago)| (subject.as_str(), *ago))
        .collect();
    let feeds: HashMap<(u64, Option<u64>), (String, bool)> = state
        .feeds
        .current_feeds(&admin.account)
        .into_iter()
        .map(|(key, feed)| {
            let stale = feed.stale;
            let version = feed
                .etag
                .to_str()
                .unwrap_or("")
                .trim_matches('"')
                .to_owned();
            ((key.building, key.staircase), (version, stale))
        })
        .collect();
    let describe = |id: Option<String>,
                    label: Option<String>,
                    building: u64,
                    staircase: Option<u64>,
                    last_seen: Option<DateTime<Utc>>| {
        let feed = feeds.get(&(building, staircase));
        ConsoleDisplay {
            id,
            label,
            building,
            staircase,
            online: last_seen.is_some_and(|t| (now - t).to_std().is_ok_and(|d| d <= SEEN_WINDOW)),
            last_seen_at: last_seen,
            feed_version: feed.map(|(v, _)| v.clone()),
            feed_stale: feed.is_some_and(|(_, s)| *s),
        }
    };
    let mut out = Vec::new();
    let mut paired_subjects = Vec::new();
    for d in state.displays.list(&admin.account).await? {
        let subject = crate::pairing::subject_of(&d.id);
        let memory = seen
            .get(subject.as_str())
            .map(|ago| now - chrono::Duration::seconds(i64::try_from(*ago).unwrap_or(0)));
        let last_seen = memory.max(d.last_seen_at);
        paired_subjects.push(subject);
        out.push(describe(
            Some(d.id),
            d.label,
            d.building,
            d.staircase,
            last_seen,
        ));
    }
    let mut others: Vec<_> = used
        .iter()
        .filter(|(account, subject, ..)| {
            *account == admin.account && !paired_subjects.contains(subject)
        })
        .filter_map(|(_, subject, grant, ago)| match grant {
            Grant::Display {
                building,
                staircase,
            } => Some((subject, *building, *staircase, *ago)),
            _ => None,
        })
        .collect();
    others.sort();
    for (subject, building, staircase, ago) in others {
        let last_seen = now - chrono::Duration::seconds(i64::try_from(ago).unwrap_or(0));
        out.push(describe(
            None,
            Some(subject.clone()),
            building,
            staircase,
            Some(last_seen),
        ));
    }
    Ok(Json(out))
}

/// This month's Tampuuri calls of the admin's account day by day and by route, the
/// projection to the month's end with its bill on the configured package, the budget line
/// and where the month stands against it (the budget guard's own figures,
/// `usage.monthly_budget_calls`), and the last 12 months' bills.
#[utoipa::path(get, path = "/api/v1/admin/usage/month", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "The month's usage", body = UsageMonth)))]
async fn usage_month(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<UsageMonth>> {
    state.usage.flush().await;
    let now = Utc::now();
    let month = usage::month_of(now);
    let days_in_month = usage::days_in_month(now.date_naive());
    let today = now.day();
    let daily = state
        .store
        .daily_usage(admin.account.clone(), month.clone())
        .await?;
    let mut per_day = vec![0u64; today as usize];
    let mut per_route: BTreeMap<String, u64> = BTreeMap::new();
    for row in &daily {
        let day = row
            .month
            .rsplit('-')
            .next()
            .and_then(|d| d.parse::<usize>().ok())
            .unwrap_or(0);
        if let Some(slot) = day.checked_sub(1).and_then(|i| per_day.get_mut(i)) {
            *slot += row.calls;
        }
        *per_route.entry(row.route.clone()).or_default() += row.calls;
    }
    let mut months: BTreeMap<String, u64> = BTreeMap::new();
    for row in state.store.usage(None).await? {
        if row.account == admin.account {
            *months.entry(row.month).or_default() += row.calls;
        }
    }
    // Where the month stands: the budget guard's figures, the same that hold background
    // work back past the budget.
    let budget = state.budget.state(&admin.account);
    let settings = &state.settings.usage;
    let (package, prices) = (settings.package.name(), settings.prices());
    let first_kept = months.len().saturating_sub(12);
    let history = months
        .iter()
        .skip(first_kept)
        .map(|(m, n)| pricing::bill(m, package, prices, *n))
        .collect();
    let mut routes: Vec<RouteCalls> = per_route
        .into_iter()
        .map(|(route, calls)| RouteCalls { route, calls })
        .collect();
    routes.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.route.cmp(&b.route)));
    Ok(Json(UsageMonth {
        account: admin.account.clone(),
        days: (1..=today)
            .zip(per_day)
            .map(|(day, calls)| DayCalls { day, calls })
            .collect(),
        projected_bill: pricing::bill(&month, package, prices, budget.projected),
        month,
        days_in_month,
        today,
        routes,
        calls: budget.used,
        projected_calls: budget.projected,
        budget_calls: budget.budget,
        budget_warn: budget.warn,
        budget_over: budget.over,
        history,
    }))
}

fn circuit_name(state: CircuitState) -> &'static str {
    match state {
        CircuitState::Closed => "closed",
        CircuitState::Open => "open",
        CircuitState::HalfOpen => "half_open",
    }
}

/// How Tampuuri is doing: each account's circuit, the latest failed calls (route and
/// outcome only), latency by route since start, and which feeds are served from stale
/// data now.
#[utoipa::path(get, path = "/api/v1/admin/upstream/health", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Upstream health", body = UpstreamHealth)))]
async fn upstream_health(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<UpstreamHealth>> {
    let upstream = &state.metrics.upstream;
    let circuits = state
        .tampuuri
        .circuit(&admin.account)
        .map(|view| AccountCircuit {
            account: admin.account.clone(),
            state: circuit_name(view.state).to_owned(),
            consecutive_failures: view.consecutive_failures,
            retry_in_secs: view.retry_in_secs,
        })
        .into_iter()
        .collect();
    let recent_failures = upstream
        .recent_failures
        .newest_first()
        .into_iter()
        .filter(|f| f.account == admin.account)
        .map(|f| UpstreamFailure {
            at: f.at,
            account: f.account,
            route: f.route.to_owned(),
            status: f.status,
        })
        .collect();
    let latency = ALL_ROUTES
        .iter()
        .filter_map(|route| {
            let histogram = upstream.duration.get(&RouteLabel { route: route.label })?;
            let ms = |q| histogram.quantile_bound(q).map(|s| (s * 1e3).min(1e9));
            Some(RouteLatency {
                route: route.label.to_owned(),
                calls: histogram.count(),
                p50_ms: ms(0.5)?,
                p95_ms: ms(0.95)?,
            })
        })
        .collect();
    let mut stale_feeds: Vec<StaleFeed> = state
        .feeds
        .current_feeds(&admin.account)
        .into_iter()
        .filter_map(|(key, feed)| {
            feed.stale.then_some(StaleFeed {
                building: key.building,
                staircase: key.staircase,
                data_as_of: feed.data_as_of,
            })
        })
        .collect();
    stale_feeds.sort_by_key(|s| (s.building, s.staircase));
    let mirror = state.mirror.health(&admin.account).map(|h| {
        let mut syncs: Vec<MirrorSync> = h
            .synced_at
            .iter()
            .map(|(kind, at)| MirrorSync {
                kind: kind.clone(),
                at: *at,
                calls: h.sync_calls.get(kind).copied().unwrap_or(0),
            })
            .collect();
        syncs.sort_by(|a, b| a.kind.cmp(&b.kind));
        ConsoleMirror {
            syncs,
            failing_since: h.failing_since,
            last_error: h.last_error,
            pending: h.pending as u64,
            held_back: h.held_back,
        }
    });
    Ok(Json(UpstreamHealth {
        circuits,
        recent_failures,
        latency,
        stale_feeds,
        mirror,
    }))
}

fn info(token: IssuedToken) -> Option<TokenInfo> {
    Some(TokenInfo {
        grant: serde_json::from_str(&token.grant_json).ok()?,
        jti: token.jti,
        subject: token.subject,
        issued_at: at(token.issued_at),
        expires_at: at(token.expires_at),
        revoked: token.revoked,
    })
}

/// Tokens minted for the admin's account that have not expired, newest first (never the
/// tokens themselves).
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, description = "Tokens", body = [TokenInfo])))]
async fn list_tokens(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    let tokens = state.store.list_issued(Utc::now().timestamp()).await?;
    Ok(Json(
        tokens
            .into_iter()
            .filter(|t| t.account == admin.account)
            .filter_map(info)
            .collect(),
    ))
}

/// Whether every id of `grant` can name a Tampuuri object or party.
fn ids_in_range(grant: &Grant) -> bool {
    let ok = |id: u64| id <= crate::upstream::tampuuri::MAX_ID;
    match *grant {
        Grant::Display {
            building,
            staircase,
        } => ok(building) && staircase.is_none_or(ok),
        Grant::Resident { party, apartment } => ok(party) && ok(apartment),
        Grant::Partner { assignee } => ok(assignee),
        Grant::Admin => true,
        // Apps get their tokens from POST /oauth/token, never minted here.
        Grant::App { .. } => false,
    }
}

/// Mints a token for the admin's account with a role and scope, valid `ttl_days`. The
/// token is in this answer only; it is recorded (by id) for listing and revocation.
#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "admin",
    request_body = NewToken,
    security(("bearer" = [])),
    responses((status = 201, description = "Minted: copy the token now", body = MintedToken)))]
async fn mint_token(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<MintedToken>)> {
    let mut errors = Vec::new();
    let subject = body.subject.trim();
    if subject.is_empty() || subject.chars().count() > 100 || subject.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            "subject",
            "must be 1 to 100 characters, no control characters",
        ));
    }
    if !(1..=365).contains(&body.ttl_days) {
        errors.push(FieldError::new("ttl_days", "must be 1 to 365"));
    }
    if matches!(body.grant, Grant::App { .. }) {
        errors.push(FieldError::new(
            "grant",
            "an app's tokens come from POST /oauth/token: register the app instead",
        ));
    } else if !ids_in_range(&body.grant) {
        errors.push(FieldError::new(
            "grant",
            "ids must be at most 9223372036854775807",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let minted = state.tokens.mint(TokenRequest {
        subject: subject.to_owned(),
        account: admin.account.clone(),
        grant: body.grant,
        ttl: Duration::from_secs(u64::from(body.ttl_days) * 86_400),
    })?;
    let record = IssuedToken::from_claims(&minted.claims);
    state.store.record_issued(record.clone()).await?;
    tracing::info!(jti = %record.jti, role = %record.role, by = %admin.subject, "token minted");
    let info = info(record).ok_or_else(|| ApiError::Internal("minted grant".into()))?;
    Ok((
        StatusCode::CREATED,
        Json(MintedToken {
            token: minted.token,
            info,
        }),
    ))
}
