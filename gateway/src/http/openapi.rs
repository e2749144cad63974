//! The OpenAPI document's frame: title, security scheme, tags. Paths come from each
//! route's `#[utoipa::path]`, collected by `utoipa-axum`.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

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
