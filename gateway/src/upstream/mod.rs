//! Systems behind Rappu. Only Tampuuri so far.

pub mod tampuuri;
