//! The Tampuuri v10 API: routes, headers, wire model and the typed client.

pub mod client;
pub mod error;
pub mod headers;
pub mod model;
pub mod paging;
pub mod report_body;
pub mod retry;
pub mod routes;
pub mod stats;
pub mod time;
mod typed;
pub mod wire;

#[cfg(test)]
mod decode_tests;

pub use client::{ClientBuildError, Tampuuri, TampuuriClient};
pub use error::UpstreamError;
