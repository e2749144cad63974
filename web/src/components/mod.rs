//! Components shared by the pages.
//!
//! - Display: [`Clock`], [`PortalQr`], [`AnnouncementList`], [`ApartmentBoard`] (laid out
//!   by [`board_layout`]), [`ContactList`].
//! - Portal: [`TextField`] and [`FieldMessage`], [`LanguageSwitch`], [`StatusBadge`],
//!   [`Timeline`], [`Notice`].
//! - Both: [`PageShell`], [`HealthStatus`].

mod announcement_list;
mod apartment_board;
pub mod board_layout;
mod clock;
mod contact_list;
mod field;
mod health_status;
mod language_switch;
mod notice;
mod page_shell;
mod qr;
mod status_badge;
mod timeline;

pub use announcement_list::AnnouncementList;
pub use apartment_board::ApartmentBoard;
pub use clock::Clock;
pub use contact_list::ContactList;
pub use field::{FieldMessage, TextField, described_by};
pub use health_status::HealthStatus;
pub use language_switch::LanguageSwitch;
pub use notice::{Notice, NoticeKind};
pub use page_shell::{PageShell, use_title};
pub use qr::PortalQr;
pub use status_badge::StatusBadge;
pub use timeline::Timeline;
