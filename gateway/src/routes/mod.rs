//! HTTP handlers, one module per resource. Each module owns its `router()`; the root in
//! [`crate::http`] only composes them.

pub mod admin;
pub mod admin_login;
pub mod admin_upstream;
pub mod apps_admin;
pub mod buildings;
pub mod console;
pub mod display;
pub mod displays_admin;
pub mod fault_reports;
pub mod fault_reports_admin;
pub mod health;
pub mod integrations;
pub mod me;
pub mod oauth;
pub mod paging;
pub mod pairing;
pub mod resident_extras;
pub mod sessions;
pub mod signin;
pub mod webhooks;
pub mod work_orders;
