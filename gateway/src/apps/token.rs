//! `POST /oauth/token` with `grant_type=client_credentials` (RFC 6749 §4.4): the request's
//! rules and the errors of §5.2.
//!
//! The client authenticates with HTTP Basic (`client_id:client_secret`, each
//! form-urlencoded first, §2.3.1) or with `client_id` and `client_secret` in the body, not
//! both. Parameters are form-encoded and each appears at most once (§3.2). `scope`, if
//! given, must be a subset of the app's scopes; absent, the token gets them all.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rappu_shared::Grant;
use rappu_shared::apps::{Scope, TokenResponse};
use secrecy::SecretString;

use super::Apps;
use crate::auth::{TokenRequest, Tokens};
use crate::store::Store;
use crate::store::revocations::IssuedToken;

/// A refused token request (RFC 6749 §5.2), or a client over its failure quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// `invalid_request`: a parameter is missing, repeated, unknown in form or malformed.
    InvalidRequest(String),
    /// `invalid_client`: client authentication failed. `basic`: it was tried with HTTP
    /// Basic (the answer then carries `WWW-Authenticate: Basic`).
    InvalidClient {
        /// Whether the client used HTTP Basic.
        basic: bool,
    },
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`: a scope that does not exist or the app does not have.
    InvalidScope(String),
    /// Too many failed authentications for this client id: wait.
    TooManyFailures(Duration),
    /// Minting or recording the token failed (logged; a 503 for the client).
    Unavailable(String),
}

impl TokenError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidClient { .. } => "invalid_client",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::InvalidScope(_) => "invalid_scope",
            TokenError::TooManyFailures(_) => "slow_down",
            TokenError::Unavailable(_) => "temporarily_unavailable",
        }
    }

    /// The `error_description`.
    pub fn description(&self) -> String {
        match self {
            TokenError::InvalidRequest(why) | TokenError::InvalidScope(why) => why.clone(),
            TokenError::InvalidClient { .. } => "client authentication failed".into(),
            TokenError::UnsupportedGrantType => {
                "only grant_type=client_credentials is supported".into()
            }
            TokenError::TooManyFailures(_) => {
                "too many failed authentications for this client; wait and try again".into()
            }
            TokenError::Unavailable(_) => "the token cannot be issued now; try again".into(),
        }
    }
}

/// The form's parameters, each at most once.
fn parameters(body: &[u8]) -> Result<Vec<(String, String)>, TokenError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if out.iter().any(|(n, _)| *n == name) {
            return Err(TokenError::InvalidRequest(format!(
                "the parameter {name} is given more than once"
            )));
        }
        out.push((name.into_owned(), value.into_owned()));
    }
    Ok(out)
}

/// The credentials of an `Authorization: Basic` value.
fn basic(value: &str) -> Result<(String, SecretString), TokenError> {
    let malformed = || TokenError::InvalidClient { basic: true };
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((unescape(id), SecretString::from(unescape(secret))))
}

/// What the endpoint needs.
pub struct Issuer<'a> {
    /// The registry.
    pub apps: &'a Apps,
    /// Minting.
    pub tokens: &'a Tokens,
    /// Recording issued tokens (so rotating or revoking the app revokes them).
    pub store: &'a Store,
    /// Live replicas sharing the failed-authentication quota.
    pub replicas: u32,
}

impl Issuer<'_> {
    /// Answers a token request: `authorization` is the `Authorization` header, if any, and
    /// `body` the form.
    pub async fn issue(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<TokenResponse, TokenError> {
        let params = parameters(body)?;
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let grant_type = param("grant_type")
            .ok_or_else(|| TokenError::InvalidRequest("grant_type is missing".into()))?;
        if grant_type != "client_credentials" {
            return Err(TokenError::UnsupportedGrantType);
        }
        let in_body = (param("client_id"), param("client_secret"));
        let (client_id, secret, used_basic) = match (authorization, in_body) {
            (Some(_), (Some(_), _) | (_, Some(_))) => {
                return Err(TokenError::InvalidRequest(
                    "authenticate with HTTP Basic or with client_id and client_secret in the body, not both".into(),
                ));
            }
            (Some(header), _) => {
                let (id, secret) = basic(header)?;
                (id, secret, true)
            }
            (None, (Some(id), Some(secret))) => {
                (id.to_owned(), SecretString::from(secret.to_owned()), false)
            }
            (None, _) => {
                return Err(TokenError::InvalidRequest(
                    "client credentials are missing (HTTP Basic, or client_id and client_secret)"
                        .into(),
                ));
            }
        };
        let app = match self
            .apps
            .authenticate(&client_id, secret, self.replicas)
            .await
        {
            Ok(app) => app,
            Err(Some(wait)) => return Err(TokenError::TooManyFailures(wait)),
            Err(None) => return Err(TokenError::InvalidClient { basic: used_basic }),
        };
        let granted: Vec<Scope> = app.scopes.iter().map(|g| g.scope).collect();
        let scope = match param("scope") {
            None => app.scope_string(),
            Some(asked) => {
                let mut wanted: Vec<Scope> = Vec::new();
                for name in asked.split(' ').filter(|s| !s.is_empty()) {
                    let scope = Scope::parse(name).ok_or_else(|| {
                        TokenError::InvalidScope(format!("{name} is not a scope"))
                    })?;
                    if !granted.contains(&scope) {
                        return Err(TokenError::InvalidScope(format!(
                            "{name} is not one of this app's scopes"
                        )));
                    }
                    if !wanted.contains(&scope) {
                        wanted.push(scope);
                    }
                }
                if wanted.is_empty() {
                    return Err(TokenError::InvalidScope("scope is empty".into()));
                }
                wanted.sort();
                wanted
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let ttl = Duration::from_secs(self.apps.settings().token_ttl_secs);
        let minted = self
            .tokens
            .mint(TokenRequest {
                subject: app.client_id.clone(),
                account: app.account.clone(),
                grant: Grant::App {
                    client_id: app.client_id.clone(),
                    scope: scope.clone(),
                },
                ttl,
            })
            .map_err(|e| TokenError::Unavailable(e.to_string()))?;
        self.store
            .record_issued(IssuedToken::from_claims(&minted.claims))
            .await
            .map_err(|e| TokenError::Unavailable(e.to_string()))?;
        tracing::info!(client_id = %app.client_id, scope, "access token issued to an app");
        Ok(TokenResponse {
            access_token: minted.token,
            token_type: "Bearer".into(),
            expires_in: ttl.as_secs(),
            scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded_after_base64() {
        let header = format!("Basic {}", STANDARD.encode("rappu-app-1%3Ax:s%20e+cret"));
        let (id, secret) = basic(&header).unwrap();
        assert_eq!(id, "rappu-app-1:x");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&secret), "s e cret");
        assert!(basic("Bearer abc").is_err());
        assert!(basic("Basic !!!").is_err());
        assert!(basic(&format!("Basic {}", STANDARD.encode("no-colon"))).is_err());
    }

    #[test]
    fn a_parameter_may_appear_once() {
        assert!(parameters(b"grant_type=client_credentials&scope=a").is_ok());
        assert_eq!(
            parameters(b"scope=a&scope=b").unwrap_err().code(),
            "invalid_request"
        );
    }
}
