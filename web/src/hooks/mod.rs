//! Custom hooks: the display's live feed, the language, the resident's session, timers,
//! an element's size.

mod feed_machine;
mod use_feed;
mod use_i18n;
mod use_session;
mod use_size;
mod use_tick;

pub use feed_machine::Blocked;
pub use use_feed::{STORAGE_KEY as KEPT_FEED, use_feed};
pub use use_i18n::{I18nProvider, use_i18n};
pub use use_session::{Session, SessionProvider, use_session};
pub use use_size::use_size;
pub use use_tick::{use_refresh, use_tick};
