//! Browser sessions without tokens in URLs or in JavaScript's reach.
//!
//! An operator creates a one-time link (`rappu enroll-display`, `rappu login-link`, or the
//! admin API). Opening it once on the device posts the code to the gateway, which uses the
//! code up and answers with a session cookie: HttpOnly (scripts cannot read it), SameSite
//! Strict, Secure behind https, holding a normal Rappu token (so it is verified, scoped and
//! revocable like any other). State-changing requests are protected against cross-site
//! forgery by the CSRF layer (`Sec-Fetch-Site` / `Origin`).

use std::time::Duration;

use axum::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use rappu_shared::Grant;
use rappu_shared::session::OneTimeLink;
use sha2::Digest;

use crate::auth::{TokenRequest, Tokens};
use crate::error::ApiError;
use crate::store::Store;
use crate::store::codes::{CodeGrant, CodeKind};
use crate::store::revocations::IssuedToken;

/// The session cookie's name over plain http (development, tests).
pub const COOKIE: &str = "rappu_session";
/// The session cookie's name over https: the `__Host-` prefix makes the browser refuse it
/// unless it is `Secure`, has `Path=/` and no `Domain`, so a sibling subdomain cannot set
/// or shadow it.
pub const HOST_COOKIE: &str = "__Host-rappu_session";

/// The session cookie's name: [`HOST_COOKIE`] over https, else [`COOKIE`].
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { HOST_COOKIE } else { COOKIE }
}
/// How long an enrolment link works.
pub const ENROLMENT_LINK_TTL: Duration = Duration::from_secs(7 * 86_400);
/// How long a login link works.
pub const LOGIN_LINK_TTL: Duration = Duration::from_secs(86_400);
/// A display's session: a year (revocable at any time).
pub const DISPLAY_SESSION_TTL: Duration = Duration::from_secs(365 * 86_400);
/// A resident's session.
pub const RESIDENT_SESSION_TTL: Duration = Duration::from_secs(30 * 86_400);

/// A fresh code (256 bits, URL-safe) and its hash.
pub fn new_code() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let code = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_code(&code);
    (code, hash)
}

/// The stored form of a code.
pub fn hash_code(code: &str) -> String {
    sha2::Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn kind_of(grant: &Grant) -> Option<(CodeKind, &'static str, Duration)> {
    match grant {
        Grant::Display { .. } => Some((
            CodeKind::DisplayEnrolment,
            "/display/enroll",
            ENROLMENT_LINK_TTL,
        )),
        Grant::Resident { .. } => Some((CodeKind::ResidentLogin, "/portal/login", LOGIN_LINK_TTL)),
        Grant::Admin => Some(crate::admin_login::LINK),
        Grant::Partner { .. } | Grant::App { .. } => None,
    }
}

/// What a link creation needs.
pub struct LinkRequest<'a> {
    /// The instance's public URL (no trailing slash).
    pub public_url: &'a str,
    /// Tampuuri account.
    pub account: &'a str,
    /// Display or resident grant.
    pub grant: Grant,
    /// Subject of the session.
    pub subject: String,
}

fn prepare(
    request: &LinkRequest<'_>,
) -> Result<(CodeKind, String, String, CodeGrant, DateTime<Utc>), ApiError> {
    let (kind, path, ttl) = kind_of(&request.grant)
        .ok_or_else(|| ApiError::Internal("links are for displays and residents".into()))?;
    let (code, hash) = new_code();
    let expires_at = Utc::now() + chrono::TimeDelta::from_std(ttl).unwrap_or_default();
    let grant = CodeGrant {
        account: request.account.to_owned(),
        subject: request.subject.clone(),
        grant_json: serde_json::to_string(&request.grant)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    let url = format!("{}{path}?code={code}", request.public_url);
    Ok((kind, hash, url, grant, expires_at))
}

/// Creates a one-time link.
pub async fn create_link(store: &Store, request: LinkRequest<'_>) -> Result<OneTimeLink, ApiError> {
    let (kind, hash, url, grant, expires_at) = prepare(&request)?;
    store
        .insert_code(
            hash,
            kind,
            grant,
            Utc::now().timestamp(),
            expires_at.timestamp(),
        )
        .await?;
    Ok(OneTimeLink { url, expires_at })
}

/// [`create_link`] for the CLI.
pub fn create_link_blocking(
    store: &Store,
    request: LinkRequest<'_>,
) -> Result<OneTimeLink, ApiError> {
    let (kind, hash, url, grant, expires_at) = prepare(&request)?;
    store.insert_code_blocking(
        &hash,
        kind,
        &grant,
        Utc::now().timestamp(),
        expires_at.timestamp(),
    )?;
    Ok(OneTimeLink { url, expires_at })
}

/// Checks a code's shape before touching the store: 43 URL-safe base64 characters.
/// Whether `code` (spaces around it ignored) has the shape of the codes [`new_code`] makes:
/// 43 URL-safe base64 characters.
pub fn is_well_formed_code(code: &str) -> bool {
    let code = code.trim();
    code.len() == 43
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Uses up `code` and mints the session it opens. Unknown, used and expired codes are
/// refused alike.
pub async fn redeem(
    store: &Store,
    tokens: &Tokens,
    kind: CodeKind,
    code: &str,
) -> Result<(String, Duration), ApiError> {
    let code = code.trim();
    if !is_well_formed_code(code) {
        return Err(ApiError::InvalidCode);
    }
    let grant = store
        .redeem_code(hash_code(code), kind, Utc::now().timestamp())
        .await?
        .ok_or(ApiError::InvalidCode)?;
    let parsed: Grant =
        serde_json::from_str(&grant.grant_json).map_err(|e| ApiError::Internal(e.to_string()))?;
    let ttl = match kind {
        CodeKind::DisplayEnrolment => DISPLAY_SESSION_TTL,
        CodeKind::ResidentLogin | CodeKind::ResidentEmail | CodeKind::ResidentChoice => {
            RESIDENT_SESSION_TTL
        }
        CodeKind::AdminLogin => crate::admin_login::SESSION_TTL,
    };
    let token = open_session(store, tokens, grant.account, grant.subject, parsed, ttl).await?;
    Ok((token, ttl))
}

/// Mints and records a session token.
pub async fn open_session(
    store: &Store,
    tokens: &Tokens,
    account: String,
    subject: String,
    grant: Grant,
    ttl: Duration,
) -> Result<String, ApiError> {
    let minted = tokens.mint(TokenRequest {
        subject,
        account,
        grant,
        ttl,
    })?;
    store
        .record_issued(IssuedToken::from_claims(&minted.claims))
        .await?;
    Ok(minted.token)
}

/// `Set-Cookie` for an HttpOnly, SameSite=Strict cookie `name` on the whole site, Secure
/// behind https.
pub fn cookie(
    name: &str,
    value: &str,
    max_age: Duration,
    secure: bool,
) -> Result<HeaderValue, ApiError> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.as_secs()
    ))
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `Set-Cookie` for a session.
pub fn session_cookie(token: &str, ttl: Duration, secure: bool) -> Result<HeaderValue, ApiError> {
    cookie(cookie_name(secure), token, ttl, secure)
}

/// `Set-Cookie` that ends the session in the browser.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "__Host-rappu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
        )
    } else {
        HeaderValue::from_static("rappu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

/// The value of cookie `name` in a `Cookie` header value, if any and not empty.
pub fn cookie_value<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').find_map(|pair| {
        let (n, v) = pair.trim().split_once('=')?;
        (n == name && !v.is_empty()).then_some(v)
    })
}

/// The session token in a `Cookie` header value, if any, under `name` ([`cookie_name`]).
pub fn from_cookie_header<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    cookie_value(value, name)
}

impl crate::state::App {
    /// Whether people reach this instance over https (`server.public_url`): cookies are
    /// then `Secure` and the session cookie is [`HOST_COOKIE`].
    pub fn https(&self) -> bool {
        self.settings
            .server
            .public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_random_and_stored_hashed() {
        let (a, hash_a) = new_code();
        let (b, _) = new_code();
        assert_ne!(a, b);
        assert!(is_well_formed_code(&a), "{a}");
        assert_eq!(hash_a, hash_code(&a));
        assert_ne!(hash_a, a);
        assert!(!is_well_formed_code("short"));
        assert!(!is_well_formed_code(&format!("{}!", &a[..42])));
    }

    #[test]
    fn cookies() {
        let c = session_cookie("t.o.k", Duration::from_secs(60), false).unwrap();
        assert_eq!(
            c,
            "rappu_session=t.o.k; Path=/; HttpOnly; SameSite=Strict; Max-Age=60"
        );
        assert_eq!(
            from_cookie_header("a=1; rappu_session=t.o.k; b=2", COOKIE),
            Some("t.o.k")
        );
        assert_eq!(from_cookie_header("rappu_session=", COOKIE), None);
        let c = session_cookie("t.o.k", Duration::from_secs(60), true).unwrap();
        assert!(
            c.to_str()
                .unwrap()
                .starts_with("__Host-rappu_session=t.o.k; Path=/;")
        );
        assert_eq!(
            from_cookie_header("x=1; __Host-rappu_session=h.o.st", HOST_COOKIE),
            Some("h.o.st")
        );
        assert_eq!(from_cookie_header("other=1", COOKIE), None);
        assert_eq!(from_cookie_header("rappu_session=t.o.k", HOST_COOKIE), None);
    }
}
