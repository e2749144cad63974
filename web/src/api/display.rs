//! The stairwell display: enrolment, the feed (with ETag revalidation), the live-update
//! stream and the portal QR code.

use rappu_shared::display::DisplayFeed;
use rappu_shared::session::RedeemCode;

use super::{ApiError, Call, request, send};

/// The Server-Sent Events stream: a `feed` event with the new ETag on every change.
pub const EVENTS_PATH: &str = "/api/v1/display/events";
/// An SVG QR code of the portal's fault report form.
pub const QR_PATH: &str = "/api/v1/display/portal-qr.svg";

/// How long a feed request may take before the display counts the gateway as gone.
pub const FEED_TIMEOUT_MS: u32 = 5_000;

/// What a feed request brought.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedFetch {
    /// A new version, with its ETag.
    Modified {
        /// The feed.
        feed: Box<DisplayFeed>,
        /// Its ETag (with quotes, as in the header).
        etag: Option<String>,
    },
    /// `304`: the version the display has is current.
    NotModified,
}

/// Exchanges a one-time enrolment code for a display session (an HttpOnly cookie).
pub async fn enroll_display(code: &str) -> Result<(), ApiError> {
    request(Call::post("/api/v1/display/enroll").json(&RedeemCode {
        code: code.to_owned(),
    })?)
    .await
}

/// `GET /api/v1/display/feed`, with `If-None-Match` when the display has a version.
pub async fn fetch_feed(etag: Option<&str>) -> Result<FeedFetch, ApiError> {
    // Short: a poll that hangs is how a display notices a gateway that stopped answering
    // while its event stream still looks open.
    let mut call = Call::get("/api/v1/display/feed").timeout(FEED_TIMEOUT_MS);
    if let Some(etag) = etag {
        call = call.header("If-None-Match", etag);
    }
    let response = send(&call).await?;
    if response.status() == 304 {
        // Read the (empty) body: a response left unread is cancelled, which the browser
        // reports as a failed request.
        let _ = response.text().await;
        return Ok(FeedFetch::NotModified);
    }
    let etag = response.headers().get("ETag");
    let feed = response
        .json::<DisplayFeed>()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(FeedFetch::Modified {
        feed: Box::new(feed),
        etag,
    })
}
