//! Rappu's web app: the stairwell display page and the resident portal, in Yew, compiled to
//! WebAssembly and served by the gateway from `web/dist` (built by `scripts/build-web`).
//!
//! Module map:
//! - [`app`]: the [`app::Route`] table and the root [`app::App`] component (router + switch).
//! - [`pages`]: one component per route: landing, display, portal, not found.
//! - [`components`]: pieces shared by pages, e.g. the gateway health line.
//! - [`api`]: talking to the gateway (same origin only): one generic JSON request with a
//!   typed error, and one function per endpoint.
//!
//! Constraints that shape the code: the gateway's Content-Security-Policy allows scripts,
//! styles and images from its own origin only, so the markup carries no inline `style`
//! attribute and no inline script (all styling lives in `web/static/app.css`); Finnish comes
//! first (`lang="fi"`), English follows later.

mod api;
mod app;
mod components;
mod pages;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
