//! Authentication and authorization.
//!
//! - [`keys`]: the Ed25519 key ring (rotation by `kid`).
//! - [`jwt`]: minting and verifying access tokens, with a verified-token cache.
//! - [`revocation`]: revoked token ids, persisted and mirrored in memory.
//! - [`extract`]: axum extractors that turn a request into a checked caller of one role;
//!   [`app_caller`]: a third-party app and what its scopes cover.

pub mod app_caller;
pub mod extract;
pub mod jwt;
pub mod keys;
pub mod revocation;

pub use app_caller::AppCaller;
pub use extract::{AdminCaller, Caller, DisplayCaller, PartnerCaller, ResidentCaller};
pub use jwt::{MintedToken, Principal, TokenError, TokenRequest, Tokens};
pub use keys::KeyRing;
pub use revocation::RevocationList;
