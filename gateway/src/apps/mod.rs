//! Third-party apps: OAuth 2.0 client credentials (RFC 6749 §4.4).

pub mod settings;
