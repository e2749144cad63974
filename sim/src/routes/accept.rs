//! The `Accept` check of an account that insists on being asked for JSON
//! (`require_accept_json`): the real API offers XML too, so a caller that does not ask for
//! JSON may get something else. Here it gets a 406 with a short XML body.

use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Whether one media range of an `Accept` value admits JSON: `application/json`,
/// `text/json`, `application/*` or `*/*`, unless its `q` is zero.
fn admits_json(range: &str) -> bool {
    let mut parts = range.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let refused = parts.any(|p| {
        let p = p.trim().to_ascii_lowercase();
        p.strip_prefix("q=")
            .and_then(|q| q.trim().parse::<f32>().ok())
            .is_some_and(|q| q <= 0.0)
    });
    !refused
        && matches!(
            media.as_str(),
            "application/json" | "text/json" | "application/*" | "*/*"
        )
}

/// Whether the headers ask for (or admit) JSON. No `Accept` header at all does not.
pub(super) fn allows_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(admits_json)
}

/// The 406 answer.
pub(super) fn not_acceptable() -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        [(CONTENT_TYPE, "application/xml; charset=utf-8")],
        "<Error><Message>Pyydä JSON: Accept: application/json</Message></Error>",
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(ACCEPT, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn accept_values() {
        for ok in [
            "application/json",
            "text/html, application/json;q=0.5",
            "*/*",
            "application/*",
            "Application/JSON; charset=utf-8",
        ] {
            assert!(allows_json(&headers(&[ok])), "{ok}");
        }
        for bad in ["application/xml", "text/html", "application/json;q=0", ""] {
            assert!(!allows_json(&headers(&[bad])), "{bad}");
        }
        assert!(!allows_json(&HeaderMap::new()));
        assert!(allows_json(&headers(&["text/xml", "application/json"])));
    }
}
