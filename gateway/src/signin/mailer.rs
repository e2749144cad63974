//! How a sign-in mail leaves: over SMTP (lettre, STARTTLS or TLS, the system's roots plus
//! an optional extra CA), or, without an SMTP server, into a folder with the link printed on
//! standard output (demo mode; a test instance).

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::address::EmailAddress;
use super::settings::{EmailSettings, SmtpSecurity};

/// Where mail goes.
pub enum Mailer {
    /// An SMTP server.
    Smtp {
        /// The transport (pooled connections).
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// `host:port (security)`, for logs.
        describe: String,
        /// The sender.
        from: Mailbox,
    },
    /// A folder of `.eml` files.
    Folder {
        /// The folder.
        dir: PathBuf,
        /// The sender.
        from: Mailbox,
    },
}

/// Written without the transport, whose credentials must never be printed.
impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A mail that could not be sent; the message is for logs (never has the password).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(String);

impl Mailer {
    /// The mailer `[email]` describes; its folder defaults to `<data_dir>/mail`.
    pub fn from_settings(email: &EmailSettings, data_dir: &Path) -> anyhow::Result<Self> {
        let from: Mailbox = email
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("email.from: {e}"))?;
        let Some(host) = email.smtp_host.clone() else {
            let dir = email
                .folder
                .clone()
                .unwrap_or_else(|| data_dir.join("mail"));
            std::fs::create_dir_all(&dir).map_err(|e| {
                anyhow::anyhow!("email.folder: cannot create {}: {e}", dir.display())
            })?;
            return Ok(Self::Folder { dir, from });
        };
        let port = email.port();
        let mut tls = TlsParameters::builder(host.clone());
        if let Some(path) = &email.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("email.ca_file: cannot read {}: {e}", path.display())
            })?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| anyhow::anyhow!("email.ca_file: {}: {e}", path.display()))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls
            .build_rustls()
            .map_err(|e| anyhow::anyhow!("email: TLS settings: {e}"))?;
        let (mode, name) = match email.security {
            SmtpSecurity::Starttls => (Tls::Required(tls), "STARTTLS"),
            SmtpSecurity::Tls => (Tls::Wrapper(tls), "TLS"),
            SmtpSecurity::None => (Tls::None, "plain text"),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .timeout(Some(Duration::from_secs(email.timeout_secs)))
            .tls(mode);
        if let (Some(user), Some(password)) = (&email.user, &email.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            describe: format!("SMTP {host}:{port} ({name})"),
            from,
        })
    }

    /// The sender.
    pub fn from(&self) -> &Mailbox {
        match self {
            Self::Smtp { from, .. } | Self::Folder { from, .. } => from,
        }
    }

    /// Where mail goes, for logs.
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { describe, .. } => describe.clone(),
            Self::Folder { dir, .. } => format!("the folder {}", dir.display()),
        }
    }

    /// Whether mail really leaves (SMTP).
    pub fn sends(&self) -> bool {
        matches!(self, Self::Smtp { .. })
    }

    /// Sends `message` to `to`. In folder mode the file is written and `link` printed on
    /// standard output (never in the log).
    pub async fn send(
        &self,
        message: Message,
        to: &EmailAddress,
        link: &str,
    ) -> Result<(), MailError> {
        match self {
            Self::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError(e.to_string())),
            Self::Folder { dir, .. } => {
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%3f"),
                    uuid::Uuid::new_v4().simple()
                );
                let path = dir.join(name);
                let bytes = message.formatted();
                tokio::fs::write(&path, bytes)
                    .await
                    .map_err(|e| MailError(format!("cannot write {}: {e}", path.display())))?;
                println!(
                    "sign-in link for {} (mail in {}): {link}",
                    to.masked(),
                    path.display()
                );
                Ok(())
            }
        }
    }
}
