//! Third-party apps (OAuth 2.0 clients) and their calls.
