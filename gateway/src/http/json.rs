//! A JSON body extractor whose every failure is a problem document naming what is wrong.
//!
//! Syntax errors answer 400; a well-formed body with a wrong or missing field answers 422
//! with the field's path (`photos[1].name`); a body over the limit answers 413; another
//! media type answers 415.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use rappu_shared::FieldError;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body of type `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

/// Whether `content_type` is JSON (`application/json` or `application/*+json`).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(0);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(
                axum::extract::rejection::FailedToBufferBody::LengthLimitError(_),
            ) => ApiError::PayloadTooLarge(limit),
            other => ApiError::BadRequest(other.body_text()),
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// The body limit in force, recorded by the router so a 413 can say what it is.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Parses JSON, mapping errors to 400 (syntax) or 422 (shape, with the field).
///
/// A number with a zero fraction (`7812.0`) is an integer to JSON Schema, so it is read as
/// one where an integer goes. serde does not do that, so a body it refuses for a float is
/// read again with whole-number floats made integers; the usual body never pays for it.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match parse_exact(bytes) {
        Err(ApiError::Validation(errors))
            if errors.iter().any(|e| e.message.contains("floating point")) =>
        {
            let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
                return Err(ApiError::Validation(errors));
            };
            if !whole_floats_as_integers(&mut value) {
                return Err(ApiError::Validation(errors));
            }
            serde_path_to_error::deserialize(value).map_err(|_| ApiError::Validation(errors))
        }
        other => other,
    }
}

/// Makes every float with a zero fraction that fits an `i64` or a `u64` that integer;
/// whether any changed.
fn whole_floats_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let Some(f) = n.as_f64() else { return false };
            // Exact bounds: 2^63 and 2^64 are the first floats past i64 and u64.
            let integer = if f.fract() != 0.0 || !f.is_finite() {
                None
            } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(serde_json::Number::from(f as u64))
            } else if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
                #[allow(clippy::cast_possible_truncation)]
                Some(serde_json::Number::from(f as i64))
            } else {
                None
            };
            match integer {
                Some(i) => {
                    *n = i;
                    true
                }
                None => false,
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, v| whole_floats_as_integers(v) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, v| whole_floats_as_integers(v) | any),
        _ => false,
    }
}

fn parse_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." {
            "(body)".to_owned()
        } else {
            path
        };
        // A body that is not one well-formed JSON value (trailing data included) is a 400
        // whatever else is wrong with it; only a well-formed body has fields to be wrong.
        let well_formed = || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        match inner.classify() {
            serde_json::error::Category::Data if well_formed() => {
                ApiError::Validation(vec![FieldError::new(field, data_message(&inner))])
            }
            // serde_json reports some wrong types as syntax (e.g. `null` for an enum); if
            // the body is well-formed JSON, it is the field that is wrong.
            serde_json::error::Category::Syntax if well_formed() => {
                ApiError::Validation(vec![FieldError::new(field, "has the wrong type")])
            }
            _ => ApiError::BadRequest(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// serde's message without the trailing "at line 1 column 9".
fn data_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        photos: Vec<Photo>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Photo {
        size: u32,
    }

    #[test]
    fn names_the_wrong_field() {
        let err =
            parse::<Body>(br#"{"title":"x","photos":[{"size":1},{"size":"big"}]}"#).unwrap_err();
        match err {
            ApiError::Validation(errors) => {
                assert_eq!(errors[0].field, "photos[1].size");
                assert!(
                    errors[0].message.starts_with("invalid type"),
                    "{}",
                    errors[0].message
                );
            }
            other => panic!("{other:?}"),
        }
        match parse::<Body>(br#"{"photos":[]}"#).unwrap_err() {
            ApiError::Validation(errors) => {
                assert!(errors[0].message.contains("missing field `title`"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_null_where_an_enum_goes_names_the_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Kind {
            A,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct WithKind {
            kind: Kind,
        }
        match parse::<WithKind>(br#"{"kind": null}"#).unwrap_err() {
            ApiError::Validation(errors) => assert_eq!(errors[0].field, "kind"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn trailing_data_is_a_bad_request_whatever_the_value() {
        for body in [
            &br#"{"photos":[]} {}"#[..],
            br#"{"title":"x","photos":[]} x"#,
            b"{} []",
        ] {
            assert!(
                matches!(parse::<Body>(body), Err(ApiError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse::<Body>(b"{\"title\":"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse::<Body>(br#"{"title":"x","photos":[]} trailing"#),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn a_whole_number_float_is_an_integer_as_in_json_schema() {
        #[derive(Debug, serde::Deserialize, PartialEq)]
        struct Ids {
            building: u64,
            staircase: Option<u64>,
            days: Vec<u32>,
            signed: i64,
        }
        let ids: Ids =
            parse(br#"{"building": 7812.0, "staircase": 1e3, "days": [1.0, 2], "signed": -4.0}"#)
                .unwrap();
        assert_eq!(
            ids,
            Ids {
                building: 7812,
                staircase: Some(1000),
                days: vec![1, 2],
                signed: -4
            }
        );
        for body in [
            &br#"{"building": 7812.5, "staircase": null, "days": [], "signed": 0}"#[..],
            br#"{"building": 1e30, "staircase": null, "days": [], "signed": 0}"#,
            br#"{"building": 1, "staircase": null, "days": [1e10], "signed": 0}"#,
            br#"{"building": -1.0, "staircase": null, "days": [], "signed": 0}"#,
        ] {
            match parse::<Ids>(body) {
                Err(ApiError::Validation(errors)) => {
                    assert!(errors[0].message.contains("floating point"), "{errors:?}")
                }
                other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn recognises_json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
