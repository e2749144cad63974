//! Minting and verifying Rappu's access tokens.
//!
//! A token is a JWT with `typ: at+jwt` (RFC 9068), signed with EdDSA (Ed25519) by a key
//! named in `kid`. Verification pins the algorithm (never the token's choice), requires a
//! known `kid`, checks `iss`, `aud`, `exp` and `nbf` with a small leeway, requires `jti`,
//! and refuses revoked ids.
//!
//! Verifying an Ed25519 signature costs ~45 µs, five times a whole cached response, and a
//! display polls with the same token all day. So a verified token is remembered (keyed by
//! the exact token string, until its `exp`); revocation is checked on every use (a lookup
//! in the revocation list only when that list has changed since the token was last found
//! not revoked).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use rappu_shared::Grant;
use serde::{Deserialize, Serialize};

use super::keys::KeyRing;
use super::revocation::RevocationList;
use crate::coarse::CoarseClock;
use crate::config::AuthSettings;
use crate::metrics::{TokenMetrics, TokenOutcome};

/// The JOSE `typ` of Rappu's access tokens.
pub const TOKEN_TYPE: &str = "at+jwt";

/// The claims of a Rappu access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Subject: who the token was issued to (a display's name, a resident's id, ...).
    pub sub: String,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Not valid before (unix seconds).
    pub nbf: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
    /// Token id, for revocation.
    pub jti: String,
    /// The Tampuuri account the token may reach.
    pub acct: String,
    /// Role and scope, flattened: `"role": "display", "building": 1`.
    #[serde(flatten)]
    pub grant: Grant,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// When the token was last used (the [`Tokens`] clock's seconds); not part of who the
    /// caller is.
    pub last_used: LastUsed,
    /// `sub`.
    pub subject: String,
    /// `acct`.
    pub account: String,
    /// Role and scope.
    pub grant: Grant,
    /// `jti` (shared: it keys rate limits and revocation checks on every request).
    pub token_id: Arc<str>,
    /// `exp`.
    pub expires_at: DateTime<Utc>,
}

/// When a token was last used, in the coarse seconds of [`Tokens::tick`].
pub use crate::coarse::LastUsed;

/// Why a token was refused. The messages are safe to show the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, or its parts do not decode.
    #[error("the token is malformed")]
    Malformed,
    /// `typ` is not `at+jwt`.
    #[error("the token is not a Rappu access token (typ)")]
    WrongType,
    /// `alg` is not the pinned algorithm.
    #[error("the token's algorithm is not accepted")]
    WrongAlgorithm,
    /// `kid` is missing or unknown.
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `aud` is not ours.
    #[error("the token is for another audience")]
    WrongAudience,
    /// `iss` is not ours.
    #[error("the token is from another issuer")]
    WrongIssuer,
    /// A required claim is missing or has the wrong type.
    #[error("the token's claims are invalid")]
    BadClaims,
    /// `acct` names an account this gateway does not serve.
    #[error("the token's account is not served here")]
    UnknownAccount,
    /// The token was revoked.
    #[error("the token has been revoked")]
    Revoked,
    /// A resident session whose holder no longer lives in the apartment (moved out).
    #[error("the session has ended: its holder no longer lives in the apartment; sign in again")]
    NoLongerResident,
    /// No private key is available to sign.
    #[error("no signing key is available")]
    NoSigningKey,
}

/// What to put in a new token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `sub`.
    pub subject: String,
    /// `acct`.
    pub account: String,
    /// Role and scope.
    pub grant: Grant,
    /// Lifetime from now.
    pub ttl: Duration,
}

/// A freshly minted token.
#[derive(Debug, Clone)]
pub struct MintedToken {
    /// The JWT.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

/// Mints and verifies tokens.
pub struct Tokens {
    /// Swapped whole when the published keys change ([`Tokens::apply_shared_keys`]).
    keys: RwLock<Arc<KeyRing>>,
    issuer: String,
    audience: String,
    validation: Validation,
    accounts: Vec<String>,
    revoked: RevocationList,
    /// Keyed by the token's signature ([`cache_key`]), hashed with a fast hasher (seeded
    /// per process; only tokens that verified are ever inserted). `quick_cache` rather than
    /// `moka`: ~0.3 KB less an entry (3 MB with 10,000 displays, README "Memory (part 3)");
    /// an entry past its `exp` is refused when hit and purged once a minute ([`Tokens::tick`]).
    verified: VerifiedCache,
    /// The clock's second of the last purge of expired entries.
    purged_at: AtomicU32,
    /// Seeds the tag of the whole token kept in each [`Remembered`] (random per process).
    whole_token: foldhash::quality::RandomState,
    /// Advanced after a kid stopped verifying (the new keys are in place by then).
    key_generation: AtomicU64,
    metrics: TokenMetrics,
    /// Advanced by [`Tokens::tick`], so a verification never reads the time to stamp its
    /// token.
    clock: CoarseClock,
}

/// A verified token's principal, and the revocation list's version when the token was
/// last found not revoked.
#[derive(Debug, Clone)]
struct Remembered {
    principal: Arc<Principal>,
    revocations: u64,
    /// [`Tokens::key_generation`] when it was verified: a cached verification from before
    /// a key was retired is verified again.
    keys: u64,
    /// The whole token's tag ([`Tokens::tag`]): a hit by signature counts only for the
    /// token that was verified, not one whose header or payload was changed around it.
    whole: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("keys", &self.keys)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// What the verified-token cache keys a token by: its signature, the part after the last
/// dot (86 characters for Ed25519, where the whole display token is ~450).
///
/// A hit also needs a 64-bit tag of the whole token (foldhash, seeded per process) to match
/// the one remembered, so a token whose header or payload was changed around a cached
/// signature is verified in full, and refused. The tag is not a MAC and need not be one: a
/// changed token that collided would still get only the principal its signature was made
/// for, never anything read from the changed parts, and that signature is as secret as the
/// token it came from. (SipHash as the tag cost ~1,200 instructions a request, 5 % of a
/// cached poll, for no gain in what a collision could reach.) Something with no dot is its
/// own key: it fails verification and is never inserted.
fn cache_key(token: &str) -> &str {
    token
        .rsplit_once('.')
        .map_or(token, |(_, signature)| signature)
}

type VerifiedCache = quick_cache::sync::Cache<
    Arc<str>,
    Remembered,
    quick_cache::UnitWeighter,
    foldhash::fast::RandomState,
>;

/// Verified tokens remembered at most (the least used go first).
const VERIFIED_CAPACITY: usize = 100_000;

/// How often entries past their `exp` are purged, in seconds of the clock.
const PURGE_EVERY_SECS: u32 = 60;

impl Tokens {
    /// Tokens for `accounts`, verified with `keys`, checked against `revoked`.
    pub fn new(
        settings: &AuthSettings,
        keys: KeyRing,
        accounts: Vec<String>,
        revoked: RevocationList,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.leeway = settings.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_audience(&[&settings.audience]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self {
            keys: RwLock::new(Arc::new(keys)),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            validation,
            accounts,
            revoked,
            verified: quick_cache::sync::Cache::with(
                VERIFIED_CAPACITY,
                VERIFIED_CAPACITY as u64,
                quick_cache::UnitWeighter,
                foldhash::fast::RandomState::default(),
                quick_cache::sync::DefaultLifecycle::default(),
            ),
            purged_at: AtomicU32::new(0),
            whole_token: foldhash::quality::RandomState::default(),
            key_generation: AtomicU64::new(0),
            metrics: TokenMetrics::detached(),
            clock: CoarseClock::default(),
        }
    }

    /// Counts verifications in `metrics`.
    pub fn with_metrics(mut self, metrics: TokenMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Advances the clock tokens are stamped with when used (once a second).
    /// Once a minute it also forgets the verified tokens past their `exp`.
    pub fn tick(&self) {
        let secs = self.clock.tick();
        let purged = self.purged_at.load(Ordering::Relaxed);
        if secs.saturating_sub(purged) >= PURGE_EVERY_SECS
            && self
                .purged_at
                .compare_exchange(purged, secs, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.purge_expired();
        }
    }

    /// Forgets every verified token past its `exp` (a hit on one is refused anyway).
    pub fn purge_expired(&self) {
        let now = Utc::now();
        self.verified
            .retain(|_, remembered| remembered.principal.expires_at > now);
    }

    /// Verified tokens remembered.
    pub fn remembered(&self) -> usize {
        self.verified.len()
    }

    /// Counts a request whose credentials are not even a bearer token.
    pub fn record_malformed(&self) {
        self.metrics.record(TokenOutcome::Malformed);
    }

    /// Who used a valid token within `window`: `(account, subject, grant, seconds ago)`,
    /// the most recent use per account, subject and role. Read from the verified-token
    /// cache.
    pub fn recently_used(&self, window: Duration) -> Vec<(String, String, Grant, u64)> {
        let now = self.clock.now();
        let window = u32::try_from(window.as_secs()).unwrap_or(u32::MAX);
        type Who = (String, String, rappu_shared::Role);
        let mut latest: std::collections::HashMap<Who, (Grant, u32)> =
            std::collections::HashMap::new();
        for (_, remembered) in self.verified.iter() {
            let p = &remembered.principal;
            let used = p.last_used.get();
            if now.saturating_sub(used) > window {
                continue;
            }
            let entry = latest
                .entry((p.account.clone(), p.subject.clone(), p.grant.role()))
                .or_insert_with(|| (p.grant.clone(), used));
            if used >= entry.1 {
                *entry = (p.grant.clone(), used);
            }
        }
        latest
            .into_iter()
            .map(|((account, subject, _), (grant, used))| {
                (account, subject, grant, u64::from(now.saturating_sub(used)))
            })
            .collect()
    }

    /// Distinct displays (by account and subject) that used their token within `window`.
    pub fn displays_seen(&self, window: Duration) -> usize {
        self.recently_used(window)
            .iter()
            .filter(|(_, _, grant, _)| matches!(grant, Grant::Display { .. }))
            .count()
    }

    /// The revocation list checked on every verification.
    pub fn revocations(&self) -> &RevocationList {
        &self.revoked
    }

    /// The keys in use.
    pub fn keys(&self) -> Arc<KeyRing> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Takes the keys every replica published ([`crate::store::signing_keys`]): published
    /// keys verify here too, retired ones neither verify nor sign. When a kid stops
    /// verifying, every token remembered as verified is forgotten, so a token signed with
    /// a retired key is refused from its next use. Whether the keys that verify changed.
    pub fn apply_shared_keys(&self, shared: &[crate::store::signing_keys::SharedKey]) -> bool {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        let next = keys.with_shared(shared);
        let before: Vec<&str> = keys.kids().collect();
        let after: Vec<&str> = next.kids().collect();
        let changed = before != after;
        let lost = before.iter().any(|kid| !after.contains(kid));
        let signing_changed =
            keys.signing().map(|(kid, _)| kid) != next.signing().map(|(kid, _)| kid);
        if changed || signing_changed {
            tracing::info!(
                verifying = ?after,
                signing = next.signing().map(|(kid, _)| kid),
                "signing keys changed"
            );
        }
        *keys = Arc::new(next);
        drop(keys);
        if lost {
            // A cached verification does not look at the key again: every one remembered
            // before this (or by a verification that read the old keys) is verified anew.
            self.key_generation.fetch_add(1, Ordering::AcqRel);
            self.verified.clear();
        }
        changed
    }

    /// Signs a new token.
    pub fn mint(&self, request: TokenRequest) -> Result<MintedToken, TokenError> {
        let keys = self.keys();
        let (kid, key) = keys.signing().ok_or(TokenError::NoSigningKey)?;
        if !self.accounts.contains(&request.account) {
            return Err(TokenError::UnknownAccount);
        }
        let now = Utc::now().timestamp();
        let ttl = i64::try_from(request.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: request.subject,
            iat: now,
            nbf: now,
            exp: now.saturating_add(ttl),
            jti: uuid::Uuid::now_v7().to_string(),
            acct: request.account,
            grant: request.grant,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYPE.into());
        header.kid = Some(kid.to_owned());
        let token = jsonwebtoken::encode(&header, &claims, key).map_err(|e| {
            tracing::error!(error = %e, "signing a token failed");
            TokenError::NoSigningKey
        })?;
        Ok(MintedToken { token, claims })
    }

    /// Verifies `token` and returns who it speaks for.
    pub fn verify(&self, token: &str) -> Result<Arc<Principal>, TokenError> {
        // Read before any revocation check: a revocation added after this is seen next time.
        let revocations = self.revoked.version();
        // Read before the keys: a key retired after this is seen next time.
        let generation = self.key_generation.load(Ordering::Acquire);
        let key = cache_key(token);
        let whole = self.tag(token);
        if let Some(hit) = self.verified.get(key)
            && hit.keys == generation
            && hit.whole == whole
        {
            if hit.principal.expires_at <= Utc::now() {
                self.verified.remove(key);
                self.metrics.record(TokenOutcome::Expired);
                return Err(TokenError::Expired);
            }
            if hit.revocations != revocations {
                if self.revoked.contains(&hit.principal.token_id) {
                    self.verified.remove(key);
                    self.metrics.record(TokenOutcome::Revoked);
                    return Err(TokenError::Revoked);
                }
                self.remember(key, whole, &hit.principal, revocations, generation);
            }
            self.metrics.record(TokenOutcome::Cached);
            hit.principal.last_used.touch(self.clock.now());
            return Ok(hit.principal);
        }
        let principal = match self.verify_uncached(token) {
            Ok(principal) => Arc::new(principal),
            Err(e) => {
                self.metrics.record(outcome_of(&e));
                return Err(e);
            }
        };
        self.metrics.record(TokenOutcome::Verified);
        principal.last_used.touch(self.clock.now());
        self.remember(key, whole, &principal, revocations, generation);
        Ok(principal)
    }

    fn remember(
        &self,
        key: &str,
        whole: u64,
        principal: &Arc<Principal>,
        revocations: u64,
        keys: u64,
    ) {
        let remembered = Remembered {
            principal: Arc::clone(principal),
            revocations,
            keys,
            whole,
        };
        self.verified.insert(Arc::from(key), remembered);
    }

    /// The whole token's tag ([`cache_key`] says why a fast hash will do).
    fn tag(&self, token: &str) -> u64 {
        use std::hash::BuildHasher;
        self.whole_token.hash_one(token)
    }

    fn verify_uncached(&self, token: &str) -> Result<Principal, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        // RFC 7515 §4.1.11: an extension named critical must be understood, and Rappu
        // understands none.
        if header.crit.is_some() {
            return Err(TokenError::Malformed);
        }
        if header.typ.as_deref() != Some(TOKEN_TYPE) {
            return Err(TokenError::WrongType);
        }
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::WrongAlgorithm);
        }
        let keys = self.keys();
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| keys.verifying(kid))
            .ok_or(TokenError::UnknownKey)?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|e| map_error(e.kind()))?;
        let claims = data.claims;
        if !self.accounts.contains(&claims.acct) {
            return Err(TokenError::UnknownAccount);
        }
        if claims.jti.is_empty() {
            return Err(TokenError::BadClaims);
        }
        if self.revoked.contains(&claims.jti) {
            return Err(TokenError::Revoked);
        }
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::BadClaims)?;
        Ok(Principal {
            last_used: LastUsed::default(),
            subject: claims.sub,
            account: claims.acct,
            grant: claims.grant,
            token_id: Arc::from(claims.jti),
            expires_at,
        })
    }
}

/// The metric outcome of a refusal.
fn outcome_of(e: &TokenError) -> TokenOutcome {
    match e {
        TokenError::Malformed => TokenOutcome::Malformed,
        TokenError::Expired => TokenOutcome::Expired,
        // A resident session Rappu ended on the move-out: revoked, as far as counting goes.
        TokenError::Revoked | TokenError::NoLongerResident => TokenOutcome::Revoked,
        TokenError::WrongType
        | TokenError::WrongAlgorithm
        | TokenError::UnknownKey
        | TokenError::BadSignature => TokenOutcome::BadSignature,
        TokenError::NotYetValid
        | TokenError::WrongAudience
        | TokenError::WrongIssuer
        | TokenError::BadClaims
        | TokenError::UnknownAccount
        | TokenError::NoSigningKey => TokenOutcome::BadClaims,
    }
}

fn map_error(kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::InvalidAudience => TokenError::WrongAudience,
        ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => TokenError::WrongAlgorithm,
        ErrorKind::MissingRequiredClaim(_)
        | ErrorKind::Json(_)
        | ErrorKind::InvalidClaimFormat(_) => TokenError::BadClaims,
        _ => TokenError::Malformed,
    }
}
