//! `[oauth]`: third-party apps' access tokens and default quotas.

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// Third-party apps (OAuth 2.0 client credentials).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthSettings {
    /// Lifetime of an access token from `POST /oauth/token`, seconds.
    pub token_ttl_secs: u64,
    /// An app's requests per minute, unless its registration says otherwise.
    pub app_per_minute: u32,
    /// An app's burst, unless its registration says otherwise.
    pub app_burst: u32,
    /// Failed client authentications per client id and minute before `POST /oauth/token`
    /// answers `429` for that id (each attempt also costs an Argon2 verification).
    pub failed_auth_per_minute: u32,
    /// How often changes made by other processes (`rappu app ...`) are picked up, seconds.
    pub refresh_secs: u64,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            token_ttl_secs: 900,
            app_per_minute: 600,
            app_burst: 100,
            failed_auth_per_minute: 10,
            refresh_secs: 5,
        }
    }
}

impl OAuthSettings {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &str, problem: &str| ConfigError::Invalid {
            setting: setting.to_owned(),
            problem: problem.to_owned(),
        };
        if !(60..=3600).contains(&self.token_ttl_secs) {
            return Err(invalid("oauth.token_ttl_secs", "must be 60 to 3600"));
        }
        for (name, value) in [
            ("oauth.app_per_minute", self.app_per_minute),
            ("oauth.app_burst", self.app_burst),
            ("oauth.failed_auth_per_minute", self.failed_auth_per_minute),
        ] {
            if value == 0 {
                return Err(invalid(name, "must be at least 1"));
            }
        }
        if !(1..=300).contains(&self.refresh_secs) {
            return Err(invalid("oauth.refresh_secs", "must be 1 to 300"));
        }
        Ok(())
    }
}
