//! The simulator's wire contract (`sim/README.md`), tested over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "contract/helpers.rs"]
mod helpers;

#[path = "contract/admin.rs"]
mod admin;
#[path = "contract/auth.rs"]
mod auth;
#[path = "contract/dialect_admin.rs"]
mod dialect_admin;
#[path = "contract/dialect_reports.rs"]
mod dialect_reports;
#[path = "contract/dialects.rs"]
mod dialects;
#[path = "contract/lifecycle.rs"]
mod lifecycle;
#[path = "contract/objects.rs"]
mod objects;
#[path = "contract/paging.rs"]
mod paging;
#[path = "contract/webhook_actions.rs"]
mod webhook_actions;
#[path = "contract/webhooks.rs"]
mod webhooks;
