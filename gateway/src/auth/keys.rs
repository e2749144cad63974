//! Ed25519 signing keys, several at once for rotation, each named by its `kid`.
//!
//! A key directory holds `<kid>.pem` (PKCS#8 private key: signs and verifies) and
//! `<kid>.pub.pem` (SPKI public key: verifies only). Every gateway publishes its
//! directory's public keys in the store at start ([`publish`]), so tokens verify on every
//! replica whatever key directory each has. Rotation: generate a new key (it signs from
//! the next start on, being the newest, and verifies on every replica at once), keep the
//! old one until its tokens have expired, then retire it (`rappu keys retire KID`: it stops
//! verifying on every replica within a second on PostgreSQL) and delete its file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;

use super::Tokens;
use crate::store::signing_keys::{self, Published, SharedKey};
use crate::store::{Store, StoreError};

/// A key problem; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a key file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not an Ed25519 key in PEM.
    #[error("{path}: not an Ed25519 PEM key ({reason})")]
    Format {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The directory has no key at all.
    #[error("{0}: no keys (generate one with `rappu keys generate`)")]
    Empty(PathBuf),
    /// `auth.signing_kid` names no private key.
    #[error("auth.signing_kid: no private key {0:?} in the key directory")]
    UnknownSigningKid(String),
}

/// The keys tokens are verified with, and the one new tokens are signed with.
///
/// Made of two sources: the key directory (read at start: private keys sign and verify,
/// public ones verify) and the public halves every replica published in the store
/// ([`crate::store::signing_keys`]), which verify too unless retired. A retired kid neither
/// verifies nor signs, whatever the directory holds ([`KeyRing::with_shared`]).
#[derive(Clone)]
pub struct KeyRing {
    /// The directory's public keys (of its private keys too), by kid.
    local: BTreeMap<String, [u8; 32]>,
    /// The directory's private keys, by kid.
    private: BTreeMap<String, EncodingKey>,
    /// `auth.signing_kid`, when set.
    preferred: Option<String>,
    verify: BTreeMap<String, DecodingKey>,
    /// The raw Ed25519 public keys by kid, published at `/.well-known/jwks.json`.
    public: BTreeMap<String, [u8; 32]>,
    signing: Option<(String, EncodingKey)>,
    retired: BTreeSet<String>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("kids", &self.verify.keys().collect::<Vec<_>>())
            .field("signing_kid", &self.signing.as_ref().map(|(k, _)| k))
            .field("retired", &self.retired)
            .finish()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn format_err(path: &Path, reason: impl ToString) -> KeyError {
    KeyError::Format {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

impl KeyRing {
    /// Loads every key in `dir`. The signing key is `signing_kid`, or else the private key
    /// whose kid sorts last (kids generated here sort by creation time).
    pub fn load(dir: &Path, signing_kid: Option<&str>) -> Result<Self, KeyError> {
        let mut local = BTreeMap::new();
        let mut private = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(io(dir))?;
        for entry in entries {
            let path = entry.map_err(io(dir))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if let Some(kid) = name.strip_suffix(".pub.pem") {
                let pem = std::fs::read_to_string(&path).map_err(io(&path))?;
                let public = ed25519_dalek::VerifyingKey::from_public_key_pem(&pem)
                    .map_err(|e| format_err(&path, e))?;
                local.entry(kid.to_owned()).or_insert(public.to_bytes());
            } else if let Some(kid) = name.strip_suffix(".pem") {
                let pem = std::fs::read_to_string(&path).map_err(io(&path))?;
                let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| format_err(&path, e))?;
                let encoding =
                    EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| format_err(&path, e))?;
                local.insert(kid.to_owned(), signing.verifying_key().to_bytes());
                private.insert(kid.to_owned(), encoding);
            }
        }
        if local.is_empty() {
            return Err(KeyError::Empty(dir.to_owned()));
        }
        if let Some(kid) = signing_kid
            && !private.contains_key(kid)
        {
            return Err(KeyError::UnknownSigningKid(kid.to_owned()));
        }
        let ring = Self {
            local,
            private,
            preferred: signing_kid.map(str::to_owned),
            verify: BTreeMap::new(),
            public: BTreeMap::new(),
            signing: None,
            retired: BTreeSet::new(),
        };
        Ok(ring.with_shared(&[]))
    }

    /// This ring's directory keys together with the keys published in the store: every
    /// published key not retired verifies, and a retired kid neither verifies nor signs
    /// (when it is the preferred signing key, the newest private key not retired signs).
    /// A published key whose kid names another key in the directory is ignored here (it
    /// was refused when published).
    pub fn with_shared(&self, shared: &[SharedKey]) -> Self {
        let retired: BTreeSet<String> = shared
            .iter()
            .filter(|k| k.retired_at.is_some())
            .map(|k| k.kid.clone())
            .collect();
        let mut public: BTreeMap<String, [u8; 32]> = self
            .local
            .iter()
            .filter(|(kid, _)| !retired.contains(*kid))
            .map(|(kid, key)| (kid.clone(), *key))
            .collect();
        for key in shared {
            if key.retired_at.is_none() && !self.local.contains_key(&key.kid) {
                public.insert(key.kid.clone(), key.public);
            }
        }
        let verify = public
            .iter()
            .map(|(kid, key)| (kid.clone(), DecodingKey::from_ed_der(key)))
            .collect();
        let usable = |kid: &String| !retired.contains(kid);
        let signing = match &self.preferred {
            Some(kid) if usable(kid) => self.private.get_key_value(kid),
            _ => self.private.iter().rev().find(|(kid, _)| usable(kid)),
        }
        .map(|(kid, key)| (kid.clone(), key.clone()));
        if let Some(preferred) = &self.preferred
            && retired.contains(preferred)
        {
            tracing::warn!(
                kid = %preferred,
                signs_instead = signing.as_ref().map(|(kid, _)| kid.as_str()),
                "auth.signing_kid names a retired key"
            );
        }
        Self {
            local: self.local.clone(),
            private: self.private.clone(),
            preferred: self.preferred.clone(),
            verify,
            public,
            signing,
            retired,
        }
    }

    /// The directory's public keys (of its private keys too), to publish.
    pub fn local_keys(&self) -> impl Iterator<Item = (&str, &[u8; 32])> {
        self.local.iter().map(|(kid, key)| (kid.as_str(), key))
    }

    /// Whether `kid` was retired.
    pub fn is_retired(&self, kid: &str) -> bool {
        self.retired.contains(kid)
    }

    /// Loads `dir`, first generating a key there if it has none.
    pub fn load_or_generate(dir: &Path, signing_kid: Option<&str>) -> Result<Self, KeyError> {
        let has_keys = std::fs::read_dir(dir)
            .map(|mut entries| {
                entries.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".pem")))
            })
            .unwrap_or(false);
        if !has_keys {
            let kid = generate(dir)?;
            tracing::info!(kid, dir = %dir.display(), "generated a new token signing key");
        }
        Self::load(dir, signing_kid)
    }

    /// The verification key of `kid`.
    pub fn verifying(&self, kid: &str) -> Option<&DecodingKey> {
        self.verify.get(kid)
    }

    /// The signing key and its kid, when a private key is present.
    pub fn signing(&self) -> Option<(&str, &EncodingKey)> {
        self.signing.as_ref().map(|(kid, key)| (kid.as_str(), key))
    }

    /// Every verification key: its kid and its raw Ed25519 public key (RFC 8037 `x`).
    pub fn public_keys(&self) -> impl Iterator<Item = (&str, &[u8; 32])> {
        self.public.iter().map(|(kid, key)| (kid.as_str(), key))
    }

    /// Every kid that verifies.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.verify.keys().map(String::as_str)
    }
}

/// Publishes the public keys of `tokens`' key directory in `store`, then takes every
/// replica's. Refuses a directory key whose kid names another key in the store: two
/// different keys under one name would verify each other's tokens nowhere.
pub async fn publish(tokens: &Tokens, store: &Store) -> anyhow::Result<()> {
    let local = local_keys(tokens);
    let now = chrono::Utc::now().timestamp();
    let (outcomes, shared) = store
        .signing_keys(move |c| publish_all(c, &local, now))
        .await?;
    take(tokens, outcomes, &shared)
}

/// [`publish`] from a thread that may block (the CLI).
pub fn publish_blocking(tokens: &Tokens, store: &Store) -> anyhow::Result<()> {
    let local = local_keys(tokens);
    let now = chrono::Utc::now().timestamp();
    let (outcomes, shared) = store.call_blocking(move |c| publish_all(c, &local, now))?;
    take(tokens, outcomes, &shared)
}

fn local_keys(tokens: &Tokens) -> Vec<(String, [u8; 32])> {
    tokens
        .keys()
        .local_keys()
        .map(|(kid, key)| (kid.to_owned(), *key))
        .collect()
}

type PublishOutcomes = (Vec<(String, Published)>, Vec<SharedKey>);

fn publish_all(
    c: &mut crate::store::Conn<'_>,
    local: &[(String, [u8; 32])],
    now: i64,
) -> Result<PublishOutcomes, crate::store::DbError> {
    let mut outcomes = Vec::with_capacity(local.len());
    for (kid, key) in local {
        outcomes.push((kid.clone(), signing_keys::publish(c, kid, key, now)?));
    }
    Ok((outcomes, signing_keys::all(c)?))
}

fn take(
    tokens: &Tokens,
    outcomes: Vec<(String, Published)>,
    shared: &[SharedKey],
) -> anyhow::Result<()> {
    for (kid, outcome) in outcomes {
        match outcome {
            Published::Conflict => anyhow::bail!(
                "signing key {kid}: the database holds another public key under that kid; \
                 generate a new key (`rappu keys generate`) instead of reusing the name"
            ),
            Published::New => tracing::info!(kid, "published a signing key's public half"),
            Published::Known => {}
        }
    }
    tokens.apply_shared_keys(shared);
    Ok(())
}

/// Re-reads the published keys into `tokens`. Whether the keys that verify changed.
pub async fn refresh(tokens: &Tokens, store: &Store) -> Result<bool, StoreError> {
    let shared = store.signing_keys(signing_keys::all).await?;
    Ok(tokens.apply_shared_keys(&shared))
}

/// Generates a new key in `dir` (created if missing) and returns its kid, which sorts after
/// every kid generated in an earlier millisecond.
pub fn generate(dir: &Path) -> Result<String, KeyError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let key = SigningKey::from_bytes(&seed);
    // The time, so kids sort by creation; and a random tail, so two replicas generating a
    // key in the same millisecond (each its own directory) do not name two keys alike.
    let kid = format!(
        "k{}-{:04x}",
        chrono::Utc::now().format("%Y%m%d%H%M%S%3f"),
        rand::rng().next_u32() & 0xffff
    );
    let private_path = dir.join(format!("{kid}.pem"));
    let public_path = dir.join(format!("{kid}.pub.pem"));
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format_err(&private_path, e))?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| format_err(&public_path, e))?;
    write_private(&private_path, private_pem.as_bytes())?;
    std::fs::write(&public_path, public_pem).map_err(io(&public_path))?;
    Ok(kid)
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenError;

    #[test]
    fn generates_loads_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::load_or_generate(dir.path(), None).unwrap();
        let first = ring.signing().unwrap().0.to_owned();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let second = generate(dir.path()).unwrap();
        assert!(second > first);
        let ring = KeyRing::load(dir.path(), None).unwrap();
        assert_eq!(ring.signing().unwrap().0, second, "the newest key signs");
        assert!(
            ring.verifying(&first).is_some(),
            "the old key still verifies"
        );
        let published: Vec<&str> = ring.public_keys().map(|(kid, _)| kid).collect();
        assert_eq!(published, [first.as_str(), second.as_str()]);
        let ring = KeyRing::load(dir.path(), Some(&first)).unwrap();
        assert_eq!(ring.signing().unwrap().0, first);
        assert!(matches!(
            KeyRing::load(dir.path(), Some("nope")),
            Err(KeyError::UnknownSigningKid(_))
        ));
    }

    fn shared(kid: &str, public: [u8; 32], retired: bool) -> SharedKey {
        SharedKey {
            kid: kid.to_owned(),
            public,
            published_at: 1,
            retired_at: retired.then_some(2),
        }
    }

    fn public_of(ring: &KeyRing, kid: &str) -> [u8; 32] {
        *ring.local_keys().find(|(k, _)| *k == kid).unwrap().1
    }

    #[test]
    fn published_keys_verify_and_retired_ones_neither_verify_nor_sign() {
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let old = generate(dir_a.path()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let new = generate(dir_a.path()).unwrap();
        let other = generate(dir_b.path()).unwrap();
        let a = KeyRing::load(dir_a.path(), None).unwrap();
        let b = KeyRing::load(dir_b.path(), None).unwrap();
        assert_eq!(a.signing().unwrap().0, new);

        // B's key, published, verifies on A; A's keys still sign and verify.
        let published = [shared(&other, public_of(&b, &other), false)];
        let ring = a.with_shared(&published);
        assert!(ring.verifying(&other).is_some());
        assert_eq!(ring.kids().count(), 3);
        assert_eq!(ring.signing().unwrap().0, new);
        assert!(ring.public_keys().any(|(kid, _)| kid == other));

        // A's newest retired: the older one signs, the retired one verifies nowhere and
        // is not published; the directory still holds it.
        let retired = [
            shared(&other, public_of(&b, &other), false),
            shared(&new, public_of(&a, &new), true),
        ];
        let ring = a.with_shared(&retired);
        assert!(ring.verifying(&new).is_none());
        assert!(ring.is_retired(&new));
        assert_eq!(ring.signing().unwrap().0, old);
        assert!(!ring.public_keys().any(|(kid, _)| kid == new));
        assert!(ring.local_keys().any(|(kid, _)| kid == new));

        // Retired as the configured signing key: the newest one not retired signs.
        let preferred = KeyRing::load(dir_a.path(), Some(&old)).unwrap();
        assert_eq!(preferred.signing().unwrap().0, old);
        let ring = preferred.with_shared(&[shared(&old, public_of(&a, &old), true)]);
        assert_eq!(ring.signing().unwrap().0, new);

        // Every key retired: nothing signs, nothing verifies.
        let all = [
            shared(&old, public_of(&a, &old), true),
            shared(&new, public_of(&a, &new), true),
        ];
        let ring = a.with_shared(&all);
        assert!(ring.signing().is_none());
        assert_eq!(ring.kids().count(), 0);

        // A published key of the same kid as a directory key does not replace it.
        let clash = [shared(&new, public_of(&b, &other), false)];
        let ring = a.with_shared(&clash);
        assert_eq!(
            ring.public_keys().find(|(k, _)| *k == new).unwrap().1,
            &public_of(&a, &new)
        );
    }

    fn tokens(ring: KeyRing) -> Tokens {
        Tokens::new(
            &crate::config::Settings::default().auth,
            ring,
            vec!["acct".into()],
            super::super::RevocationList::default(),
        )
    }

    fn mint(tokens: &Tokens) -> String {
        tokens
            .mint(super::super::TokenRequest {
                subject: "someone".into(),
                account: "acct".into(),
                grant: rappu_shared::Grant::Admin,
                ttl: std::time::Duration::from_secs(600),
            })
            .unwrap()
            .token
    }

    #[test]
    fn a_retired_key_refuses_its_tokens_even_those_verified_before() {
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let kid_a = generate(dir_a.path()).unwrap();
        let kid_b = generate(dir_b.path()).unwrap();
        let ring_a = KeyRing::load(dir_a.path(), None).unwrap();
        let ring_b = KeyRing::load(dir_b.path(), None).unwrap();
        let (key_a, key_b) = (public_of(&ring_a, &kid_a), public_of(&ring_b, &kid_b));
        let (a, b) = (tokens(ring_a), tokens(ring_b));
        let from_b = mint(&b);
        assert!(matches!(a.verify(&from_b), Err(TokenError::UnknownKey)));

        // B's key published: A verifies B's tokens, and remembers them as verified.
        assert!(a.apply_shared_keys(&[shared(&kid_a, key_a, false), shared(&kid_b, key_b, false)]));
        assert!(a.verify(&from_b).is_ok());
        assert!(a.verify(&from_b).is_ok(), "from the verified-token cache");
        let from_a = mint(&a);
        assert!(a.verify(&from_a).is_ok());
        assert!(
            !a.apply_shared_keys(&[shared(&kid_a, key_a, false), shared(&kid_b, key_b, false)]),
            "nothing changed"
        );

        // B's key retired: its remembered token is refused, A's own is not.
        assert!(a.apply_shared_keys(&[shared(&kid_a, key_a, false), shared(&kid_b, key_b, true)]));
        assert!(matches!(a.verify(&from_b), Err(TokenError::UnknownKey)));
        assert!(a.verify(&from_a).is_ok());
        assert!(!a.keys().public_keys().any(|(kid, _)| kid == kid_b));

        // A's own key retired: A neither verifies nor mints with it.
        a.apply_shared_keys(&[shared(&kid_a, key_a, true), shared(&kid_b, key_b, true)]);
        assert!(matches!(a.verify(&from_a), Err(TokenError::UnknownKey)));
        assert!(matches!(
            a.mint(super::super::TokenRequest {
                subject: "x".into(),
                account: "acct".into(),
                grant: rappu_shared::Grant::Admin,
                ttl: std::time::Duration::from_secs(60),
            }),
            Err(TokenError::NoSigningKey)
        ));
    }

    fn mint_for(tokens: &Tokens, ttl_secs: u64) -> String {
        tokens
            .mint(super::super::TokenRequest {
                subject: "someone".into(),
                account: "acct".into(),
                grant: rappu_shared::Grant::Admin,
                ttl: std::time::Duration::from_secs(ttl_secs),
            })
            .unwrap()
            .token
    }

    /// The verified-token cache never lets a token through past its `exp` and does not keep
    /// expired tokens: a hit on one is refused and forgotten, and the minute's purge forgets
    /// the rest.
    #[test]
    fn expired_tokens_are_refused_from_the_cache_and_purged() {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path()).unwrap();
        let a = tokens(KeyRing::load(dir.path(), None).unwrap());
        // `exp` is now: verified in full within the leeway, and remembered.
        let ending = mint_for(&a, 0);
        assert!(a.verify(&ending).is_ok());
        assert_eq!(a.remembered(), 1);
        assert!(matches!(a.verify(&ending), Err(TokenError::Expired)));
        assert_eq!(a.remembered(), 0, "refused from the cache and forgotten");

        let (ending, lasting) = (mint_for(&a, 0), mint_for(&a, 600));
        assert!(a.verify(&ending).is_ok() && a.verify(&lasting).is_ok());
        assert_eq!(a.remembered(), 2);
        a.purge_expired();
        assert_eq!(a.remembered(), 1, "the expired one purged, the other kept");
        assert!(a.verify(&lasting).is_ok());
        assert_eq!(a.remembered(), 1);
    }

    /// A verification that read the keys before a retirement and remembers its token
    /// after it must not let the token through from the cache.
    #[test]
    fn a_verification_racing_a_retirement_does_not_outlive_it() {
        let dir = tempfile::tempdir().unwrap();
        let kid = generate(dir.path()).unwrap();
        let ring = KeyRing::load(dir.path(), None).unwrap();
        let key = public_of(&ring, &kid);
        let t = std::sync::Arc::new(tokens(ring));
        let token = mint(&t);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let verifier = {
            let (t, token, stop) = (t.clone(), token.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = t.verify(&token);
                }
            })
        };
        for round in 0..200 {
            let retired = round % 2 == 0;
            t.apply_shared_keys(&[shared(&kid, key, retired)]);
            if retired {
                assert!(
                    t.verify(&token).is_err(),
                    "round {round}: a retired key's token passed"
                );
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        verifier.join().unwrap();
    }

    #[test]
    fn verify_only_keys_do_not_sign() {
        let dir = tempfile::tempdir().unwrap();
        let kid = generate(dir.path()).unwrap();
        std::fs::remove_file(dir.path().join(format!("{kid}.pem"))).unwrap();
        let ring = KeyRing::load(dir.path(), None).unwrap();
        assert!(ring.signing().is_none());
        assert!(ring.verifying(&kid).is_some());
    }

    #[test]
    fn names_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.pem"), "not a key").unwrap();
        let err = KeyRing::load(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("bad.pem"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn private_keys_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let kid = generate(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(format!("{kid}.pem")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
