//! One query API over both engines: every query function in Rappu takes a [`Conn`] and
//! runs the same SQL on SQLite or PostgreSQL.
//!
//! The SQL is written once, in the dialect both engines share: `$1`-style parameters
//! (rewritten to SQLite's `?1`), `ON CONFLICT`, `RETURNING`, `CAST(x AS TEXT)` rather than
//! `::`, integers as 64-bit (`BIGINT` in PostgreSQL, `INTEGER` in SQLite), booleans stored
//! as 0/1. Values cross the API as [`Value`]s, so a query function never sees which engine
//! runs it; where the engines must differ (row locks), [`Conn::is_postgres`] says which.
//!
//! Every function is synchronous and runs on a blocking thread ([`super::Store::call`]):
//! SQLite is synchronous anyway, and the synchronous `postgres` client keeps transactions
//! plain closures instead of futures that borrow a connection.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// A query failed: the engine refused it, or a value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused or failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed (the message never holds the connection's password).
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    /// The query was not run: what it needs does not hold (a fenced writer).
    #[error("{0}")]
    Refused(String),
    /// A column held something the reader did not expect.
    #[error("column {column}: {message}")]
    Decode {
        /// Column index.
        column: usize,
        /// What was wrong.
        message: String,
    },
}

impl DbError {
    /// Whether a unique or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::ConstraintViolation
            }
            Self::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }

    /// A decoding error for `column`.
    pub fn decode(column: usize, message: impl std::fmt::Display) -> Self {
        Self::Decode {
            column,
            message: message.to_string(),
        }
    }
}

/// A value bound to a parameter or read from a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `NULL`.
    Null,
    /// An integer (booleans too, as 0 and 1).
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// Something that binds to a parameter.
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_to_value!(i64, i32, u32, u64, usize, u16, u8);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// Parameters for a query: `args![a, b, c]`.
#[macro_export]
macro_rules! args {
    ($($x:expr),* $(,)?) => {
        &[$($crate::store::sql::ToValue::to_value(&$x)),*][..]
    };
}

/// Something a column reads into.
pub trait FromValue: Sized {
    /// Reads `value` of column `i`.
    fn from_value(i: usize, value: &Value) -> Result<Self, DbError>;
}

impl FromValue for i64 {
    fn from_value(i: usize, value: &Value) -> Result<Self, DbError> {
        match value {
            Value::Int(v) => Ok(*v),
            other => Err(DbError::decode(
                i,
                format!("expected an integer, got {other:?}"),
            )),
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(i: usize, value: &Value) -> Result<Self, DbError> {
                let v = i64::from_value(i, value)?;
                <$t>::try_from(v).map_err(|e| DbError::decode(i, e))
            }
        }
    )*};
}
int_from_value!(i32, u32, u64, usize);

impl FromValue for bool {
    fn from_value(i: usize, value: &Value) -> Result<Self, DbError> {
        Ok(i64::from_value(i, value)? != 0)
    }
}
impl FromValue for String {
    fn from_value(i: usize, value: &Value) -> Result<Self, DbError> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            other => Err(DbError::decode(i, format!("expected text, got {other:?}"))),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(i: usize, value: &Value) -> Result<Self, DbError> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.clone().into_bytes()),
            other => Err(DbError::decode(i, format!("expected bytes, got {other:?}"))),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(i: usize, value: &Value) -> Result<Self, DbError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(i, v).map(Some),
        }
    }
}

/// One row of a result.
#[derive(Debug, Clone)]
pub struct Row(Vec<Value>);

impl Row {
    /// Column `i`, read as `T`.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T, DbError> {
        let value = self
            .0
            .get(i)
            .ok_or_else(|| DbError::decode(i, "no such column"))?;
        T::from_value(i, value)
    }

    /// Column `i`'s text, borrowed.
    pub fn str(&self, i: usize) -> Result<&str, DbError> {
        match self.0.get(i) {
            Some(Value::Text(s)) => Ok(s),
            other => Err(DbError::decode(i, format!("expected text, got {other:?}"))),
        }
    }

    /// Column `i`'s text, taken out of the row (no copy).
    pub fn take_text(&mut self, i: usize) -> Result<String, DbError> {
        match self.0.get_mut(i) {
            Some(Value::Text(s)) => Ok(std::mem::take(s)),
            other => Err(DbError::decode(i, format!("expected text, got {other:?}"))),
        }
    }

    /// Column `i` parsed from JSON text.
    pub fn json<T: serde::de::DeserializeOwned>(&self, i: usize) -> Result<T, DbError> {
        let text: String = self.get(i)?;
        serde_json::from_str(&text).map_err(|e| DbError::decode(i, e))
    }
}

/// JSON text of `v`, for a parameter.
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<String, DbError> {
    serde_json::to_string(v).map_err(|e| DbError::decode(0, e))
}

/// A PostgreSQL connection with the statements it has prepared.
pub struct PgConn {
    /// Always `Some` until dropped (taken by [`Drop`]).
    client: Option<postgres::Client>,
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub(super) fn new(client: postgres::Client) -> Self {
        Self {
            client: Some(client),
            statements: HashMap::new(),
        }
    }

    pub(super) fn client(&mut self) -> Result<&mut postgres::Client, DbError> {
        self.client
            .as_mut()
            .ok_or_else(|| DbError::decode(0, "the connection is closed"))
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client.as_ref().is_none_or(postgres::Client::is_closed)
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client()?.prepare(sql)?;
        // Statements are named by the text the code holds: a bounded set.
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        self.statements.clear();
        if let Some(client) = self.client.take() {
            // Closing the synchronous client blocks on a runtime of its own, which may not
            // start on a thread that drives async tasks (a pool dropped in async code): close
            // it on a thread of its own.
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::Builder::new()
                    .name("rappu-pg-close".into())
                    .spawn(move || drop(client));
            } else {
                drop(client);
            }
        }
    }
}

enum Engine<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a mut PgConn),
}

/// A connection of either engine, lent to a query function.
pub struct Conn<'a> {
    engine: Engine<'a>,
    in_transaction: bool,
}

impl<'a> Conn<'a> {
    /// Wraps a SQLite connection.
    pub fn sqlite(c: &'a rusqlite::Connection) -> Self {
        Self {
            engine: Engine::Sqlite(c),
            in_transaction: false,
        }
    }

    pub(super) fn postgres(c: &'a mut PgConn) -> Self {
        Self {
            engine: Engine::Postgres(c),
            in_transaction: false,
        }
    }

    /// Whether this is PostgreSQL (for the few statements the engines must say differently).
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// Runs statements without parameters or results (DDL, `BEGIN`).
    pub fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        match &mut self.engine {
            Engine::Sqlite(c) => c.execute_batch(sql)?,
            Engine::Postgres(c) => c.client()?.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, DbError> {
        match &mut self.engine {
            Engine::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                bind(&mut stmt, params)?;
                Ok(stmt.raw_execute()?)
            }
            Engine::Postgres(c) => {
                let stmt = c.statement(sql)?;
                let n = c.client()?.execute(&stmt, &pg_params(params))?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs a query; every row.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut out = Vec::new();
        self.for_each(sql, params, |row| {
            out.push(row);
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs a query and hands each row to `f` as it is read, never holding them all (a
    /// reconciliation reads every row of a table).
    pub fn for_each(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(Row) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        match &mut self.engine {
            Engine::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                bind(&mut stmt, params)?;
                let width = stmt.column_count();
                let mut rows = stmt.raw_query();
                while let Some(r) = rows.next()? {
                    let mut values = Vec::with_capacity(width);
                    for i in 0..width {
                        values.push(sqlite_value(r.get_ref(i)?));
                    }
                    f(Row(values))?;
                }
                Ok(())
            }
            Engine::Postgres(c) => {
                use postgres::fallible_iterator::FallibleIterator as _;
                let stmt = c.statement(sql)?;
                let mut rows = c.client()?.query_raw(&stmt, pg_params(params))?;
                while let Some(r) = rows.next()? {
                    f(pg_row(&r)?)?;
                }
                Ok(())
            }
        }
    }

    /// Runs a query; its first row, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs a query that returns one row.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, DbError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| DbError::decode(0, "the query returned no row"))
    }

    /// Runs `f` in a transaction: committed when it returns `Ok`, rolled back on an error
    /// or a panic. Inside a transaction already, `f` simply joins it.
    pub fn transaction<R>(
        &mut self,
        f: impl FnOnce(&mut Conn<'a>) -> Result<R, DbError>,
    ) -> Result<R, DbError> {
        if self.in_transaction {
            return f(self);
        }
        // IMMEDIATE: SQLite takes the write lock now, so a read-then-write transaction
        // cannot fail half-way on a writer that came between.
        self.batch(if self.is_postgres() {
            "BEGIN"
        } else {
            "BEGIN IMMEDIATE"
        })?;
        self.in_transaction = true;
        let result = catch_unwind(AssertUnwindSafe(|| f(self)));
        self.in_transaction = false;
        match result {
            Ok(Ok(value)) => {
                self.batch("COMMIT")?;
                Ok(value)
            }
            Ok(Err(e)) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
            Err(panic) => {
                let _ = self.batch("ROLLBACK");
                resume_unwind(panic)
            }
        }
    }

    /// [`Conn::transaction`] whose commit is on disk before it returns: once Rappu has said
    /// "received", a power cut must not lose it. (PostgreSQL commits so by default; SQLite
    /// runs with `synchronous=NORMAL` otherwise.)
    pub fn durably<R>(
        &mut self,
        f: impl FnOnce(&mut Conn<'a>) -> Result<R, DbError>,
    ) -> Result<R, DbError> {
        let c: &'a rusqlite::Connection = match &self.engine {
            Engine::Sqlite(c) => c,
            Engine::Postgres(_) => return self.transaction(f),
        };
        if self.in_transaction {
            return f(self);
        }
        c.pragma_update(None, "synchronous", "FULL")?;
        let result = self.transaction(f);
        let restored = c.pragma_update(None, "synchronous", "NORMAL");
        let value = result?;
        restored?;
        Ok(value)
    }
}

/// `$1` → `?1`, outside string literals.
fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\'' {
            quoted = !quoted;
        }
        if ch == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(ch);
        }
    }
    out
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &[Value]) -> Result<(), DbError> {
    for (i, v) in params.iter().enumerate() {
        let i = i + 1;
        match v {
            Value::Null => stmt.raw_bind_parameter(i, rusqlite::types::Null)?,
            Value::Int(n) => stmt.raw_bind_parameter(i, n)?,
            Value::Real(f) => stmt.raw_bind_parameter(i, f)?,
            Value::Text(s) => stmt.raw_bind_parameter(i, s)?,
            Value::Blob(b) => stmt.raw_bind_parameter(i, b)?,
        }
    }
    Ok(())
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn pg_params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn pg_row(r: &postgres::Row) -> Result<Row, DbError> {
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let v = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?
                .map(|v| Value::Int(v.into()))
        } else if *ty == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(Value::Real)
        } else if *ty == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob)
        } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty) {
            r.try_get::<_, Option<String>>(i)?.map(Value::Text)
        } else {
            return Err(DbError::decode(
                i,
                format!("type {ty} is not read by Rappu (CAST it to BIGINT or TEXT)"),
            ));
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => {
                if *ty == Type::INT8 {
                    v.to_sql(ty, out)
                } else if *ty == Type::INT4 {
                    i32::try_from(*v)?.to_sql(ty, out)
                } else if *ty == Type::INT2 {
                    i16::try_from(*v)?.to_sql(ty, out)
                } else if *ty == Type::BOOL {
                    (*v != 0).to_sql(ty, out)
                } else if *ty == Type::FLOAT8 {
                    #[allow(clippy::cast_precision_loss)]
                    (*v as f64).to_sql(ty, out)
                } else {
                    v.to_string().as_str().to_sql(ty, out)
                }
            }
            Value::Real(f) => f.to_sql(ty, out),
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_sqlites_outside_literals() {
        assert_eq!(
            sqlite_sql("SELECT $1, '$2', $10 FROM t WHERE a = $2"),
            "SELECT ?1, '$2', ?10 FROM t WHERE a = ?2"
        );
    }
}
