//! Pairing a display with the code it shows (the screen's side and the caretaker's phone),
//! and the display's session renewal. The screen's pairing secret and the phone's session
//! are HttpOnly cookies the page never sees.

use rappu_shared::pairing::{
    ApprovePairing, CaretakerSession, DisplaySession, PairedDisplay, PairingPoll, PairingStarted,
};
use rappu_shared::session::RedeemCode;

use super::{ApiError, Call, request, segment};

/// Longer than the gateway's own wait (20 s), so a pending answer is never cut off.
const POLL_TIMEOUT_MS: u32 = 30_000;

/// An unpaired screen asks for a code to show.
pub async fn start_pairing() -> Result<PairingStarted, ApiError> {
    request(Call::post("/api/v1/displays/pairing")).await
}

/// Whether the screen's code was entered (waits up to 20 s on the gateway).
pub async fn poll_pairing() -> Result<PairingPoll, ApiError> {
    request(Call::post("/api/v1/displays/pairing/poll").timeout(POLL_TIMEOUT_MS)).await
}

/// The QR code of the caretaker page with `code` in it.
pub fn pairing_qr(code: &str) -> String {
    format!("/api/v1/displays/pairing/qr.svg?code={}", segment(code))
}

/// A caretaker's phone opens its pairing link.
pub async fn open_caretaker_link(code: &str) -> Result<(), ApiError> {
    request(
        Call::post("/api/v1/displays/pairing/caretaker").json(&RedeemCode {
            code: code.to_owned(),
        })?,
    )
    .await
}

/// The caretaker's phone session: the buildings it may pair displays in.
pub async fn caretaker_session() -> Result<CaretakerSession, ApiError> {
    request(Call::get("/api/v1/displays/pairing/caretaker")).await
}

/// A caretaker pairs the screen showing `body.code`.
pub async fn approve_pairing(body: &ApprovePairing) -> Result<PairedDisplay, ApiError> {
    request(Call::post("/api/v1/displays/pairing/approve").json(body)?).await
}

/// A display renews its session (a new cookie when it is a day old, or reassigned).
pub async fn renew_display_session() -> Result<DisplaySession, ApiError> {
    request(Call::post("/api/v1/display/session")).await
}
