//! A resident's new fault report as the route reads it: the JSON body (`http::json::parse`),
//! the shared rules (`NewFaultReport::validate`, the web app runs the same as you type), and
//! then each photo's bytes (`reports::photos::prepare`). Every refusal must name a field;
//! every accepted photo must be a clean image.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use rappu_gateway::http::json;
use rappu_gateway::reports::photos;
use rappu_shared::report::{NewFaultReport, PHOTOS_MAX, base64_decoded_len};

fuzz_target!(|data: &[u8]| {
    let Ok(report) = json::parse::<NewFaultReport>(data) else {
        return;
    };
    for photo in &report.photos {
        // The size check before decoding must agree with decoding.
        if let Ok(bytes) = STANDARD.decode(photo.data.as_bytes()) {
            assert_eq!(
                base64_decoded_len(&photo.data),
                bytes.len(),
                "{:?}",
                photo.data
            );
        }
    }
    if let Err(errors) = report.validate() {
        assert!(!errors.is_empty());
        assert!(
            errors
                .iter()
                .all(|e| !e.field.is_empty() && !e.message.is_empty())
        );
        return;
    }
    assert!(report.photos.len() <= PHOTOS_MAX);
    assert!(report.title.trim().chars().count() >= 3);
    match photos::prepare(&report.photos) {
        Ok(prepared) => {
            assert_eq!(prepared.len(), report.photos.len());
            for (photo, upload) in prepared.iter().zip(&report.photos) {
                let original = STANDARD
                    .decode(upload.data.as_bytes())
                    .unwrap_or_else(|e| panic!("an accepted photo is not base64: {e}"));
                rappu_fuzz::photos::check_accepted(&original, photo);
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty() && errors.len() <= report.photos.len());
            assert!(errors.iter().all(|e| e.field.starts_with("photos[")));
        }
    }
});
