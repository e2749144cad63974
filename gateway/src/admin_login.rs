//! The operator's console sign-in: `rappu admin-link` prints a one-time link
//! (`/console/login?code=...`, 15 minutes); the console posts the code to
//! `POST /api/v1/auth/admin-login` and gets an admin session in the same HttpOnly,
//! SameSite=Strict cookie as every other session, for 12 hours. The session is a normal
//! admin token (recorded, revocable, signed out by `POST /api/v1/auth/logout`), and
//! state-changing requests are guarded by the same CSRF check as the portal's.
//!
//! Kept apart from [`crate::sessions`] on purpose: the operator's sign-in will move to the
//! general sign-in (email links, OAuth) when that lands.

use std::time::Duration;

use crate::store::codes::CodeKind;

/// How long a console link works.
pub const LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a console session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// The link's kind, path and lifetime (for [`crate::sessions::create_link`]).
pub const LINK: (CodeKind, &str, Duration) = (CodeKind::AdminLogin, "/console/login", LINK_TTL);
