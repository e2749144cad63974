//! The PostgreSQL engine: a pool of synchronous connections (`postgres` over
//! `tokio-postgres`, pooled by `r2d2`), its migrations, and the locks that let several
//! replicas share one database without doubling work.
//!
//! The connection string is a secret (it may hold the password): it stays a
//! [`SecretString`] until it is parsed, and only the host, port and database name are ever
//! logged ([`describe`]).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::StoreError;
use super::sql::{Conn, DbError, PgConn};

/// How long a query waits for a free connection before the store reports itself
/// unavailable (a request then gets 503, never a hang).
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// After a connection attempt failed, queries for this long take only a connection that is
/// ready and fail at once without one, instead of each waiting [`CHECKOUT_TIMEOUT`] for a
/// database that is away (the pool keeps trying in the background, and a later failure
/// extends the window). The first ready connection ends it.
const FAIL_FAST: Duration = Duration::from_secs(2);

/// Where the database is and how to reach it: the parsed settings and, when the URL asks
/// for it, TLS.
#[derive(Clone)]
pub struct PgTarget {
    /// The parsed connection settings.
    pub config: tokio_postgres::Config,
    /// TLS with the server's certificate verified (its chain against the trusted roots,
    /// its name against the host), or `None`: a plain connection.
    pub tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("database", &describe(&self.config))
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// Parses a `postgres://` URL without ever printing it.
///
/// TLS, as libpq's parameters say it: `sslmode=require`, `verify-ca` or `verify-full`
/// connect only over TLS, and always verify the server's certificate and name (libpq's
/// `verify-full`; an unverified TLS connection protects against nobody who can redirect
/// it) against `sslrootcert=FILE` (PEM) when given, else the system's trusted roots.
/// `sslrootcert` alone implies `verify-full`. `disable`, `prefer` and no `sslmode` connect
/// in plain (for a database on a local socket, loopback or a private network).
pub fn parse_url(url: &SecretString) -> Result<PgTarget, String> {
    let text = url.expose_secret();
    if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
        return Err("must start with postgres:// or postgresql://".into());
    }
    let (text, tls) = split_tls(text)?;
    let mut config = tokio_postgres::Config::from_str(&text)
        // The parser's message may quote the string: say only that it failed.
        .map_err(|_| "is not a valid PostgreSQL connection URL".to_owned())?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    // A listening connection only reads: without keepalives a peer that vanished without
    // closing it would go unnoticed, and with it the other replicas' announcements.
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(10));
    if config.get_application_name().is_none() {
        config.application_name("rappu");
    }
    let tls = match tls {
        TlsWanted::No => {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
            None
        }
        TlsWanted::Verified { root_cert } => {
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
            Some(tokio_postgres_rustls::MakeRustlsConnect::new(
                client_config(root_cert.as_deref())?,
            ))
        }
    };
    Ok(PgTarget { config, tls })
}

/// What the URL asks of TLS.
#[derive(Debug, PartialEq, Eq)]
enum TlsWanted {
    No,
    Verified { root_cert: Option<PathBuf> },
}

/// Takes libpq's `sslmode` and `sslrootcert` out of the URL's query (tokio-postgres knows
/// `sslmode` only as `disable`/`prefer`/`require` and no `sslrootcert`): the URL to parse,
/// and what TLS it asks for.
fn split_tls(url: &str) -> Result<(String, TlsWanted), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), TlsWanted::No));
    };
    let mut kept = Vec::new();
    let mut mode = None;
    let mut root_cert = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => mode = Some(value.to_owned()),
            "sslrootcert" => {
                let path = percent_decode(value)
                    .ok_or_else(|| "sslrootcert is not a valid percent-encoded path".to_owned())?;
                if path.is_empty() {
                    return Err("sslrootcert is empty".into());
                }
                root_cert = Some(PathBuf::from(path));
            }
            _ => kept.push(pair),
        }
    }
    let wanted = match mode.as_deref() {
        Some("require" | "verify-ca" | "verify-full") => TlsWanted::Verified { root_cert },
        None if root_cert.is_some() => TlsWanted::Verified { root_cert },
        Some("disable" | "prefer" | "allow") | None => {
            if root_cert.is_some() {
                return Err("sslrootcert is given but sslmode does not ask for TLS".into());
            }
            TlsWanted::No
        }
        Some(other) => {
            return Err(format!(
                "sslmode={other:?} is not one of disable, prefer, require, verify-ca, verify-full"
            ));
        }
    };
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, wanted))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A rustls client trusting `root_cert` (PEM, one or more certificates), else the system's
/// roots.
fn client_config(root_cert: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "sslrootcert {}: no certificate in it",
                    path.display()
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(
                    "sslmode asks for TLS but the system has no trusted root certificates: \
                     name the server's CA with sslrootcert=FILE"
                        .into(),
                );
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Host, port and database of a connection config, for logs: never the user or password.
pub fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",");
    let port = config
        .get_ports()
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "postgres://{host}:{port}/{}",
        config.get_dbname().unwrap_or("(default)")
    )
}

pub(super) struct Manager {
    config: postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let client = match &self.tls {
            None => self.config.connect(postgres::NoTls)?,
            Some(tls) => self.config.connect(tls.clone())?,
        };
        Ok(PgConn::new(client))
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        match conn.client() {
            Ok(client) => client.simple_query("").map(|_| ()),
            // Taken only by Drop: cannot be seen here.
            Err(_) => Ok(()),
        }
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.is_closed()
    }
}

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PgPool {
    pool: r2d2::Pool<Manager>,
    target: PgTarget,
    failed: std::sync::Arc<LastFailure>,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("database", &describe(&self.target.config))
            .field("tls", &self.target.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// r2d2 logs through `log`, which Rappu does not route: errors come back from `get`.
/// Logs failed connection attempts quietly and notes when the last one failed.
#[derive(Debug)]
struct QuietErrors(std::sync::Arc<LastFailure>);
impl r2d2::HandleError<postgres::Error> for QuietErrors {
    fn handle_error(&self, error: postgres::Error) {
        self.0.mark();
        tracing::debug!(error = %error, "postgres connection attempt failed");
    }
}

/// When a connection attempt last failed (milliseconds since the pool was made; 0: never).
#[derive(Debug)]
struct LastFailure {
    since: std::time::Instant,
    at_ms: std::sync::atomic::AtomicU64,
}

impl LastFailure {
    fn new() -> Self {
        Self {
            since: std::time::Instant::now(),
            at_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.since.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn mark(&self) {
        self.at_ms
            .store(self.now_ms(), std::sync::atomic::Ordering::Relaxed);
    }

    fn clear(&self) {
        self.at_ms.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether an attempt failed within `window`.
    fn recent(&self, window: Duration) -> bool {
        let at = self.at_ms.load(std::sync::atomic::Ordering::Relaxed);
        at != 0
            && self.now_ms().saturating_sub(at)
                < u64::try_from(window.as_millis()).unwrap_or(u64::MAX)
    }
}

impl PgPool {
    /// Connects (up to `size` connections) and runs the migrations. Blocking.
    pub fn connect(url: &SecretString, size: u32) -> Result<Self, StoreError> {
        let target =
            parse_url(url).map_err(|e| StoreError::Unavailable(format!("database_url: {e}")))?;
        let config = target.config.clone();
        let manager = Manager {
            config: postgres::Config::from(config.clone()),
            tls: target.tls.clone(),
        };
        let failed = std::sync::Arc::new(LastFailure::new());
        let pool = r2d2::Pool::builder()
            .max_size(size.max(2))
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .error_handler(Box::new(QuietErrors(std::sync::Arc::clone(&failed))))
            .build(manager)
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot connect to {}: {e}", describe(&config)))
            })?;
        let pool = Self {
            pool,
            target,
            failed,
        };
        let mut conn = pool.get()?;
        super::pg_schema::run(&mut Conn::postgres(&mut conn))?;
        let tls = pool.target.tls.is_some();
        tracing::info!(database = %describe(&config), tls, "using PostgreSQL");
        if !tls && !is_local(&config) {
            tracing::warn!(
                database = %describe(&config),
                "connecting to PostgreSQL on another host without TLS: add sslmode=require (and sslrootcert=FILE) to database_url unless the network is private"
            );
        }
        Ok(pool)
    }

    /// A connection from the pool. Blocking: up to [`CHECKOUT_TIMEOUT`], or not at all
    /// while the database has just refused a connection ([`FAIL_FAST`]).
    pub(super) fn get(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        if self.failed.recent(FAIL_FAST) {
            let Some(conn) = self.pool.try_get() else {
                return Err(StoreError::Unavailable(
                    "the database refused a connection just now".into(),
                ));
            };
            // A connection that passed its check: the database is back.
            self.failed.clear();
            return Ok(conn);
        }
        self.pool
            .get()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Where and how the pool connects (for the notification listener).
    pub fn target(&self) -> &PgTarget {
        &self.target
    }
}

/// Whether every host is a local socket or a loopback address.
fn is_local(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|h| match h {
        tokio_postgres::config::Host::Unix(_) => true,
        tokio_postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    })
}

/// A 64-bit advisory-lock key for a job `name` (stable across builds and replicas).
pub fn lock_key(name: &str) -> i64 {
    // FNV-1a: tiny, stable, and good enough to keep a handful of names apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

/// Runs `f` only if no other replica holds the transaction-scoped advisory lock `name`
/// (`pg_try_advisory_xact_lock`); `Ok(None)` when another does. On SQLite (one instance)
/// `f` always runs. The lock is held until `f`'s transaction ends.
pub fn exclusively<R>(
    c: &mut Conn<'_>,
    name: &str,
    f: impl FnOnce(&mut Conn<'_>) -> Result<R, DbError>,
) -> Result<Option<R>, DbError> {
    if !c.is_postgres() {
        return f(c).map(Some);
    }
    c.transaction(|tx| {
        let got: bool = tx
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1)",
                crate::args![lock_key(name)],
            )?
            .get(0)?;
        if !got {
            return Ok(None);
        }
        f(tx).map(Some)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_connection_opens_a_short_fail_fast_window_that_a_good_one_closes() {
        let failed = LastFailure::new();
        assert!(!failed.recent(FAIL_FAST), "nothing failed yet");
        failed.mark();
        assert!(failed.recent(FAIL_FAST));
        assert!(!failed.recent(Duration::ZERO), "the window has a length");
        failed.clear();
        assert!(!failed.recent(FAIL_FAST), "a ready connection ends it");
    }

    fn tls(url: &str) -> Result<(String, TlsWanted), String> {
        split_tls(url)
    }

    #[test]
    fn libpq_tls_parameters_are_read_and_taken_out_of_the_url() {
        let base = "postgres://u:p@db.example.fi:5432/rappu";
        assert_eq!(tls(base).unwrap(), (base.to_owned(), TlsWanted::No));
        for mode in ["require", "verify-ca", "verify-full"] {
            let (url, wanted) = tls(&format!("{base}?sslmode={mode}")).unwrap();
            assert_eq!(url, base);
            assert_eq!(wanted, TlsWanted::Verified { root_cert: None });
        }
        for mode in ["disable", "prefer", "allow"] {
            assert_eq!(
                tls(&format!("{base}?sslmode={mode}")).unwrap(),
                (base.to_owned(), TlsWanted::No)
            );
        }
        // sslrootcert alone asks for verified TLS; other parameters stay, percent-decoded
        // paths are read.
        let (url, wanted) = tls(&format!(
            "{base}?connect_timeout=3&sslrootcert=%2Fetc%2Frappu%2Fdb%20ca.pem&application_name=x"
        ))
        .unwrap();
        assert_eq!(url, format!("{base}?connect_timeout=3&application_name=x"));
        assert_eq!(
            wanted,
            TlsWanted::Verified {
                root_cert: Some("/etc/rappu/db ca.pem".into())
            }
        );
        assert!(tls(&format!("{base}?sslmode=sometimes")).is_err());
        assert!(tls(&format!("{base}?sslmode=disable&sslrootcert=/x.pem")).is_err());
        assert!(tls(&format!("{base}?sslrootcert=")).is_err());
        assert!(tls(&format!("{base}?sslrootcert=%zz")).is_err());
    }

    #[test]
    fn a_bad_tls_setting_is_refused_without_the_password() {
        let url = |q: &str| SecretString::from(format!("postgres://u:Salasana-9@db:5432/r?{q}"));
        for query in [
            "sslmode=sometimes",
            "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "sslrootcert=/dev/null",
        ] {
            let err = parse_url(&url(query)).unwrap_err();
            assert!(!err.contains("Salasana-9"), "{err}");
        }
        let err = parse_url(&url("sslrootcert=/nonexistent/ca.pem")).unwrap_err();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
        let err = parse_url(&url("sslrootcert=/dev/null")).unwrap_err();
        assert!(err.contains("no certificate"), "{err}");
        let target = parse_url(&url("sslmode=disable")).unwrap();
        assert!(target.tls.is_none());
        assert!(!format!("{target:?}").contains("Salasana-9"));
    }

    #[test]
    fn only_a_local_database_is_local() {
        let config = |url: &str| {
            parse_url(&SecretString::from(url.to_owned()))
                .unwrap()
                .config
        };
        assert!(is_local(&config("postgres://u@127.0.0.1/r")));
        assert!(is_local(&config("postgres://u@localhost/r")));
        assert!(is_local(&config(
            "postgres://u@%2Fvar%2Frun%2Fpostgresql/r"
        )));
        assert!(!is_local(&config("postgres://u@db.example.fi/r")));
        assert!(!is_local(&config("postgres://u@10.0.0.5/r")));
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(lock_key("rappu:migrations"), lock_key("rappu:migrations"));
        assert_ne!(lock_key("a"), lock_key("b"));
    }
}
