//! What `photo_strip` and `report_validate` require of a photo the gateway accepted.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use img_parts::jpeg::{Jpeg, markers};
use img_parts::png::Png;
use img_parts::webp::{CHUNK_EXIF, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF};
use rappu_gateway::reports::photos::{self, Photo};
use rappu_shared::report::PhotoUpload;

/// How many bytes stripping may add: a WebP whose chunks need the extended format gains a
/// `VP8X` chunk (18 bytes), and odd-sized RIFF chunks without their padding byte gain it.
pub const GROWTH_BOUND: usize = 64;

/// An upload of `bytes` as the web app sends it (standard base64).
pub fn upload(bytes: &[u8]) -> PhotoUpload {
    PhotoUpload {
        name: "kuva.jpg".to_owned(),
        data: STANDARD.encode(bytes),
    }
}

/// Checks a photo the gateway made of `original` (the decoded upload): no larger than the
/// original plus [`GROWTH_BOUND`], of the type its bytes say, without metadata, accepted
/// again as it is, and unchanged by a second stripping. Panics (a fuzzing failure)
/// otherwise.
pub fn check_accepted(original: &[u8], photo: &Photo) {
    assert!(
        photo.data.len() <= original.len() + GROWTH_BOUND,
        "stripping grew a {} of {} bytes to {} bytes",
        photo.media_type,
        original.len(),
        photo.data.len()
    );
    if let Some(left) = metadata_left(photo.media_type, &photo.data) {
        panic!("a stripped {} still has {left}", photo.media_type);
    }
    let again = photos::prepare(&[upload(&photo.data)])
        .unwrap_or_else(|e| panic!("a stripped {} is refused: {e:?}", photo.media_type));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].media_type, photo.media_type, "the type changed");
    assert!(
        again[0].data == photo.data,
        "stripping a stripped {} changed it again ({} -> {} bytes)",
        photo.media_type,
        photo.data.len(),
        again[0].data.len()
    );
}

/// The metadata still in a stripped image, if any (`None` also for an image that does not
/// parse: [`check_accepted`] finds that out by preparing it again).
pub fn metadata_left(media_type: &str, data: &[u8]) -> Option<&'static str> {
    let bytes = Bytes::copy_from_slice(data);
    match media_type {
        "image/jpeg" => {
            let jpeg = Jpeg::from_bytes(bytes).ok()?;
            jpeg.segments().iter().find_map(|s| match s.marker() {
                markers::COM => Some("a comment"),
                markers::APP1 => Some("an APP1 segment (EXIF or XMP)"),
                markers::APP2 if !s.contents().starts_with(b"ICC_PROFILE\0") => {
                    Some("an APP2 segment that is not an ICC profile")
                }
                m if (markers::APP3..=markers::APP13).contains(&m) || m == markers::APP15 => {
                    Some("an application segment")
                }
                _ => None,
            })
        }
        "image/png" => {
            let png = Png::from_bytes(bytes).ok()?;
            png.chunks().iter().find_map(|c| match &c.kind() {
                b"eXIf" => Some("an eXIf chunk"),
                b"tEXt" | b"zTXt" | b"iTXt" => Some("a text chunk"),
                b"tIME" => Some("a tIME chunk"),
                _ => None,
            })
        }
        "image/webp" => {
            let webp = WebP::from_bytes(bytes).ok()?;
            if webp.has_chunk(CHUNK_EXIF) || webp.exif().is_some() {
                Some("an EXIF chunk")
            } else if webp.has_chunk(CHUNK_XMP) {
                Some("an XMP chunk")
            } else {
                None
            }
        }
        _ => Some("an unknown media type"),
    }
}
