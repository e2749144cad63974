//! What Rappu's fuzz targets (`fuzz_targets/`) and the seed generator (`examples/seeds/`)
//! share: the layout of each target's input, so that generated seeds and the targets read
//! the same bytes the same way.
//!
//! - [`wire`]: which Tampuuri model a `tampuuri_decode` input is read as.
//! - [`tokens`]: the deterministic key ring and token service of `bearer_token`, and the
//!   modes its inputs select.
//! - [`photos`]: what `photo_strip` checks of a stripped image.

pub mod photos;
pub mod tokens;
pub mod wire;
