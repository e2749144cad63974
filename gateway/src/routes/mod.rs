//! HTTP handlers, one module per resource. Each module owns its `router()`; the root in
//! [`crate::http`] only composes them.

pub mod admin;
pub mod buildings;
pub mod display;
pub mod health;
pub mod me;
pub mod sessions;
pub mod webhooks;
