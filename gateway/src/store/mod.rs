//! The store: everything that must survive a restart, on one of two engines.
//!
//! - **SQLite** (the default; one file in the data directory): one connection behind a
//!   mutex, used from blocking threads. SQLite serialises writers anyway, and WAL mode lets
//!   the file be read by other processes (the `rappu token` command) while the gateway runs.
//! - **PostgreSQL** (`database_url = "postgres://..."`): a pool of connections shared by
//!   several identical replicas ([`postgres`]).
//!
//! Every query is written once against [`sql::Conn`], which runs it on either engine; each
//! concern owns its tables and queries in a submodule (here, or next to the service:
//! `reports::db`, `pairing::db`), and `migrations` / `pg_schema` create them. The account
//! mirror (`mirror::db`) is a rebuildable copy of Tampuuri and keeps its own SQLite file.

pub mod apps;
pub mod codes;
pub mod housekeeping;
pub mod listen;
mod migrations;
mod pg_schema;
pub mod postgres;
pub mod profiles;
pub mod replicas;
pub mod revocations;
pub mod signin;
pub mod signing_keys;
pub mod sql;
pub mod usage;
pub mod webhooks;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

pub use sql::{Conn, DbError, Row, Value};

/// A failure of the store. Its message is for logs; callers answer 503 or 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] DbError),
    /// The blocking task running the query panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
    /// No database connection could be had in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The data directory could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(DbError::Sqlite(e))
    }
}

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

enum Engine {
    Sqlite(Mutex<Connection>),
    Postgres(postgres::PgPool),
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    engine: Arc<Engine>,
    /// This process's id among the replicas (fresh at every start): what it announces is
    /// marked with it, so it does not act twice on its own announcements.
    instance: Arc<str>,
    /// When this process opened the store (unix seconds): what other replicas recorded
    /// from then on is caught up when listening starts, so nothing recorded between the
    /// start and the first `LISTEN` is missed.
    opened_at: i64,
    /// Whether this replica has listened to the others since it started (PostgreSQL).
    listening: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.kind())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store the settings name: PostgreSQL when `database_url` is set, else the
    /// SQLite file in the data directory.
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, StoreError> {
        match &settings.database_url {
            Some(url) => Self::connect_postgres(url, settings.database_pool_size),
            None => Self::open(&settings.database_path()),
        }
    }

    /// Opens (creating if needed) the SQLite database at `path` and brings its schema up to
    /// date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL: readers never block the writer; NORMAL: durable at every checkpoint and
        // never corrupt, the usual choice with WAL. FULL for the outbox is set per
        // transaction where a lost write would lose a resident's report.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::run(&mut conn)?;
        Ok(Self::new(Engine::Sqlite(Mutex::new(conn))))
    }

    /// Connects to PostgreSQL at `url` with a pool of up to `pool_size` connections and
    /// brings the schema up to date (replicas starting together take turns).
    pub fn connect_postgres(
        url: &secrecy::SecretString,
        pool_size: u32,
    ) -> Result<Self, StoreError> {
        let pool = off_runtime(|| postgres::PgPool::connect(url, pool_size))?;
        Ok(Self::new(Engine::Postgres(pool)))
    }

    fn new(engine: Engine) -> Self {
        Self {
            engine: Arc::new(engine),
            instance: Arc::from(uuid::Uuid::new_v4().to_string()),
            opened_at: chrono::Utc::now().timestamp(),
            listening: Arc::default(),
        }
    }

    /// When this process opened the store (unix seconds).
    pub fn opened_at(&self) -> i64 {
        self.opened_at
    }

    /// Whether this replica hears the others: always on SQLite (there are none); on
    /// PostgreSQL once its listening connection has caught up for the first time (a later
    /// loss is caught up on reconnect and does not take the replica out of service).
    pub fn hears_replicas(&self) -> bool {
        self.postgres().is_none() || self.listening.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Marks that this replica has caught up with the others and hears them from now on.
    pub fn set_hears_replicas(&self) {
        self.listening
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// This process's id among the replicas.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The engine.
    pub fn kind(&self) -> EngineKind {
        match &*self.engine {
            Engine::Sqlite(_) => EngineKind::Sqlite,
            Engine::Postgres(_) => EngineKind::Postgres,
        }
    }

    /// The PostgreSQL pool, when that is the engine.
    pub fn postgres(&self) -> Option<&postgres::PgPool> {
        match &*self.engine {
            Engine::Sqlite(_) => None,
            Engine::Postgres(pool) => Some(pool),
        }
    }

    /// Runs `f` with a connection on a blocking thread.
    pub async fn call<F, R>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Conn<'_>) -> Result<R, DbError> + Send + 'static,
        R: Send + 'static,
    {
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || run(&engine, f))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` with a connection on the current thread (start-up and CLI commands; a
    /// PostgreSQL query runs on a thread of its own, as its client may not block an async
    /// runtime's thread).
    pub fn call_blocking<F, R>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Conn<'_>) -> Result<R, DbError> + Send,
        R: Send,
    {
        match &*self.engine {
            Engine::Sqlite(_) => run(&self.engine, f),
            Engine::Postgres(_) => off_runtime(|| run(&self.engine, f)),
        }
    }

    /// The schema steps the database has and the ones this build knows: readiness fails
    /// while the database has fewer (migrations pending, or a database that was replaced).
    pub async fn schema(&self) -> Result<(usize, usize), StoreError> {
        self.call(|c| {
            if c.is_postgres() {
                Ok((pg_schema::applied(c)?, pg_schema::STEPS.len()))
            } else {
                let v: usize = c.query_one("PRAGMA user_version", &[])?.get(0)?;
                Ok((v, migrations::STEPS.len()))
            }
        })
        .await
    }

    /// A trivial query, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.call(|c| c.query_one("SELECT 1", &[]).map(|_| ()))
            .await
    }
}

fn run<F, R>(engine: &Engine, f: F) -> Result<R, StoreError>
where
    F: FnOnce(&mut Conn<'_>) -> Result<R, DbError>,
{
    match engine {
        Engine::Sqlite(conn) => {
            let guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !guard.is_autocommit() {
                // A query function panicked inside a transaction: end it.
                let _ = guard.execute_batch("ROLLBACK");
            }
            f(&mut Conn::sqlite(&guard)).map_err(StoreError::from)
        }
        Engine::Postgres(pool) => {
            let mut conn = pool.get()?;
            f(&mut Conn::postgres(&mut conn)).map_err(StoreError::from)
        }
    }
}

/// Runs `f` on a thread outside any async runtime and waits for it: the synchronous
/// PostgreSQL client runs a runtime of its own, which may not start inside another.
fn off_runtime<F, R>(f: F) -> Result<R, StoreError>
where
    F: FnOnce() -> Result<R, StoreError> + Send,
    R: Send,
{
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|_| Err(StoreError::Task("database thread panicked".into())))
    })
}
