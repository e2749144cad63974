//! Every problem type Rappu answers with (`urn:rappu:problem:<slug>`), what it means and
//! what to do: listed in the API document, and checked by a test against the slugs the
//! error type, the fallback path and the token endpoint produce.

/// One problem type.
#[derive(Debug, Clone, Copy)]
pub struct ProblemType {
    /// The slug after `urn:rappu:problem:`.
    pub slug: &'static str,
    /// The HTTP status(es) it comes with.
    pub status: &'static str,
    /// What it means and what the client should do.
    pub meaning: &'static str,
}

const fn p(slug: &'static str, status: &'static str, meaning: &'static str) -> ProblemType {
    ProblemType {
        slug,
        status,
        meaning,
    }
}

/// Every problem type, in the order the document lists them.
pub const PROBLEM_TYPES: &[ProblemType] = &[
    p(
        "bad-request",
        "400",
        "The request is malformed: a path or query parameter of the wrong type, a required header missing, or a body that is not one well-formed JSON value. Fix the request.",
    ),
    p(
        "validation",
        "422",
        "Well-formed, but a field is missing, has the wrong type or breaks a rule; `errors` names each field by path (`photos[1]`, `scopes[0].buildings`). Fix those fields.",
    ),
    p(
        "unsupported-media-type",
        "415",
        "The body is not `application/json`.",
    ),
    p(
        "payload-too-large",
        "413",
        "The body is larger than the route allows (`server.body_limit_bytes`; photos have their own limits in the schema).",
    ),
    p(
        "unauthenticated",
        "401",
        "No credentials: send `Authorization: Bearer <token>` (or sign in for a session cookie).",
    ),
    p(
        "invalid-token",
        "401",
        "The token is malformed, expired, revoked, for another audience, or its app was revoked or its secret rotated. Get a new token.",
    ),
    p(
        "forbidden",
        "403",
        "The credentials are of another role (a display token on a partner route), or a state-changing request came from another site's page.",
    ),
    p(
        "insufficient-scope",
        "403",
        "An app's token lacks the scope the operation needs (`WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"...\"`). Ask the operator to add it, then get a new token.",
    ),
    p(
        "out-of-scope",
        "403",
        "The role may do this, but not to this object: another building than the display's or the app's scope covers, or an app's token used from a page origin its registration does not list.",
    ),
    p(
        "not-found",
        "404",
        "No such resource, or not the caller's (the two are never told apart).",
    ),
    p(
        "method-not-allowed",
        "405",
        "The path exists but not with this method.",
    ),
    p(
        "conflict",
        "409",
        "The resource is not in a state that allows this (a work order already done, a revoked app).",
    ),
    p(
        "invalid-code",
        "400",
        "A one-time link or code is unknown, used or expired. Ask for a new one.",
    ),
    p(
        "expired",
        "410",
        "Something that worked for a while (a display's pairing, a caretaker link) has ended; start over.",
    ),
    p(
        "invalid-secret",
        "401",
        "A webhook came with a wrong or missing shared secret.",
    ),
    p("timeout", "408", "The request did not arrive in time."),
    p(
        "rate-limited",
        "429",
        "Over a rate limit: wait `Retry-After` seconds. `RateLimit-Policy` names the quota (`\"app\";q=600;w=60`).",
    ),
    p(
        "upstream-unavailable",
        "503",
        "Tampuuri is not answering and there is no earlier copy to serve. Retry after `Retry-After`.",
    ),
    p(
        "upstream-failed",
        "502",
        "Tampuuri did not accept Rappu's request; the operator has been told.",
    ),
    p(
        "unavailable",
        "503",
        "Rappu cannot serve this now (its database, or the request timed out). Retry later.",
    ),
    p(
        "internal",
        "500",
        "A bug. Quote `request_id` when asking for help.",
    ),
    p("client-error", "4xx", "Any other client error."),
    p(
        "invalid-request",
        "400",
        "`POST /oauth/token`: `invalid_request` (RFC 6749 §5.2): a parameter missing, repeated or malformed, not a form, or credentials sent both ways.",
    ),
    p(
        "invalid-client",
        "401",
        "`POST /oauth/token`: `invalid_client`: unknown client id, wrong or rotated secret, or revoked app.",
    ),
    p(
        "unsupported-grant-type",
        "400",
        "`POST /oauth/token`: only `grant_type=client_credentials` is supported.",
    ),
    p(
        "invalid-scope",
        "400",
        "`POST /oauth/token`: a scope that does not exist or that the app was not given.",
    ),
];

/// The list as Markdown, for the API document's description.
pub fn markdown() -> String {
    let mut out = String::from("| type | status | meaning |\n|---|---|---|\n");
    for t in PROBLEM_TYPES {
        out.push_str(&format!(
            "| `urn:rappu:problem:{}` | {} | {} |\n",
            t.slug,
            t.status,
            t.meaning.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    use super::PROBLEM_TYPES;
    use crate::auth::TokenError;
    use crate::error::ApiError;

    fn listed(slug: &str) -> bool {
        PROBLEM_TYPES.iter().any(|t| t.slug == slug)
    }

    #[test]
    fn every_problem_the_error_type_makes_is_listed() {
        let errors = [
            ApiError::Unauthenticated,
            ApiError::Token(TokenError::Expired),
            ApiError::InvalidCode,
            ApiError::Expired("x".into()),
            ApiError::WebhookSecret,
            ApiError::WrongRole("admin"),
            ApiError::InsufficientScope("feeds:read"),
            ApiError::OutOfScope("x".into()),
            ApiError::NotFound("x".into()),
            ApiError::BadRequest("x".into()),
            ApiError::UnsupportedMediaType("x".into()),
            ApiError::PayloadTooLarge(1),
            ApiError::Validation(Vec::new()),
            ApiError::Conflict("x".into()),
            ApiError::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            ApiError::Internal("x".into()),
        ];
        for e in errors {
            let problem = e.to_problem();
            assert!(listed(problem.slug()), "{} is not listed", problem.kind);
        }
    }

    #[tokio::test]
    async fn every_fallback_problem_is_listed() {
        for status in [400, 403, 404, 405, 408, 413, 415, 422, 429, 500, 503, 418] {
            let response = StatusCode::from_u16(status).unwrap().into_response();
            let context = crate::http::context::RequestContext::new(None, "/x".parse().unwrap());
            let converted = context.into_problem(response).await;
            let body = axum::body::to_bytes(converted.into_body(), 4096)
                .await
                .unwrap();
            let problem: rappu_shared::Problem = serde_json::from_slice(&body).unwrap();
            assert!(listed(problem.slug()), "{} is not listed", problem.kind);
        }
    }
}
