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
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("database", &describe(&self.config))
            .finish_non_exhaustive()
    }
}

/// r2d2 logs through `log`, which Rappu does not route: errors come back from `get`.
#[derive(Debug)]
struct QuietErrors;
impl r2d2::HandleError<postgres::Error> for QuietErrors {
    fn handle_error(&self, error: postgres::Error) {
        tracing::debug!(error = %error, "postgres connection attempt failed");
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
        let pool = r2d2::Pool::builder()
            .max_size(size.max(2))
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .error_handler(Box::new(QuietErrors))
            .build(manager)
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot connect to {}: {e}", describe(&config)))
            })?;
        let pool = Self { pool, config };
        let mut conn = pool.get()?;
        super::pg_schema::run(&mut Conn::postgres(&mut conn))?;
        tracing::info!(database = %describe(&pool.config), "using PostgreSQL");
        Ok(pool)
    }

    /// A connection from the pool. Blocking.
    pub(super) fn get(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
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
