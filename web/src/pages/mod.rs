//! One component per [`Route`](crate::app::Route).

mod display;
mod landing;
mod not_found;
mod portal;

pub use display::DisplayPage;
pub use landing::LandingPage;
pub use not_found::NotFoundPage;
pub use portal::PortalPage;
