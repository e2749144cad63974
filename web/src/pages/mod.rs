//! One component per [`Route`](crate::app::Route): the landing page, the display (its
//! screen, its enrolment link, a caretaker's pairing page), the resident portal (with its
//! own routes), not found.

mod display;
mod landing;
mod not_found;
mod portal;

pub use display::{DisplayPage, EnrollPage, PairPage};
pub use landing::LandingPage;
pub use not_found::NotFoundPage;
pub use portal::PortalPage;
