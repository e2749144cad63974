//! Components shared by the pages.
//!
//! - Display: [`Clock`], [`PortalQr`], [`InfoPanel`] (announcements and work, rotating and
//!   paged), [`ApartmentBoard`] (measured by [`board_measure`], laid out by
//!   [`board_layout`]), [`ContactList`].
//! - Portal: [`TextField`] and [`FieldMessage`], [`LanguageSwitch`], [`StatusBadge`],
//!   [`Timeline`], [`Notice`].
//! - Both: [`PageShell`], [`HealthStatus`].

mod apartment_board;
pub mod board_layout;
pub mod board_measure;
mod clock;
mod contact_list;
mod field;
mod health_status;
mod info_panel;
mod language_switch;
mod notice;
mod page_shell;
mod qr;
mod status_badge;
mod timeline;

pub use apartment_board::{ApartmentBoard, BoardStatus};
pub use clock::Clock;
pub use contact_list::ContactList;
pub use field::{FieldMessage, TextField, described_by};
pub use health_status::HealthStatus;
pub use info_panel::InfoPanel;
pub use language_switch::LanguageSwitch;
pub use notice::{Notice, NoticeKind};
pub use page_shell::{PageShell, use_title};
pub use qr::PortalQr;
pub use status_badge::StatusBadge;
pub use timeline::Timeline;
