//! The Tampuuri v10 API: routes, headers, wire model and the typed client.

pub mod breaker;
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

/// The largest id Tampuuri can have. Its ids are running integers (vendor (seed)); their
/// width is not documented, so a signed 64-bit integer is *assumed*. An id above it names
/// nothing, and is answered as not found without a call.
pub const MAX_ID: u64 = i64::MAX as u64;

/// Whether `id` can name something in Tampuuri (see [`MAX_ID`]).
pub fn is_possible_id(id: u64) -> bool {
    id <= MAX_ID
}
