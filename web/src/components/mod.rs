//! Components shared by the pages.

mod health_status;
mod page_shell;

pub use health_status::HealthStatus;
pub use page_shell::PageShell;
