//! Request parts parsed the simulator's way: path parameters and JSON bodies whose every
//! failure is a JSON 400, and ids that must be integers.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Path parameters; a malformed path answers a JSON 400.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Self(t))
            .map_err(|e| ApiError::BadRequest(format!("Virheellinen polku: {e}")))
    }
}

/// An id from the path: an integer, else 400.
pub fn id(raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("Virheellinen tunniste: {raw}")))
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace) || body == b"null"
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("Virheellinen JSON-runko: {e}")))
}

/// A JSON body that may be absent (then the default, e.g. "no filter").
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if is_blank(body) {
        Ok(T::default())
    } else {
        parse(body)
    }
}

/// A JSON body that must be present.
pub fn required_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if is_blank(body) {
        Err(ApiError::BadRequest("Pyynnön runko puuttuu".to_owned()))
    } else {
        parse(body)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::world::ReportFilter;

    #[test]
    fn bodies() {
        let f: ReportFilter = optional_json(b"").unwrap();
        assert!(f.tilat.is_none());
        let f: ReportFilter =
            optional_json(b"{\"VainP\xc3\xa4\xc3\xa4tasonIlmoitukset\": true, \"Uusi\": 1}")
                .unwrap();
        assert_eq!(f.vain_paatason_ilmoitukset, Some(true));
        assert!(optional_json::<ReportFilter>(b"{").is_err());
        assert!(optional_json::<ReportFilter>(b"{\"Tilat\": 5}").is_err());
        assert!(required_json::<ReportFilter>(b" ").is_err());
        assert_eq!(id("42"), Ok(42));
        assert!(id("4x").is_err());
    }
}
