//! The public halves of the token signing keys, shared by every replica.
//!
//! Each gateway publishes the public keys of its key directory when it starts (and `rappu
//! keys generate` publishes a new one at once), so a token signed by any replica verifies
//! on all of them, whichever key directory each was given. A key is retired with `rappu
//! keys retire KID`: from then on no replica verifies or signs with it, whatever its own
//! directory holds. A retired kid stays recorded, so a copy of the key restored from a
//! backup cannot bring it back. On PostgreSQL a publication or retirement is announced on
//! [`super::listen::KEYS`] in the same transaction; every replica also re-reads the table
//! every `auth.revocation_refresh_secs` (the only way on SQLite, where the CLI is another
//! process).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::sql::{Conn, DbError, Row};
use super::{Store, StoreError};

/// A published public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedKey {
    /// Its key id (the JWT header's `kid`).
    pub kid: String,
    /// The raw Ed25519 public key.
    pub public: [u8; 32],
    /// When it was first published (unix seconds).
    pub published_at: i64,
    /// When it was retired, if it was.
    pub retired_at: Option<i64>,
}

/// What publishing a key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// It was not known: recorded now.
    New,
    /// It was known already, with the same public key.
    Known,
    /// Another public key is recorded under this kid: two different keys share a name.
    Conflict,
}

/// What retiring a key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retired {
    /// Retired now.
    Now,
    /// It had been retired already, at this time.
    Already(i64),
    /// No key of that kid was ever published.
    Unknown,
}

fn row(r: &Row) -> Result<SharedKey, DbError> {
    let text: String = r.get(1)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .map_err(|e| DbError::decode(1, e))?;
    let public: [u8; 32] = bytes
        .try_into()
        .map_err(|_| DbError::decode(1, "not a 32-byte Ed25519 public key"))?;
    Ok(SharedKey {
        kid: r.get(0)?,
        public,
        published_at: r.get(2)?,
        retired_at: r.get(3)?,
    })
}

/// Every published key, retired ones too, by kid.
pub fn all(c: &mut Conn<'_>) -> Result<Vec<SharedKey>, DbError> {
    c.query(
        "SELECT kid, public_key, published_at, retired_at FROM signing_keys ORDER BY kid",
        &[],
    )?
    .iter()
    .map(row)
    .collect()
}

/// Publishes the public key of `kid`.
pub fn publish(
    c: &mut Conn<'_>,
    kid: &str,
    public: &[u8; 32],
    now: i64,
) -> Result<Published, DbError> {
    let encoded = URL_SAFE_NO_PAD.encode(public);
    c.transaction(|tx| {
        let n = tx.execute(
            "INSERT INTO signing_keys (kid, public_key, published_at) VALUES ($1, $2, $3)
             ON CONFLICT (kid) DO NOTHING",
            crate::args![kid, encoded, now],
        )?;
        if n == 1 {
            announce(tx, kid)?;
            return Ok(Published::New);
        }
        let known: String = tx
            .query_one(
                "SELECT public_key FROM signing_keys WHERE kid = $1",
                crate::args![kid],
            )?
            .get(0)?;
        Ok(if known == encoded {
            Published::Known
        } else {
            Published::Conflict
        })
    })
}

/// Retires `kid`: no replica verifies or signs with it any more.
pub fn retire(c: &mut Conn<'_>, kid: &str, now: i64) -> Result<Retired, DbError> {
    c.transaction(|tx| {
        let found = tx.query_opt(
            "SELECT retired_at FROM signing_keys WHERE kid = $1",
            crate::args![kid],
        )?;
        let Some(found) = found else {
            return Ok(Retired::Unknown);
        };
        if let Some(at) = found.get::<Option<i64>>(0)? {
            return Ok(Retired::Already(at));
        }
        tx.execute(
            "UPDATE signing_keys SET retired_at = $2 WHERE kid = $1",
            crate::args![kid, now],
        )?;
        announce(tx, kid)?;
        Ok(Retired::Now)
    })
}

/// Tells every replica (PostgreSQL; delivered at commit) to re-read the keys.
fn announce(c: &mut Conn<'_>, kid: &str) -> Result<(), DbError> {
    if c.is_postgres() {
        c.execute(
            "SELECT pg_notify($1, $2)",
            crate::args![super::listen::KEYS, kid],
        )?;
    }
    Ok(())
}

impl Store {
    /// Runs one of this module's functions on the gateway's blocking pool.
    pub async fn signing_keys<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Conn<'_>) -> Result<R, DbError> + Send + 'static,
        R: Send + 'static,
    {
        self.call(f).await
    }
}
