//! Types and validation rules shared by the Rappu gateway and its web app.
//!
//! Everything here is plain serde data: no tokio, no axum, so the same definitions compile
//! for the browser (wasm) and the server. With the `openapi` feature each type also derives
//! `utoipa::ToSchema`, which the gateway uses to document its API.
//!
//! - [`admin`]: operator views (usage, tokens).
//! - [`apps`]: third-party apps (registration, scopes, OAuth 2.0 token answers).
//! - [`problem`]: RFC 9457 problem details, the shape of every error the gateway returns.
//! - [`auth`]: the roles a token grants and what the caller learns about itself.
//! - [`display`]: the stairwell display feed.
//! - [`finnish_time`]: Finnish local time and dates (EET/EEST) without a tz database.
//! - [`health`]: liveness and readiness answers.
//! - [`pairing`]: pairing a display with a short code (RFC 8628's device flow as model).
//! - [`property`]: properties, buildings and staircases.
//! - [`report`]: fault reports and work orders, with their validation rules.
//! - [`session`]: display enrolment and resident sign-in.

pub mod admin;
pub mod apps;
pub mod auth;
pub mod console;
pub mod display;
pub mod finnish_time;
pub mod health;
pub mod pairing;
pub mod problem;
pub mod property;
pub mod report;
pub mod session;

pub use auth::{Grant, Me, Role};
pub use health::{Health, Readiness};
pub use problem::{FieldError, Problem};
pub use property::{Address, Building, Property, Staircase};
