//! Client ids and secrets: random, recognisable by their prefix (so a leaked secret is easy
//! to find with a secret scanner), the secret stored only as an Argon2id hash.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

/// Every client id starts so.
pub const CLIENT_ID_PREFIX: &str = "rappu-app-";
/// The client id's pattern in the API document.
pub const CLIENT_ID_PATTERN: &str = "^rappu-app-[0-9a-f]{16}$";
/// Every client secret starts so.
pub const SECRET_PREFIX: &str = "rappu-secret-";

/// A new client id: the prefix and 64 random bits in hex.
pub fn new_client_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{CLIENT_ID_PREFIX}{hex}")
}

/// Whether `id` has the shape of [`new_client_id`]'s ids.
pub fn is_client_id(id: &str) -> bool {
    id.strip_prefix(CLIENT_ID_PREFIX).is_some_and(|hex| {
        hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// A new client secret (256 random bits) and its Argon2id hash (a PHC string).
pub fn new_secret() -> Result<(SecretString, String), String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&secret)?;
    Ok((SecretString::from(secret), hash))
}

/// The Argon2id (v19, default cost) hash of `secret`.
pub fn hash(secret: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `secret` matches `stored` (a PHC string). Takes as long for a wrong secret as
/// for the right one.
pub fn verify(secret: &SecretString, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(secret.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_only_their_hash_verifies() {
        let id = new_client_id();
        assert!(is_client_id(&id), "{id}");
        assert!(!is_client_id("rappu-app-XYZ"));
        assert_ne!(id, new_client_id());
        let (secret, stored) = new_secret().unwrap();
        assert!(secret.expose_secret().starts_with(SECRET_PREFIX));
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(!stored.contains(secret.expose_secret()));
        assert!(verify(&secret, &stored));
        assert!(!verify(&SecretString::from("rappu-secret-wrong"), &stored));
        assert!(!verify(&secret, "not a hash"));
    }
}
