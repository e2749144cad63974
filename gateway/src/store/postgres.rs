//! The PostgreSQL engine: a pool of synchronous connections (`postgres` over
//! `tokio-postgres`, pooled by `r2d2`), its migrations, and the locks that let several
//! replicas share one database without doubling work.
//!
//! The connection string is a secret (it may hold the password): it stays a
//! [`SecretString`] until it is parsed, and only the host, port and database name are ever
//! logged ([`describe`]).

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

/// Parses a `postgres://` URL (or key=value string) without ever printing it.
pub fn parse_url(url: &SecretString) -> Result<tokio_postgres::Config, String> {
    let text = url.expose_secret();
    if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
        return Err("must start with postgres:// or postgresql://".into());
    }
    let mut config = tokio_postgres::Config::from_str(text)
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
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err("sslmode=require is not supported yet: connect over a private network or a local socket (see README, \"Running several replicas\")".into());
    }
    Ok(config)
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
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn::new(self.config.connect(postgres::NoTls)?))
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
    config: tokio_postgres::Config,
    failed: std::sync::Arc<LastFailure>,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("database", &describe(&self.config))
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
        let config =
            parse_url(url).map_err(|e| StoreError::Unavailable(format!("database_url: {e}")))?;
        let manager = Manager {
            config: postgres::Config::from(config.clone()),
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
            config,
            failed,
        };
        let mut conn = pool.get()?;
        super::pg_schema::run(&mut Conn::postgres(&mut conn))?;
        tracing::info!(database = %describe(&pool.config), "using PostgreSQL");
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

    /// The parsed connection settings (for the notification listener).
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }
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

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(lock_key("rappu:migrations"), lock_key("rappu:migrations"));
        assert_ne!(lock_key("a"), lock_key("b"));
    }
}
