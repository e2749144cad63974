//! Ed25519 signing keys, several at once for rotation, each named by its `kid`.
//!
//! A key directory holds `<kid>.pem` (PKCS#8 private key: signs and verifies) and
//! `<kid>.pub.pem` (SPKI public key: verifies only). Rotation: generate a new key (it signs
//! from then on, being the newest), keep the old one until its tokens have expired, then
//! delete it or keep only its `.pub.pem`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;

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
pub struct KeyRing {
    verify: BTreeMap<String, DecodingKey>,
    /// The raw Ed25519 public keys by kid, published at `/.well-known/jwks.json`.
    public: BTreeMap<String, [u8; 32]>,
    signing: Option<(String, EncodingKey)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("kids", &self.verify.keys().collect::<Vec<_>>())
            .field("signing_kid", &self.signing.as_ref().map(|(k, _)| k))
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
        let mut verify = BTreeMap::new();
        let mut public_keys = BTreeMap::new();
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
                verify
                    .entry(kid.to_owned())
                    .or_insert_with(|| DecodingKey::from_ed_der(public.as_bytes()));
                public_keys
                    .entry(kid.to_owned())
                    .or_insert(public.to_bytes());
            } else if let Some(kid) = name.strip_suffix(".pem") {
                let pem = std::fs::read_to_string(&path).map_err(io(&path))?;
                let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| format_err(&path, e))?;
                let encoding =
                    EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| format_err(&path, e))?;
                verify.insert(
                    kid.to_owned(),
                    DecodingKey::from_ed_der(signing.verifying_key().as_bytes()),
                );
                public_keys.insert(kid.to_owned(), signing.verifying_key().to_bytes());
                private.insert(kid.to_owned(), encoding);
            }
        }
        if verify.is_empty() {
            return Err(KeyError::Empty(dir.to_owned()));
        }
        let signing = match signing_kid {
            Some(kid) => {
                let key = private
                    .remove(kid)
                    .ok_or_else(|| KeyError::UnknownSigningKid(kid.to_owned()))?;
                Some((kid.to_owned(), key))
            }
            None => private.pop_last(),
        };
        Ok(Self {
            verify,
            public: public_keys,
            signing,
        })
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

/// Generates a new key in `dir` (created if missing) and returns its kid, which sorts after
/// every kid generated earlier.
pub fn generate(dir: &Path) -> Result<String, KeyError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let key = SigningKey::from_bytes(&seed);
    let kid = format!("k{}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));
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
