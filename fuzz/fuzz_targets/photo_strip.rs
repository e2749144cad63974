//! Any bytes as an uploaded photo (`reports::photos::prepare`): judged by its content,
//! EXIF/XMP/comments stripped from JPEG, PNG and WebP without re-encoding. Must never
//! panic; an accepted image must come out no larger than it went in (plus a small bound),
//! without metadata, and be accepted again unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rappu_fuzz::photos::{check_accepted, upload};
use rappu_gateway::reports::photos;

fuzz_target!(|data: &[u8]| {
    match photos::prepare(&[upload(data)]) {
        Ok(prepared) => {
            assert_eq!(prepared.len(), 1);
            check_accepted(data, &prepared[0]);
        }
        Err(errors) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].field, "photos[0].data");
        }
    }
});
