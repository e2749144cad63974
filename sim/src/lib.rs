//! `rappu-sim`: a Tampuuri v10 API simulator, served over real HTTP. It is the upstream
//! the gateway talks to when no real Tampuuri is configured, and the test double of every
//! integration test. The wire contract is `sim/README.md`.
//!
//! Module map:
//!
//! - [`config`] — [`SimConfig`]: key, customer, accounts, webhook timing.
//! - [`data`] — deterministic Finnish data generation from a seed (names, the object
//!   tree, residents, announcements, fault reports).
//! - [`model`], [`report`] — the Tampuuri wire types.
//! - [`world`] — one account's data set: lookups, `selaa` searches, the fault-report
//!   lifecycle, admin changes, summaries and snapshots.
//! - [`simulator`] — [`Simulator`]: accounts behind locks, counter, faults, webhooks.
//! - `routes` — the HTTP surface: the gate (auth, counting, faults), the Tampuuri routes
//!   and the `/_sim/` admin routes.
//! - [`dialect`], [`codes`] — the ways an account writes its JSON (paging shape, enums as
//!   names or numbers, sparse rows, timestamp styles, ...) and the numeric enum codes;
//!   `wire` renders every answer in the caller's dialect.
//! - [`auth`], [`paging`], [`extract`], [`error`] — request handling pieces.
//! - [`counter`], [`faults`], [`webhooks`] — call counting, fault switches, webhook
//!   delivery with retries.
//! - [`server`] — [`serve`] and [`RunningSim`].
//! - [`time`] — Finnish local time.

pub mod auth;
pub mod codes;
pub mod config;
pub mod counter;
pub mod data;
pub mod dialect;
pub mod error;
pub mod extract;
pub mod faults;
pub mod model;
pub mod paging;
pub mod report;
mod routes;
pub mod server;
pub mod simulator;
pub mod time;
pub mod webhooks;
mod wire;
pub mod world;

pub use config::{AccountSpec, SimConfig, WebhookConfig};
pub use counter::{CallCounts, REJECTED};
pub use dialect::Dialect;
pub use faults::Faults;
pub use paging::{MAX_LIMIT, Page, PageMetadata};
pub use routes::{ADMIN_BASE, API_BASE};
pub use server::{RunningSim, serve};
pub use simulator::Simulator;
pub use webhooks::{
    Bundle, Delivery, Notification, RegisteredListener, WebhookHeader, WebhookListener,
};
pub use wire::{format_date, format_timestamp};
pub use world::{AccountSummary, ResidentExample, Snapshot};
