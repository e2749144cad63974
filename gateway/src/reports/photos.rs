//! Photo checks: an upload is an image only if its bytes say so, and it leaves Rappu without
//! the metadata a phone writes into it (EXIF with the GPS position, XMP, IPTC, comments).
//!
//! The type is judged by the file signature (JPEG, PNG, WebP) and then by parsing the
//! container ([`img_parts`]): a script renamed `.jpg`, or a file that only starts like an
//! image, is refused. Metadata is removed from the container without re-encoding the
//! pixels, so quality is untouched. Known trade-off: the EXIF orientation goes with the
//! rest, so a photo taken sideways may show sideways.

use base64::Engine as _;
use img_parts::jpeg::{Jpeg, markers};
use img_parts::png::Png;
use img_parts::webp::{CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF};
use rappu_shared::FieldError;
use rappu_shared::report::{PHOTO_BYTES_MAX, PhotoUpload};

/// A checked photo, metadata removed, ready to store and deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub media_type: &'static str,
    /// A neutral file name (`kuva-1.jpg`): the resident's own file name may say more than
    /// it should (names, addresses) and is not needed.
    pub file_name: String,
    /// The image.
    pub data: Vec<u8>,
}

/// The image formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
    WebP,
}

impl Format {
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else {
            None
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }
}

/// Checks and cleans every photo; every failure is named by its field (`photos[1].data`).
/// Run it off the async threads: it decodes and copies megabytes.
pub fn prepare(uploads: &[PhotoUpload]) -> Result<Vec<Photo>, Vec<FieldError>> {
    let mut photos = Vec::with_capacity(uploads.len());
    let mut errors = Vec::new();
    for (i, upload) in uploads.iter().enumerate() {
        match prepare_one(upload, i + 1) {
            Ok(photo) => photos.push(photo),
            Err(message) => errors.push(FieldError::new(format!("photos[{i}].data"), message)),
        }
    }
    if errors.is_empty() {
        Ok(photos)
    } else {
        Err(errors)
    }
}

fn prepare_one(upload: &PhotoUpload, number: usize) -> Result<Photo, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(upload.data.as_bytes())
        .map_err(|_| "is not valid standard base64".to_owned())?;
    if bytes.len() > PHOTO_BYTES_MAX {
        return Err(format!(
            "must be at most {} MB",
            PHOTO_BYTES_MAX / (1024 * 1024)
        ));
    }
    let format = Format::sniff(&bytes)
        .ok_or_else(|| "is not a JPEG, PNG or WebP image (judged by its content)".to_owned())?;
    let data = strip_metadata(format, bytes).ok_or_else(|| {
        format!(
            "is not a readable {} image (damaged or not an image)",
            format.extension().to_uppercase()
        )
    })?;
    Ok(Photo {
        media_type: format.media_type(),
        file_name: format!("kuva-{number}.{}", format.extension()),
        data,
    })
}

/// The image without metadata, or `None` when the container cannot be parsed.
fn strip_metadata(format: Format, bytes: Vec<u8>) -> Option<Vec<u8>> {
    let bytes = Bytes::from(bytes);
    let out = match format {
        Format::Jpeg => {
            let mut jpeg = Jpeg::from_bytes(bytes).ok()?;
            // A real image has a frame header and image data, not just a signature.
            jpeg.dimensions()?;
            let scan = jpeg.segments().last()?.clone();
            if scan.marker() != markers::SOS || !scan.has_entropy() {
                return None;
            }
            jpeg.segments_mut().retain(keep_jpeg_segment);
            let scan_data_len = scan.len_with_entropy() - scan.len();
            let out = jpeg.encoder().bytes();
            // Whatever follows the end-of-image marker (a second picture of a multi-picture
            // file with its own EXIF, or anything appended) goes too. In scan data 0xFF is
            // always stuffed, so the first FF D9 there is the real end of the image.
            let scan_start = out.len().saturating_sub(scan_data_len);
            match out[scan_start..].windows(2).position(|w| w == [0xFF, 0xD9]) {
                Some(end) => out.slice(..scan_start + end + 2),
                None => out,
            }
        }
        Format::Png => {
            let mut png = Png::from_bytes(bytes).ok()?;
            png.dimensions()?;
            png.chunks_mut().retain(|chunk| {
                !matches!(
                    &chunk.kind(),
                    b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME"
                )
            });
            png.encoder().bytes()
        }
        Format::WebP => {
            let mut webp = WebP::from_bytes(bytes).ok()?;
            webp.remove_chunks_by_id(CHUNK_XMP);
            // Also fixes the VP8X flags to say there is no metadata left.
            webp.set_exif(None);
            webp.dimensions()?;
            webp.encoder().bytes()
        }
    };
    Some(out.to_vec())
}

/// JPEG segments kept: everything needed to decode the image and show its colours (JFIF,
/// ICC profile, Adobe colour transform); application segments that carry metadata (EXIF,
/// XMP, IPTC, maker notes, multi-picture index) and comments go.
fn keep_jpeg_segment(segment: &img_parts::jpeg::JpegSegment) -> bool {
    let marker = segment.marker();
    match marker {
        markers::APP0 | markers::APP14 => true,
        markers::APP2 => segment.contents().starts_with(b"ICC_PROFILE\0"),
        markers::COM => false,
        m if (markers::APP1..=markers::APP15).contains(&m) => false,
        _ => true,
    }
}

#[cfg(test)]
#[path = "photos_tests.rs"]
mod tests;
