//! Rappu's API tests: the gateway and the simulator over real HTTP on random loopback
//! ports, SQLite on disk. One test binary (see STYLE.md).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod apps;
mod apps_support;
mod auth;
mod client;
mod console;
mod dialects;
mod display;
mod economy;
mod fault_reports;
mod helpers;
mod metrics;
mod mirror_sweep;
mod openapi;
mod ops_files;
mod outbox;
mod pairing;
mod pairing_sessions;
mod pg;
mod photos;
mod privacy;
mod problems;
mod proxies;
mod replicas;
mod report_freshness;
mod report_support;
mod resident_extras;
mod server;
mod sessions;
mod signin;
mod signin_support;
mod store_suite;
mod upstream_protection;
mod verify;
mod work_orders;
