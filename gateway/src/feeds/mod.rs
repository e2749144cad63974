//! Display feeds: one upstream call per resource per change, however many displays poll.
//!
//! - [`privacy`]: the one rule for who may appear on a screen.
//! - [`resources`]: the data feeds are built from, read per account with single flight and
//!   invalidation that wins over fetches begun before it ([`crate::cache`]). Over Tampuuri
//!   itself the values are kept (TTL, stale-if-error; a notification that may concern a
//!   person redacts the kept copy); over the account mirror (production) only the reads in
//!   the air are ([`resources::Keep`]): the mirror is already a local copy.
//! - [`compact`]: what the cache keeps of Tampuuri's data: only what a display may show.
//! - [`assemble`]: the pure function from that data to a [`DisplayFeed`], where the privacy
//!   rules live.
//! - [`render`]: a feed serialized and gzipped once per version, with its strong ETag; only
//!   the gzipped bytes are kept, the JSON is inflated for a client without gzip and kept for
//!   the last few versions asked for that way ([`render::PlainBodies`]).
//! - [`slots`]: one slot per display scope (building, or building and staircase) holding the
//!   current rendered feed in a `watch` channel: requests read it, Server-Sent Events
//!   subscribe to it, rebuilds (single flight, stale-while-revalidate, generations) replace it.
//! - [`index`]: which buildings a Tampuuri object or party appears in, so a webhook
//!   invalidates exactly the affected resources. Recorded only where the resources are kept
//!   ([`resources::Keep::Values`]): over the account mirror the mirror says, and its fallback
//!   counts every built feed as concerned.
//!
//! [`DisplayFeed`]: rappu_shared::display::DisplayFeed

pub mod assemble;
pub mod compact;
pub mod index;
pub mod privacy;
pub mod render;
pub mod resources;
pub mod slots;

#[cfg(test)]
mod assemble_tests;
#[cfg(test)]
pub(crate) mod fake;
#[cfg(test)]
mod schedule_tests;
#[cfg(test)]
mod slots_tests;

pub use render::RenderedFeed;
pub use slots::{FeedError, FeedKey, FeedService};
