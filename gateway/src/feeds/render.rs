//! A feed version, serialized and compressed once: every request for it only copies bytes.
//! (Serializing costs ~5 µs and gzip ~50 µs per response, several times the ~8 µs a cached
//! response costs in all; see `../shared/BASELINES.md`.)

use std::io::Write;

use axum::http::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use rappu_shared::display::DisplayFeed;
use tokio::time::Instant;

/// One version of a feed, ready to send.
#[derive(Debug)]
pub struct RenderedFeed {
    /// When this content was first assembled (the feed's `generated_at`).
    pub generated_at: DateTime<Utc>,
    /// Its JSON.
    pub body: Bytes,
    /// The JSON, gzipped.
    pub gzip: Bytes,
    /// Strong ETag of `body`, quoted.
    pub etag: HeaderValue,
    /// `Last-Modified` (= `generated_at`).
    pub last_modified: HeaderValue,
    /// Until when this version is fresh; afterwards the next reader triggers a rebuild.
    pub fresh_until: Instant,
    /// Monotonic time of the oldest upstream fetch it contains (for `Age`).
    pub oldest_fetch: Instant,
    /// The slot generation it was built at (see [`super::slots`]).
    pub generation: u64,
    /// Built from cached data right after a change notification (names it may concern
    /// removed) while the real rebuild runs: served, but a reader waits briefly for the
    /// rebuild first.
    pub provisional: bool,
}

/// Why a feed could not be rendered (serialization cannot fail for these types; kept
/// as an error rather than a panic all the same).
#[derive(Debug, thiserror::Error)]
#[error("cannot render the feed: {0}")]
pub struct RenderError(String);

impl RenderedFeed {
    /// Serializes and compresses `feed`.
    pub fn render(
        feed: &DisplayFeed,
        fresh_until: Instant,
        oldest_fetch: Instant,
    ) -> Result<Self, RenderError> {
        Self::render_body(
            serde_json::to_vec(feed).map_err(|e| RenderError(e.to_string()))?,
            feed.generated_at,
            fresh_until,
            oldest_fetch,
        )
    }

    /// Compresses `body`, the JSON of a feed generated at `generated_at`.
    pub fn render_body(
        body: Vec<u8>,
        generated_at: DateTime<Utc>,
        fresh_until: Instant,
        oldest_fetch: Instant,
    ) -> Result<Self, RenderError> {
        let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::new(6));
        encoder
            .write_all(&body)
            .map_err(|e| RenderError(e.to_string()))?;
        let gzip = encoder.finish().map_err(|e| RenderError(e.to_string()))?;
        let etag =
            HeaderValue::from_str(&etag_of(&body)).map_err(|e| RenderError(e.to_string()))?;
        let last_modified =
            HeaderValue::from_str(&generated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
                .map_err(|e| RenderError(e.to_string()))?;
        // A version lives as long as it is current (10,000 buildings: 10,000 of each), so
        // each keeps only its bytes: `Bytes::from(Vec)` would keep the vector's spare
        // capacity too (serde_json and the encoder grow by doubling: ~a third wasted).
        Ok(Self {
            generated_at,
            body: Bytes::from(body.into_boxed_slice()),
            gzip: Bytes::from(gzip.into_boxed_slice()),
            etag,
            last_modified,
            fresh_until,
            oldest_fetch,
            generation: 0,
            provisional: false,
        })
    }

    /// The same content with new freshness (same bytes, same ETag).
    pub fn refreshed(&self, fresh_until: Instant, oldest_fetch: Instant) -> Self {
        Self {
            generated_at: self.generated_at,
            body: self.body.clone(),
            gzip: self.gzip.clone(),
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
            fresh_until,
            oldest_fetch,
            generation: self.generation,
            provisional: self.provisional,
        }
    }

    /// Whether an `If-None-Match` value matches this version (weak comparison, RFC 9110
    /// 13.1.2: `W/` prefixes are ignored, `*` matches).
    pub fn matches(&self, if_none_match: &[u8]) -> bool {
        let ours = self.etag.as_bytes();
        if_none_match.split(|b| *b == b',').any(|tag| {
            let tag = tag.trim_ascii();
            let tag = tag.strip_prefix(b"W/").unwrap_or(tag);
            tag == b"*" || tag == ours
        })
    }
}

/// A strong validator for `body`: the first 128 bits of its SHA-256, so the same bytes get
/// the same ETag across restarts, instances and versions of Rappu.
pub fn etag_of(body: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_stable_and_differ_by_content() {
        assert_eq!(etag_of(b"abc"), etag_of(b"abc"));
        assert_ne!(etag_of(b"abc"), etag_of(b"abd"));
        assert_eq!(etag_of(b"abc").len(), 34);
    }
}
