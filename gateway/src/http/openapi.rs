//! The OpenAPI document's frame: title, security scheme, tags. Paths come from each
//! route's `#[utoipa::path]`, collected by `utoipa-axum`.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes,
    SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{PathItem, Ref};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rappu API",
        description = "Tampuuri property data for stairwell displays, residents and maintenance partners: cached, rate-limited and filtered for privacy. (The full description, with how to get access, is written by `complete`.)",
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
        (name = "work-orders", description = "A maintenance partner's work orders: the fault reports assigned to it, received, put on hold and marked done; an app works those of its buildings"),
        (name = "oauth", description = "OAuth 2.0 for third-party apps: the token endpoint (client credentials), the signing keys and the server metadata"),
        (name = "integrations", description = "What a third-party app reads per building, each behind a scope narrowed to the app's buildings"),
        (name = "apps", description = "Operator routes: registering third-party apps, rotating their secrets, revoking them"),
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
                        "An access token (a JWT: EdDSA, typ at+jwt): minted by the operator with `rappu token` for displays, partners and admins, or issued to an app by `POST /oauth/token`.",
                    ))
                    .build(),
            ),
        );
        let scopes = Scopes::from_iter(rappu_shared::apps::Scope::ALL.map(|s| {
            (
                s.as_str(),
                match s {
                    rappu_shared::apps::Scope::FeedsRead => {
                        "Read the display feed of the app's buildings"
                    }
                    rappu_shared::apps::Scope::AnnouncementsRead => {
                        "Read the announcements of the app's buildings"
                    }
                    rappu_shared::apps::Scope::ReportsRead => {
                        "Read the fault reports of the app's buildings as work orders"
                    }
                    rappu_shared::apps::Scope::WorkOrdersWrite => {
                        "Receive, hold and complete the work orders of the app's buildings"
                    }
                },
            )
        }));
        let mut oauth2 = OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
            "/oauth/token",
            scopes,
        ))]);
        oauth2.description = Some(
            "OAuth 2.0 client credentials (RFC 6749 §4.4) for a registered third-party app: exchange the client id and secret at `/oauth/token` for a token, sent as `Authorization: Bearer`. Each scope covers only the buildings and properties the operator listed for it.".into(),
        );
        components.add_security_scheme("oauth2", SecurityScheme::OAuth2(oauth2));
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::sessions::COOKIE,
                "A browser session (residents and enrolled displays): an HttpOnly, SameSite=Strict cookie set by signing in; named `__Host-rappu_session` when Rappu is served over https. Same origin only.",
            ))),
        );
    }
}

/// Tags whose operations also accept the session cookie (residents' and displays' own
/// routes).
const COOKIE_TAGS: &[&str] = &["auth", "fault-reports", "display"];

/// The document's description: what Rappu is, how to get access, the rate limits and the
/// problem types.
fn description() -> String {
    format!(
        "{GETTING_ACCESS}\n\n## Problem types\n\nEvery error is an RFC 9457 problem document (`application/problem+json`, except `POST /oauth/token`, whose errors are RFC 6749 JSON carrying the same fields) with a stable `type`, `title`, `status`, `detail`, `instance`, the `request_id` to quote, and for invalid input every bad field in `errors`.\n\n{}",
        super::problems::markdown()
    )
}

const GETTING_ACCESS: &str = r#"Tampuuri property data for stairwell displays, residents, maintenance partners and third-party apps: cached, rate-limited and filtered for privacy (nobody under *turvakielto* ever appears in a feed).

## Getting access

| who | how | security scheme |
|---|---|---|
| A third-party app (a server, or a web page on its own origin) | The operator registers it (`POST /api/v1/admin/apps` or `rappu app create`): name, contact, scopes and for each scope the buildings or properties it covers, browser origins. You get a **client id and secret** once. Exchange them at `POST /oauth/token` for a token (15 minutes) and send it as `Authorization: Bearer`. | `oauth2` |
| A resident | Signs in on the portal with their email address (a one-time link); the browser holds an HttpOnly session cookie. | `cookie` |
| A stairwell display | Enrolled or paired by the operator or a caretaker; the display holds a session cookie or a `display` token. | `cookie`, `bearer` |
| A maintenance partner, an operator | A token minted by the operator with `rappu token partner --assignee ID` / `rappu token admin`. | `bearer` |

A token, copy-paste (replace the id and secret with yours):

```sh
curl -s -u 'rappu-app-3f6c2a9d41b8e705:rappu-secret-...'      -d grant_type=client_credentials https://rappu.example.fi/oauth/token
# {"access_token":"eyJ...","token_type":"Bearer","expires_in":900,"scope":"feeds:read reports:read"}
curl -s -H "Authorization: Bearer eyJ..." https://rappu.example.fi/api/v1/buildings/100001/feed
```

Tokens are JWTs (`typ: at+jwt`, EdDSA); another service can verify them with the keys at `/.well-known/jwks.json` (`aud` and `iss` are in `/.well-known/oauth-authorization-server`). An app's token names its `client_id` and `scope`; what it reaches is decided on every request from the app's registration as it is then, so a narrowed scope or a revoked app takes effect at once.

**Browser apps.** Cross-origin requests are refused by default (no CORS headers; every `OPTIONS` preflight is answered, with `Access-Control-Allow-Origin` only for an origin a registered app lists). Keep the client secret on your server; give the page only the short-lived token. A token is refused from a page whose origin its app does not list. Cookies never cross origins.

## Rate limits

| who | quota (defaults) | key |
|---|---|---|
| an app | `oauth.app_per_minute` 600/min, burst 100, or the app's own registered quota | the app (all its tokens) |
| a display token | `rate_limit.display_per_minute` | the token |
| any other token or session | `rate_limit.token_per_minute` | the token |
| no token | `rate_limit.ip_per_minute` | the client address |
| `POST /oauth/token` failures | 10 failed authentications a minute | the client id |
| `POST /api/v1/auth/email-link` | 5 an hour per address, 30 an hour per client (burst 10); at most 3 mails an hour to one address | address, client |

Over a quota the answer is `429` with `Retry-After` (seconds), `RateLimit-Policy` (`"app";q=600;w=60`: the quota's name, requests, window in seconds) and `RateLimit` (`"app";r=0;t=12`: remaining, seconds until reset), as in the IETF draft *RateLimit header fields for HTTP*. An app's every call is counted and shown to the operator by route and month (`GET /api/v1/admin/usage`)."#;

/// The answers every operation can give for reasons outside its handler, added where the
/// route's own description does not already name them: 401/403 where a token is needed,
/// 400 where there are query or path parameters, 400/413/415/422 where there is a JSON
/// body, 403 for a cross-site state change, 429 from the rate limits and 503 from the
/// request timeout. One place, so the document cannot drift from the middleware.
pub fn complete(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{RefOr, Required};

    openapi.info.description = Some(description());
    add_examples(openapi);

    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, description) in COMMON_RESPONSES {
        let mut response = problem_response(description);
        if *name == "TooManyRequests" {
            response.headers = rate_limit_headers();
        }
        components
            .responses
            .entry((*name).to_owned())
            .or_insert_with(|| RefOr::T(response));
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
            let cookie_tag = op
                .tags
                .iter()
                .flatten()
                .any(|t| COOKIE_TAGS.contains(&t.as_str()));
            if let Some(security) = op.security.as_mut()
                && cookie_tag
                && !security.is_empty()
            {
                security.push(SecurityRequirement::new("cookie", Vec::<String>::new()));
            }
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

/// Sets `example` on `schema` unless it has one.
fn set_example(schema: &mut utoipa::openapi::Schema, example: serde_json::Value) {
    use utoipa::openapi::Schema;
    let (slot, others) = match schema {
        Schema::Object(o) => (&mut o.example, o.examples.is_empty()),
        Schema::OneOf(o) => (&mut o.example, o.examples.is_empty()),
        Schema::AllOf(o) => (&mut o.example, o.examples.is_empty()),
        Schema::AnyOf(o) => (&mut o.example, o.examples.is_empty()),
        Schema::Array(o) => (&mut o.example, o.examples.is_empty()),
        _ => return,
    };
    if slot.is_none() && others {
        *slot = Some(example);
    }
}

/// The examples of [`super::examples`]: on every schema without one, on every parameter
/// (its schema) and on a request body whose schema has none.
fn add_examples(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;

    if let Some(components) = openapi.components.as_mut() {
        for (name, schema) in components.schemas.iter_mut() {
            if let (RefOr::T(schema), Some(example)) = (schema, super::examples::schema(name)) {
                set_example(schema, example);
            }
        }
    }
    for (path, item) in openapi.paths.paths.iter_mut() {
        let PathItem {
            get,
            put,
            post,
            delete,
            patch,
            ..
        } = item;
        for op in [get, put, post, delete, patch].into_iter().flatten() {
            for parameter in op.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                let Some(RefOr::T(schema)) = parameter.schema.as_mut() else {
                    continue;
                };
                let kind = serde_json::to_value(&*schema)
                    .ok()
                    .and_then(|v| match &v["type"] {
                        serde_json::Value::String(t) => Some(t.clone()),
                        serde_json::Value::Array(ts) => ts
                            .iter()
                            .filter_map(|t| t.as_str())
                            .find(|t| *t != "null")
                            .map(str::to_owned),
                        _ => None,
                    });
                if let Some(example) =
                    super::examples::parameter(path, &parameter.name, kind.as_deref())
                {
                    set_example(schema, example);
                }
            }
            let Some(RefOr::T(body)) = op.request_body.as_mut() else {
                continue;
            };
            for content in body.content.values_mut() {
                let RefOr::T(content) = content else {
                    continue;
                };
                let referenced = matches!(content.schema, Some(RefOr::Ref(_)));
                if content.example.is_none() && !referenced {
                    content.example = super::examples::body(path);
                }
            }
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

/// The headers of a `429`.
fn rate_limit_headers()
-> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Header>> {
    use utoipa::openapi::HeaderBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let header = |kind: Type, description: &str, example: serde_json::Value| {
        HeaderBuilder::new()
            .schema(Some(
                ObjectBuilder::new().schema_type(kind).examples([example]),
            ))
            .description(Some(description))
            .build()
    };
    [
        (
            "Retry-After",
            header(
                Type::Integer,
                "Seconds until a request may succeed",
                serde_json::json!(12),
            ),
        ),
        (
            "RateLimit-Policy",
            header(
                Type::String,
                "The quota: its name, requests (`q`) per window (`w`, seconds)",
                serde_json::json!("\"app\";q=600;w=60"),
            ),
        ),
        (
            "RateLimit",
            header(
                Type::String,
                "What is left (`r`) and seconds until the quota resets (`t`)",
                serde_json::json!("\"app\";r=0;t=12"),
            ),
        ),
    ]
    .into_iter()
    .map(|(name, h)| (name.to_owned(), utoipa::openapi::RefOr::T(h)))
    .collect()
}

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
