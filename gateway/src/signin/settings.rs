//! `[email]` (how sign-in mail leaves) and `[signin]` (links, limits, residency checks).

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// Outgoing mail: the resident sign-in links.
///
/// Without `smtp_host` mails are not sent but written to `folder` (one `.eml` file each) and
/// the link is printed: what demo mode does, and what a test instance may do. The password
/// is best given as `RAPPU_EMAIL__PASSWORD`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// The SMTP server (submission), e.g. `smtp.example.fi`. Absent: write to `folder`.
    pub smtp_host: Option<String>,
    /// Its port. Default: 587 with `starttls`, 465 with `tls`, 25 with `none`.
    pub smtp_port: Option<u16>,
    /// `starttls` (the default: plain connection upgraded, refused if the server cannot),
    /// `tls` (TLS from the first byte, "SMTPS"), or `none` (only to a loopback address).
    pub security: SmtpSecurity,
    /// SMTP user, when the server wants one.
    pub user: Option<String>,
    /// SMTP password (`RAPPU_EMAIL__PASSWORD`).
    #[serde(serialize_with = "crate::config::redacted_opt")]
    pub password: Option<SecretString>,
    /// The sender, e.g. `Rappu <rappu@isannointi.example.fi>`.
    pub from: String,
    /// A PEM file of an extra certificate authority to trust for the SMTP server (a private
    /// relay with its own CA). The system's roots are trusted in any case.
    pub ca_file: Option<PathBuf>,
    /// Where mails go without `smtp_host`. Default `<data_dir>/mail`.
    pub folder: Option<PathBuf>,
    /// Longest time one SMTP exchange may take, seconds.
    pub timeout_secs: u64,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS required (port 587).
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
    /// Plain text: only to a relay on the same machine.
    None,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            smtp_host: None,
            smtp_port: None,
            security: SmtpSecurity::Starttls,
            user: None,
            password: None,
            from: "Rappu <rappu@localhost>".into(),
            ca_file: None,
            folder: None,
            timeout_secs: 20,
        }
    }
}

fn invalid(setting: &str, problem: &str) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.to_owned(),
        problem: problem.to_owned(),
    }
}

impl EmailSettings {
    /// The port in use.
    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or(match self.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        })
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "email.from",
                "must be an address, e.g. \"Rappu <rappu@isannointi.example.fi>\"",
            ));
        }
        if self.timeout_secs == 0 || self.timeout_secs > 300 {
            return Err(invalid("email.timeout_secs", "must be 1 to 300"));
        }
        if self.smtp_port == Some(0) {
            return Err(invalid("email.smtp_port", "must be 1 to 65535"));
        }
        let Some(host) = &self.smtp_host else {
            return Ok(());
        };
        if host.trim().is_empty() || host.contains(['/', ' ', '@']) {
            return Err(invalid("email.smtp_host", "must be a host name or address"));
        }
        if self.security == SmtpSecurity::None && !is_loopback(host) {
            return Err(invalid(
                "email.security",
                "\"none\" (plain text) is allowed only to a relay on this machine (localhost)",
            ));
        }
        match (&self.user, &self.password) {
            (Some(user), Some(_)) if user.trim().is_empty() => {
                Err(invalid("email.user", "must not be empty"))
            }
            (Some(_), Some(p)) if p.expose_secret().is_empty() => {
                Err(invalid("email.password", "must not be empty"))
            }
            (Some(_), None) => Err(invalid(
                "email.password",
                "is needed with email.user (RAPPU_EMAIL__PASSWORD)",
            )),
            (None, Some(_)) => Err(invalid("email.user", "is needed with email.password")),
            _ => Ok(()),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Residents signing in with their email address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignInSettings {
    /// How long a sign-in link works, seconds (it works once).
    pub link_ttl_secs: u64,
    /// Requests for one address an hour (a burst of this many, then one every hour / n).
    /// Over it: `429`, whether the address is known or not.
    pub per_address_per_hour: u32,
    /// Requests from one client address an hour.
    pub per_client_per_hour: u32,
    /// Requests from one client address at once.
    pub per_client_burst: u32,
    /// Mails sent to one address in any hour, however many requests (kept in SQLite, so a
    /// restart does not reset it).
    pub mails_per_address_per_hour: u32,
    /// How long a resident session trusts the last check that its holder still lives in the
    /// apartment, seconds. A move-out date known at that check ends the session that day.
    pub residency_check_secs: u64,
    /// Requests waiting to be looked up and mailed; more are answered alike but dropped.
    pub queue: usize,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            link_ttl_secs: 15 * 60,
            per_address_per_hour: 5,
            per_client_per_hour: 30,
            per_client_burst: 10,
            mails_per_address_per_hour: 3,
            residency_check_secs: 3600,
            queue: 1000,
        }
    }
}

impl SignInSettings {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(60..=3600).contains(&self.link_ttl_secs) {
            return Err(invalid("signin.link_ttl_secs", "must be 60 to 3600"));
        }
        for (name, value) in [
            ("signin.per_address_per_hour", self.per_address_per_hour),
            ("signin.per_client_per_hour", self.per_client_per_hour),
            ("signin.per_client_burst", self.per_client_burst),
            (
                "signin.mails_per_address_per_hour",
                self.mails_per_address_per_hour,
            ),
        ] {
            if value == 0 {
                return Err(invalid(name, "must be at least 1"));
            }
        }
        if !(60..=86_400).contains(&self.residency_check_secs) {
            return Err(invalid(
                "signin.residency_check_secs",
                "must be 60 to 86400",
            ));
        }
        if !(1..=100_000).contains(&self.queue) {
            return Err(invalid("signin.queue", "must be 1 to 100000"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_setting_at_fault() {
        let mut e = EmailSettings::default();
        e.validate().unwrap();
        e.smtp_host = Some("smtp.example.fi".into());
        e.validate().unwrap();
        e.security = SmtpSecurity::None;
        let err = e.validate().unwrap_err().to_string();
        assert!(err.starts_with("email.security"), "{err}");
        e.smtp_host = Some("127.0.0.1".into());
        e.validate().unwrap();
        e.user = Some("rappu".into());
        let err = e.validate().unwrap_err().to_string();
        assert!(err.starts_with("email.password"), "{err}");
        e.password = Some(SecretString::from("x"));
        e.validate().unwrap();
        e.from = "not an address".into();
        let err = e.validate().unwrap_err().to_string();
        assert!(err.starts_with("email.from"), "{err}");
        assert_eq!(EmailSettings::default().port(), 587);
        let mut s = SignInSettings::default();
        s.validate().unwrap();
        s.link_ttl_secs = 10;
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .starts_with("signin.link_ttl_secs")
        );
    }
}
