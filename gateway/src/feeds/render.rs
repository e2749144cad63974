//! A feed version, serialized and compressed once: every request for it only copies bytes.
//! (Serializing costs ~5 µs and gzip ~50 µs per response, several times the ~8 µs a cached
//! response costs in all; see `../shared/BASELINES.md`.)
//!
//! Only the gzipped bytes are kept per version (840 bytes for a typical 2,060-byte feed):
//! displays and browsers send `Accept-Encoding: gzip`. A client without gzip gets the JSON
//! inflated once per version and kept in the version itself for as long as [`PlainBodies`]
//! counts it among the last few asked for, so such a client costs no inflate per request
//! and 10,000 feeds do not keep their JSON twice.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, Weak};

use axum::http::HeaderValue;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rappu_shared::display::DisplayFeed;
use tokio::time::Instant;

/// One version of a feed, ready to send.
#[derive(Debug)]
pub struct RenderedFeed {
    /// When this content was first assembled (the feed's `generated_at`).
    pub generated_at: DateTime<Utc>,
    /// The feed's `data_as_of`.
    pub data_as_of: DateTime<Utc>,
    /// The feed's `stale`.
    pub stale: bool,
    /// The JSON, gzipped: the one copy of the content kept.
    pub gzip: Bytes,
    /// The JSON while [`PlainBodies`] keeps it (see the module doc).
    plain: Mutex<Option<Bytes>>,
    /// Strong ETag of the JSON, quoted.
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
            &serde_json::to_vec(feed).map_err(|e| RenderError(e.to_string()))?,
            (feed.generated_at, feed.data_as_of, feed.stale),
            fresh_until,
            oldest_fetch,
        )
    }

    /// Compresses `body`, the JSON of a feed with these `generated_at`, `data_as_of` and
    /// `stale`.
    pub fn render_body(
        body: &[u8],
        (generated_at, data_as_of, stale): (DateTime<Utc>, DateTime<Utc>, bool),
        fresh_until: Instant,
        oldest_fetch: Instant,
    ) -> Result<Self, RenderError> {
        let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::new(6));
        encoder
            .write_all(body)
            .map_err(|e| RenderError(e.to_string()))?;
        let gzip = encoder.finish().map_err(|e| RenderError(e.to_string()))?;
        let etag = etag_of(body);
        let last_modified = generated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        // A version lives as long as it is current (10,000 buildings: 10,000 of each), so
        // its bytes, ETag and date share one allocation of their size (one block and one
        // reference count where three headers and bodies took six, ~150 bytes a version):
        // `Bytes::from(Vec)` would keep the vector's spare capacity (the encoder grows by
        // doubling), and so would `into_boxed_slice`, whose shrinking `realloc` mimalloc
        // answers with the same block when at most half of it would be spare.
        let mut one = BytesMut::with_capacity(gzip.len() + etag.len() + last_modified.len());
        one.extend_from_slice(&gzip);
        one.extend_from_slice(etag.as_bytes());
        one.extend_from_slice(last_modified.as_bytes());
        let one = one.freeze();
        let (gzip_end, etag_end) = (gzip.len(), gzip.len() + etag.len());
        let header = |bytes: Bytes| {
            HeaderValue::from_maybe_shared(bytes).map_err(|e| RenderError(e.to_string()))
        };
        let etag = header(one.slice(gzip_end..etag_end))?;
        let last_modified = header(one.slice(etag_end..))?;
        Ok(Self {
            generated_at,
            data_as_of,
            stale,
            gzip: one.slice(..gzip_end),
            plain: Mutex::new(None),
            etag,
            last_modified,
            fresh_until,
            oldest_fetch,
            generation: 0,
            provisional: false,
        })
    }

    /// The same content with new freshness (same bytes, same ETag). The plain JSON is not
    /// carried over: [`PlainBodies`] counts versions, and this one is not counted yet.
    pub fn refreshed(&self, fresh_until: Instant, oldest_fetch: Instant) -> Self {
        Self {
            generated_at: self.generated_at,
            data_as_of: self.data_as_of,
            stale: self.stale,
            gzip: self.gzip.clone(),
            plain: Mutex::new(None),
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
            fresh_until,
            oldest_fetch,
            generation: self.generation,
            provisional: self.provisional,
        }
    }

    /// The JSON: the copy kept for clients without gzip if there is one, else inflated
    /// from the gzipped bytes (and not kept: see [`PlainBodies::body`] for that).
    pub fn json(&self) -> Result<Bytes, RenderError> {
        if let Some(plain) = self.kept_plain() {
            return Ok(plain);
        }
        self.inflate()
    }

    fn kept_plain(&self) -> Option<Bytes> {
        self.plain.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn inflate(&self) -> Result<Bytes, RenderError> {
        // The JSON is about 2.5 times its gzip: one allocation for most feeds.
        let mut json = Vec::with_capacity(self.gzip.len().saturating_mul(3));
        GzDecoder::new(&self.gzip[..])
            .read_to_end(&mut json)
            .map_err(|e| RenderError(e.to_string()))?;
        Ok(Bytes::from(json))
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

/// Which versions keep their plain JSON: the last [`PlainBodies::CAPACITY`] asked for by a
/// client without gzip. A version counted out gives its copy up (the next such request
/// inflates it again); a version replaced drops its copy with itself.
#[derive(Default)]
pub struct PlainBodies {
    kept: Mutex<VecDeque<Weak<RenderedFeed>>>,
}

impl PlainBodies {
    /// Versions that keep their plain JSON at a time (~2 KB each).
    pub const CAPACITY: usize = 512;

    /// The JSON of `feed` for a client without gzip: kept after the first request, until
    /// [`Self::CAPACITY`] other versions have been asked for since.
    pub fn body(&self, feed: &Arc<RenderedFeed>) -> Result<Bytes, RenderError> {
        if let Some(plain) = feed.kept_plain() {
            return Ok(plain);
        }
        let json = feed.inflate()?;
        {
            let mut plain = feed.plain.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(other) = plain.as_ref() {
                // Another request inflated it meanwhile (and counted it).
                return Ok(other.clone());
            }
            *plain = Some(json.clone());
        }
        let evicted = {
            let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.push_back(Arc::downgrade(feed));
            if kept.len() > Self::CAPACITY {
                kept.pop_front()
            } else {
                None
            }
        };
        // Outside the list's lock: a version's own lock is never taken inside it.
        if let Some(old) = evicted.and_then(|w| w.upgrade()) {
            old.plain.lock().unwrap_or_else(|p| p.into_inner()).take();
        }
        Ok(json)
    }

    /// How many versions keep their plain JSON now.
    pub fn kept(&self) -> usize {
        let counted: Vec<Arc<RenderedFeed>> = self
            .kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        counted.iter().filter(|f| f.kept_plain().is_some()).count()
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

    fn feed(n: usize) -> Arc<RenderedFeed> {
        let json = json_of(n);
        let now = Instant::now();
        let at = Utc::now();
        let mut rendered =
            RenderedFeed::render_body(json.as_bytes(), (at, at, false), now, now).expect("renders");
        rendered.generation = n as u64;
        Arc::new(rendered)
    }

    fn json_of(n: usize) -> String {
        format!("{{\"n\":{n},\"pad\":\"{}\"}}", "x".repeat(n % 97))
    }

    #[test]
    fn only_the_gzipped_bytes_are_kept_and_they_inflate_to_the_json() {
        let f = feed(5);
        assert!(f.kept_plain().is_none());
        assert_eq!(&f.json().expect("inflates")[..], json_of(5).as_bytes());
        assert!(f.kept_plain().is_none(), "json() alone keeps nothing");
        assert_eq!(f.etag.as_bytes(), etag_of(json_of(5).as_bytes()).as_bytes());
        assert_eq!(
            f.last_modified.to_str().expect("ASCII"),
            f.generated_at
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        );
        // One block: the ETag right after the gzipped bytes, the date right after it.
        let gzip_end = f.gzip.as_ptr_range().end;
        assert_eq!(f.etag.as_bytes().as_ptr(), gzip_end);
        assert_eq!(
            f.last_modified.as_bytes().as_ptr(),
            f.etag.as_bytes().as_ptr_range().end
        );
    }

    #[test]
    fn plain_bodies_are_kept_for_the_last_versions_asked_for_only() {
        let plain = PlainBodies::default();
        let first = feed(0);
        let body = plain.body(&first).expect("inflates");
        assert_eq!(&body[..], json_of(0).as_bytes());
        // Asked again: the same bytes, not inflated again.
        assert_eq!(plain.body(&first).expect("kept").as_ptr(), body.as_ptr());
        let others: Vec<_> = (1..=PlainBodies::CAPACITY + 10).map(feed).collect();
        for (i, f) in others.iter().enumerate() {
            assert_eq!(
                &plain.body(f).expect("inflates")[..],
                json_of(i + 1).as_bytes()
            );
            assert!(plain.kept() <= PlainBodies::CAPACITY);
        }
        assert_eq!(plain.kept(), PlainBodies::CAPACITY);
        assert!(
            first.kept_plain().is_none(),
            "counted out, its copy given up"
        );
        assert!(others[..10].iter().all(|f| f.kept_plain().is_none()));
        assert!(others[10..].iter().all(|f| f.kept_plain().is_some()));
        // Asked for again, it comes back right.
        assert_eq!(
            &plain.body(&first).expect("inflates")[..],
            json_of(0).as_bytes()
        );
        // A version dropped takes its copy with it.
        drop(others);
        assert_eq!(plain.kept(), 1);
    }

    #[test]
    fn a_refreshed_version_keeps_the_same_bytes_but_no_plain_copy() {
        let plain = PlainBodies::default();
        let f = feed(3);
        plain.body(&f).expect("inflates");
        let now = Instant::now();
        let again = f.refreshed(now, now);
        assert_eq!(again.gzip.as_ptr(), f.gzip.as_ptr());
        assert_eq!(again.etag, f.etag);
        assert!(again.kept_plain().is_none());
    }

    #[test]
    fn etags_are_stable_and_differ_by_content() {
        assert_eq!(etag_of(b"abc"), etag_of(b"abc"));
        assert_ne!(etag_of(b"abc"), etag_of(b"abd"));
        assert_eq!(etag_of(b"abc").len(), 34);
    }
}
