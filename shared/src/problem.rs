//! Problem details for HTTP APIs (RFC 9457): the body of every error response.

use serde::{Deserialize, Serialize};

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer: what went wrong, in a form both people and programs can read.
///
/// `type` is a stable URI (`urn:rappu:problem:<slug>`) a client can branch on; `title` is
/// a short human summary of that type; `detail` explains this occurrence. Validation
/// failures list every bad field in `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "urn:rappu:problem:validation",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "2 fields are invalid",
    "errors": [{"field": "title", "message": "must not be empty"}],
    "request_id": "0193f6d2-8a0e-7c55-b1f5-0d7e5f1d2a10"
})))]
pub struct Problem {
    /// A URI identifying the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path this problem is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Every field that failed validation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id, to quote when asking for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's path in the request, e.g. `photos[1]` or `contact_phone`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error for `field` saying `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Problem {
    /// A problem of the given type slug, title and status, with nothing else filled in.
    pub fn new(slug: &str, title: impl Into<String>, status: u16) -> Self {
        Self {
            kind: format!("urn:rappu:problem:{slug}"),
            title: title.into(),
            status,
            detail: None,
            instance: None,
            errors: Vec::new(),
            request_id: None,
        }
    }

    /// The slug of `type` (`validation` for `urn:rappu:problem:validation`).
    pub fn slug(&self) -> &str {
        self.kind
            .strip_prefix("urn:rappu:problem:")
            .unwrap_or(&self.kind)
    }

    /// Sets `detail`.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_rfc9457_with_optional_members_left_out() {
        let p = Problem::new("not-found", "Not found", 404);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "urn:rappu:problem:not-found", "title": "Not found", "status": 404})
        );
        assert_eq!(p.slug(), "not-found");
    }

    #[test]
    fn lists_field_errors() {
        let p = Problem::new("validation", "Invalid", 422)
            .with_detail("1 field is invalid")
            .with_errors(vec![FieldError::new("title", "must not be empty")]);
        let back: Problem = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
