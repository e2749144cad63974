//! The six authentication headers Tampuuri requires on every call.
//!
//! Names follow the vendor's own slides (`X-TiliNimi`, `X-Kayttajatunnus`); a third-party
//! page spells two of them differently, so they are kept here and nowhere else.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// API key (the vendor issues it as three dash-separated groups of 8, 4 and 4 characters).
pub const API_KEY: &str = "X-TampuuriAvain";
/// Customer (company) name.
pub const CUSTOMER: &str = "X-AsiakasNimi";
/// Calling software and version.
pub const SOFTWARE: &str = "X-Ohjelmistoversio";
/// Tampuuri account: routes the call to one customer account.
pub const ACCOUNT: &str = "X-TiliNimi";
/// API user of the account.
pub const USER: &str = "X-Kayttajatunnus";
/// Password of the API user.
pub const PASSWORD: &str = "X-Salasana";

/// What goes into the six headers for one account.
pub struct Credentials<'a> {
    /// `X-TampuuriAvain`.
    pub api_key: &'a SecretString,
    /// `X-AsiakasNimi`.
    pub customer: &'a str,
    /// `X-Ohjelmistoversio`.
    pub software: &'a str,
    /// `X-TiliNimi`.
    pub account: &'a str,
    /// `X-Kayttajatunnus`.
    pub user: &'a str,
    /// `X-Salasana`.
    pub password: &'a SecretString,
}

/// A value that cannot be sent in a header (a control character, say).
#[derive(Debug, thiserror::Error)]
#[error("the value of {0} cannot be sent as an HTTP header")]
pub struct InvalidHeader(pub &'static str);

/// Builds the six headers. Key and password are marked sensitive, so HTTP/2 never indexes
/// them and `Debug` output of the map hides them.
pub fn build(c: &Credentials<'_>) -> Result<HeaderMap, InvalidHeader> {
    let mut map = HeaderMap::with_capacity(7);
    let mut put = |name: &'static str, value: &str, sensitive: bool| {
        // Non-ASCII (e.g. "Isännöinti Oy") goes out as UTF-8 bytes.
        let mut v = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| InvalidHeader(name))?;
        v.set_sensitive(sensitive);
        map.insert(HeaderName::from_static(lower(name)), v);
        Ok::<_, InvalidHeader>(())
    };
    put(API_KEY, c.api_key.expose_secret(), true)?;
    put(CUSTOMER, c.customer, false)?;
    put(SOFTWARE, c.software, false)?;
    put(ACCOUNT, c.account, false)?;
    put(USER, c.user, false)?;
    put(PASSWORD, c.password.expose_secret(), true)?;
    // Every help page offers XML as well as JSON (vendor (help page)): ask for JSON.
    map.insert(
        reqwest::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    Ok(map)
}

/// `HeaderName::from_static` wants lower case; the constants keep the vendor's spelling.
fn lower(name: &'static str) -> &'static str {
    match name {
        API_KEY => "x-tampuuriavain",
        CUSTOMER => "x-asiakasnimi",
        SOFTWARE => "x-ohjelmistoversio",
        ACCOUNT => "x-tilinimi",
        USER => "x-kayttajatunnus",
        _ => "x-salasana",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_headers_and_accept_with_secrets_hidden() {
        let key = SecretString::from("AAAA1111-2222-3333");
        let pw = SecretString::from("salainen");
        let map = build(&Credentials {
            api_key: &key,
            customer: "Isännöinti Oy",
            software: "Rappu/0.1.0",
            account: "tili",
            user: "api",
            password: &pw,
        })
        .unwrap();
        assert_eq!(map.len(), 7);
        assert_eq!(map["accept"], "application/json");
        assert!(map["x-tampuuriavain"].is_sensitive());
        assert!(map["x-salasana"].is_sensitive());
        assert_eq!(map["x-asiakasnimi"].as_bytes(), "Isännöinti Oy".as_bytes());
        let debug = format!("{map:?}");
        assert!(
            !debug.contains("salainen") && !debug.contains("AAAA1111"),
            "{debug}"
        );
    }

    #[test]
    fn rejects_control_characters() {
        let key = SecretString::from("k");
        let err = build(&Credentials {
            api_key: &key,
            customer: "a\nb",
            software: "s",
            account: "a",
            user: "u",
            password: &key,
        })
        .unwrap_err();
        assert_eq!(err.0, CUSTOMER);
    }
}
