//! Rappu's gateway: the `rappu` binary's library.
//!
//! Dependencies point inward: HTTP handlers call services, services call the upstream
//! client and the store; nothing below the HTTP layer knows about HTTP requests.
//!
//! - [`cli`], [`commands`]: the command line (`serve`, `sim`, `token`, `keys`, ...).
//! - [`config`]: layered, validated settings; secrets wrapped.
//! - [`startup`]: building the application and running it with graceful shutdown.
//! - [`state`]: what handlers share.
//! - [`http`]: routing, middleware, problem+json, OpenAPI, the web app, the display feed's
//!   own lane in front of the router ([`http::lane`]); handlers in [`routes`].
//! - [`auth`]: keys, tokens, revocation, extractors per role.
//! - [`upstream`]: the typed Tampuuri client (headers, paging, retries, counting).
//! - [`property`]: properties and buildings shaped for Rappu's API.
//! - [`cache`]: the single-flight cache in which a change notification always wins over
//!   a fetch begun before it (feeds, report views, work orders).
//! - [`feeds`]: display feeds: resource cache, privacy rules, rendering, live slots.
//! - [`webhooks`]: Tampuuri webhooks in: dedupe, record, invalidate.
//! - [`sessions`]: one-time links and HttpOnly session cookies for displays and residents.
//! - [`admin_login`]: the operator's console sign-in (`rappu admin-link`).
//! - [`signin`]: residents sign in with their email address (a one-time link by mail).
//! - [`apps`]: third-party apps with OAuth 2.0 client credentials, scoped to buildings.
//! - [`places`]: an object's building and property, from the mirror's registry (cached).
//! - [`pairing`]: displays paired with a short code (RFC 8628's device flow), caretaker
//!   links, paired displays' renewing sessions.
//! - [`contacts`]: the phone Tampuuri has for a resident, cached.
//! - [`store`]: SQLite by default or PostgreSQL for several replicas (tokens, usage, webhook
//!   notifications, the report outbox, displays, apps), one query API over both.
//! - [`reports`]: resident fault reports, their durable outbox and exactly-once delivery.
//! - [`work_orders`]: the maintenance partner's view and transitions of its reports.
//! - [`usage`], [`pricing`]: upstream call counting and what it costs.
//! - [`verify`]: `rappu verify-upstream`, the go-live check of a Tampuuri account.
//! - [`embedded`], [`demo`]: demo mode with the in-process simulator.
//! - [`metrics`]: Prometheus metrics on their own listener (the month against the budget
//!   guard's [`usage::Budget`], the mirror's health).
//! - [`error`], [`telemetry`].

pub mod admin_login;
pub mod apps;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod coarse;
pub mod commands;
pub mod config;
pub mod contacts;
pub mod demo;
pub mod embedded;
pub mod error;
pub mod feeds;
pub mod http;
pub mod metrics;
pub mod mirror;
pub mod pairing;
pub mod places;
pub mod plan;
pub mod pricing;
pub mod property;
pub mod reports;
pub mod routes;
pub mod runtime;
pub mod sessions;
pub mod signin;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod upstream;
pub mod usage;
pub mod verify;
pub mod webhooks;
pub mod work_orders;

pub use config::Settings;
pub use startup::Application;
