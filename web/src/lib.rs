//! Rappu's web app: the stairwell display page and the resident portal, in Yew, compiled to
//! WebAssembly and served by the gateway from `web/dist` (built by `scripts/build-web`).
//!
//! Two programs share this library: `rappu-display` ([`start_display`], the stairwell
//! screen) and `rappu-portal` ([`start_portal`], the landing page and the resident portal).
//! Each carries only its own pages, which keeps each first load under the size budget.
//!
//! Module map:
//! - [`app`]: the [`app::Route`] table and the two roots, [`app::DisplayApp`] and
//!   [`app::PortalApp`] (language provider, router, switch).
//! - [`router`]: the current route over the History API, `Link`, `Redirect`.
//! - [`pages`]: one component per route: landing, display (screen, enrolment), portal
//!   (sign-in, report form, my reports, a report), not found.
//! - [`components`]: pieces the pages share: clock, QR code, announcements, apartment board
//!   (and its pure page layout), contacts, form fields, timeline, status badge, notices.
//! - [`hooks`]: `use_feed` (SSE + ETag + polling + offline, driven by a pure state machine),
//!   `use_session` and `use_i18n` (context providers), timers.
//! - [`api`]: talking to the gateway, same origin only: one generic `request<T>` with a
//!   typed [`api::ApiError`], and one function per endpoint. Types come from
//!   `rappu-shared`, never redefined here.
//! - [`i18n`]: every text in Finnish (first) and English; translations of the shared
//!   validation messages and report states.
//! - [`storage`], [`url`]: `localStorage` (preferences and the display's last feed only,
//!   never credentials) and the page's address.
//! - [`console`]: the operator's console (program `rappu-console`, admin sessions only; a
//!   page of its own, `console.html`, and its own routes, so the others carry none of it).
//! - [`offline`]: the display's service worker (the app shell for a reload while the
//!   gateway is down).
//!
//! Constraints that shape the code: the gateway's Content-Security-Policy allows scripts,
//! styles and images from its own origin only (plus `blob:` images for photo previews), so
//! the markup carries no inline `style` attribute and no inline script (all styling lives in
//! `web/static/app.css`). Sessions are HttpOnly cookies the app never sees. Times are shown
//! in Finnish time (`rappu_shared::finnish_time`) whatever the device's zone.

mod api;
mod app;
mod components;
mod console;
mod hooks;
mod i18n;
mod offline;
mod pages;
mod router;
mod storage;
mod url;

/// Starts the stairwell display (`/display`, `/display/enroll`), with its service worker.
pub fn start_display() {
    offline::register_service_worker();
    yew::Renderer::<app::DisplayApp>::new().render();
}

/// Starts a caretaker's pairing page (`/display/pair`).
pub fn start_pair() {
    yew::Renderer::<app::PairApp>::new().render();
}

/// Starts the landing page and the resident portal (every other path).
pub fn start_portal() {
    yew::Renderer::<app::PortalApp>::new().render();
}

/// Starts the operator's console (`/console/...`).
pub fn start_console() {
    yew::Renderer::<console::ConsoleApp>::new().render();
}
