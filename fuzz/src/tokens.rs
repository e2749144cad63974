//! `bearer_token` inputs and the token service they are checked against.
//!
//! The service is the gateway's own [`Tokens`] with its default settings, for the accounts
//! `demo` and `toinen`, and one Ed25519 key (`kid` [`KID`]) made from a fixed seed, so that
//! tokens minted for the seed corpus keep verifying from run to run. The seed is in this
//! file: the key signs nothing but fuzz inputs.
//!
//! An input is one mode byte (see [`Mode`]), then:
//! - [`Mode::Header`], [`Mode::Cookie`]: the bytes of an `Authorization` or `Cookie` header
//!   value, read by the gateway's extractor exactly as it reads a request's;
//! - the other modes: a JOSE header (JSON), a NUL byte, the claims (JSON); the target encodes
//!   them as a compact JWS and signs it as the mode says. Only [`Mode::Signed`] tokens may
//!   ever verify.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use jsonwebtoken::{Algorithm, EncodingKey};
use rappu_gateway::auth::{KeyRing, RevocationList, Tokens};

/// The `kid` of the fuzz key.
pub const KID: &str = "kfuzz";

/// The accounts the token service serves.
pub const ACCOUNTS: [&str; 2] = ["demo", "toinen"];

/// Seed of the key the service trusts. Public on purpose: it only ever signs fuzz inputs.
const TRUSTED_SEED: [u8; 32] = *b"rappu-fuzz-trusted-key-seed-0001";

/// Seed of a key the service does not know.
const FORGER_SEED: [u8; 32] = *b"rappu-fuzz-forger-key-seed-00001";

/// How an input becomes a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The rest is an `Authorization` header value.
    Header,
    /// The rest is a `Cookie` header value (no `Authorization`).
    Cookie,
    /// Header and claims signed with the trusted key (EdDSA).
    Signed,
    /// Header and claims with an empty signature (`alg: none` style).
    Unsigned,
    /// Signed with HS256, the trusted key's public bytes as the HMAC secret (algorithm
    /// confusion).
    HmacWithPublicKey,
    /// Signed with EdDSA by a key the service does not know.
    OtherKey,
}

impl Mode {
    /// Every mode, in the order of their selector bytes.
    pub const ALL: [Mode; 6] = [
        Mode::Header,
        Mode::Cookie,
        Mode::Signed,
        Mode::Unsigned,
        Mode::HmacWithPublicKey,
        Mode::OtherKey,
    ];

    /// The mode a selector byte names (every byte names one).
    pub fn from_byte(byte: u8) -> Self {
        Self::ALL[usize::from(byte) % Self::ALL.len()]
    }

    /// The selector byte of this mode.
    pub fn byte(self) -> u8 {
        Self::ALL
            .iter()
            .position(|m| *m == self)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(0)
    }

    /// A short name, for seed file names.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Header => "header",
            Mode::Cookie => "cookie",
            Mode::Signed => "signed",
            Mode::Unsigned => "unsigned",
            Mode::HmacWithPublicKey => "hs256_public_key",
            Mode::OtherKey => "other_key",
        }
    }
}

/// The token service and the keys the modes sign with.
pub struct Kit {
    /// The gateway's token service.
    pub tokens: Tokens,
    trusted: EncodingKey,
    public_as_secret: EncodingKey,
    forger: EncodingKey,
}

/// The kit, built once per process.
pub fn kit() -> &'static Kit {
    static KIT: OnceLock<Kit> = OnceLock::new();
    KIT.get_or_init(build)
}

fn pem(seed: &[u8; 32]) -> String {
    SigningKey::from_bytes(seed)
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap_or_else(|e| panic!("encoding the fuzz key: {e}"))
        .to_string()
}

fn build() -> Kit {
    // The key ring loads keys from a directory only; this one lives for the load.
    let dir = std::env::temp_dir().join(format!("rappu-fuzz-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let trusted_pem = pem(&TRUSTED_SEED);
    std::fs::write(dir.join(format!("{KID}.pem")), &trusted_pem)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let keys = KeyRing::load(&dir, None).unwrap_or_else(|e| panic!("loading the fuzz key: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = rappu_gateway::Settings::default().auth;
    let accounts = ACCOUNTS.iter().map(|a| (*a).to_owned()).collect();
    let tokens = Tokens::new(&settings, keys, accounts, RevocationList::default());
    let key = |pem: &str| {
        EncodingKey::from_ed_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("fuzz key: {e}"))
    };
    let public = SigningKey::from_bytes(&TRUSTED_SEED).verifying_key();
    Kit {
        tokens,
        trusted: key(&trusted_pem),
        public_as_secret: EncodingKey::from_secret(public.as_bytes()),
        forger: key(&pem(&FORGER_SEED)),
    }
}

impl Kit {
    /// The compact JWS of `header` and `claims` (any bytes), signed as `mode` says;
    /// `None` for [`Mode::Header`] and [`Mode::Cookie`], which carry no JSON.
    pub fn token(&self, mode: Mode, header: &[u8], claims: &[u8]) -> Option<String> {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let (key, algorithm) = match mode {
            Mode::Header | Mode::Cookie => return None,
            Mode::Unsigned => return Some(format!("{signing_input}.")),
            Mode::Signed => (&self.trusted, Algorithm::EdDSA),
            Mode::HmacWithPublicKey => (&self.public_as_secret, Algorithm::HS256),
            Mode::OtherKey => (&self.forger, Algorithm::EdDSA),
        };
        let signature = jsonwebtoken::crypto::sign(signing_input.as_bytes(), key, algorithm)
            .unwrap_or_else(|e| panic!("signing a fuzz token: {e}"));
        Some(format!("{signing_input}.{signature}"))
    }

    /// The verified principal of `token`, if the service accepts it.
    pub fn verify(&self, token: &str) -> Option<Arc<rappu_gateway::auth::Principal>> {
        self.tokens.verify(token).ok()
    }
}

/// Splits a JSON-mode payload into its header and claims at the first NUL byte (no NUL:
/// everything is the header and the claims are empty).
pub fn split_json(payload: &[u8]) -> (&[u8], &[u8]) {
    match payload.iter().position(|b| *b == 0) {
        Some(i) => (&payload[..i], &payload[i + 1..]),
        None => (payload, &[]),
    }
}

/// An input of `mode` carrying `payload`.
pub fn input(mode: Mode, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 1);
    bytes.push(mode.byte());
    bytes.extend_from_slice(payload);
    bytes
}
