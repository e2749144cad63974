//! The OpenAPI document's frame: title, security scheme, tags. Paths come from each
//! route's `#[utoipa::path]`, collected by `utoipa-axum`.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{PathItem, Ref};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rappu API",
        description = "Tampuuri property data for stairwell displays, residents and maintenance partners: cached, rate-limited and filtered for privacy. Errors are RFC 9457 problem documents (`application/problem+json`).",
        license(name = "MIT OR Apache-2.0"),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "The caller's credentials"),
        (name = "sessions", description = "Display enrolment and resident sign-in (HttpOnly session cookies)"),
        (name = "display", description = "Stairwell displays: the feed and its live updates"),
        (name = "display-pairing", description = "Pairing a display with the short code it shows (RFC 8628's device flow as model): the screen's side and a caretaker's phone"),
        (name = "buildings", description = "Buildings and staircases"),
        (name = "webhooks", description = "Tampuuri webhooks in"),
        (name = "admin", description = "Operator routes: usage, tokens"),
        (name = "fault-reports", description = "A resident's fault reports: filed durably and idempotently, delivered to the property manager exactly once, followed to completion"),
        (name = "work-orders", description = "A maintenance partner's work orders: the fault reports assigned to it, received, put on hold and marked done"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the routes refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token minted by `rappu token` (EdDSA, typ at+jwt).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The answers every operation can give for reasons outside its handler, added where the
/// route's own description does not already name them: 401/403 where a token is needed,
/// 400 where there are query or path parameters, 400/413/415/422 where there is a JSON
/// body, 403 for a cross-site state change, 429 from the rate limits and 503 from the
/// request timeout. One place, so the document cannot drift from the middleware.
pub fn complete(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{RefOr, Required};

    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, description) in COMMON_RESPONSES {
        components
            .responses
            .entry((*name).to_owned())
            .or_insert_with(|| RefOr::T(problem_response(description)));
    }
    for item in openapi.paths.paths.values_mut() {
        let PathItem {
            get,
            put,
            post,
            delete,
            options,
            head,
            patch,
            trace,
            query,
            ..
        } = item;
        let safe = [get, head, options, trace, query]
            .into_iter()
            .map(|op| (op, true));
        let unsafe_ = [put, post, delete, patch].into_iter().map(|op| (op, false));
        for (op, safe) in safe.chain(unsafe_) {
            let Some(op) = op.as_mut() else { continue };
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let parameters = op.parameters.iter().flatten().filter_map(|p| match p {
                RefOr::T(p) => Some(p),
                RefOr::Ref(_) => None,
            });
            let mut has_params = false;
            for p in parameters {
                has_params |= matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Path)
                    || (p.parameter_in == ParameterIn::Header && p.required == Required::True);
            }
            let has_body = op.request_body.is_some();
            let mut add = |status: &str, name: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            };
            if has_params || has_body {
                add("400", "BadRequest");
            }
            if secured {
                add("401", "Unauthorized");
                add("403", "Forbidden");
            } else if !safe {
                add("403", "CrossSite");
            }
            if has_body {
                add("413", "PayloadTooLarge");
                add("415", "UnsupportedMediaType");
                add("422", "Unprocessable");
            }
            add("429", "TooManyRequests");
            add("503", "Unavailable");
        }
    }
}

/// The shared answers, as `components/responses`.
const COMMON_RESPONSES: &[(&str, &str)] = &[
    (
        "BadRequest",
        "Malformed request: a query or path parameter of the wrong type, a required header missing or malformed, or a body that is not one well-formed JSON value",
    ),
    (
        "Unauthorized",
        "Missing, malformed, expired or revoked credentials",
    ),
    (
        "Forbidden",
        "The credentials are of another role or scope, or the request came from another site's page",
    ),
    (
        "CrossSite",
        "A state-changing request from another site's page (Sec-Fetch-Site / Origin)",
    ),
    (
        "PayloadTooLarge",
        "Body larger than the route's limit (`server.body_limit_bytes`)",
    ),
    ("UnsupportedMediaType", "The body is not `application/json`"),
    (
        "Unprocessable",
        "Well-formed JSON with a missing, wrong-typed or invalid field; `errors` names each",
    ),
    (
        "TooManyRequests",
        "Over a rate limit; `Retry-After` says when to try again",
    ),
    (
        "Unavailable",
        "Temporarily unavailable (a dependency is down, or the request timed out); retry later",
    ),
];

fn problem_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}
