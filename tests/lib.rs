//! Rappu end-to-end tests live in `api/` (Rust, over real HTTP) and `e2e/` (headless Chromium).
