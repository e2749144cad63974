//! The report form's photos as plain data: what was picked, what was wrong with it, its
//! preview and its bytes; the pure rules (which files are photos by their first bytes, how
//! far a photo is scaled down, file names). [`super::photos`] does the browser's part.

use std::rc::Rc;

use rappu_shared::report::PHOTO_NAME_MAX;

/// The largest file taken to be resized (a phone's photo is 3–15 MB).
pub const PICK_BYTES_MAX: u64 = 40 * 1024 * 1024;
/// Photos are scaled down to at most this many pixels (about 2 megapixels: 1 632 × 1 224).
pub const MAX_PIXELS: u32 = 2_000_000;
/// How many first bytes of a file the type check reads.
pub const SNIFF_BYTES: i32 = 32;

/// An object or `data:` URL for a photo preview; an object URL is revoked when the last
/// copy is dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct PreviewUrl(pub String);

impl Drop for PreviewUrl {
    fn drop(&mut self) {
        #[cfg(target_arch = "wasm32")]
        if self.0.starts_with("blob:") {
            let _ = web_sys::Url::revoke_object_url(&self.0);
        }
    }
}

/// Where a photo's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoData {
    /// Being checked and resized.
    Reading,
    /// Ready: a JPEG, standard base64.
    Ready(Rc<str>),
}

/// A photo in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// The form's own id for it.
    pub id: u32,
    /// File name as sent (`.jpg`, shortened to what the gateway accepts).
    pub name: String,
    /// Size in bytes: the picked file's until it is resized, then the JPEG's.
    pub size: u64,
    /// Preview.
    pub preview: Option<Rc<PreviewUrl>>,
    /// Its bytes.
    pub data: PhotoData,
}

/// A file the resident picked, before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoPick {
    /// The id to use.
    pub id: u32,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

impl PhotoPick {
    /// What is wrong with the file before its bytes are read, if anything.
    pub fn problem(&self) -> Option<PickProblem> {
        if self.size == 0 {
            Some(PickProblem::Empty(self.name.clone()))
        } else if self.size > PICK_BYTES_MAX {
            Some(PickProblem::TooLarge(self.name.clone()))
        } else {
            None
        }
    }
}

/// Why a picked file was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickProblem {
    /// Over [`PICK_BYTES_MAX`].
    TooLarge(String),
    /// Its bytes are not a photo (a text file named `.jpg`, a PDF, ...).
    NotAPhoto(String),
    /// A photo this browser cannot open.
    Unreadable(String),
    /// Would exceed the number of photos allowed.
    TooMany,
    /// Empty file.
    Empty(String),
}

/// Whether a file's first bytes are those of a photo format browsers open: JPEG, PNG,
/// WebP, GIF, and HEIC/HEIF or AVIF (an ISO media file with an image brand).
pub fn is_photo(bytes: &[u8]) -> bool {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF])
        || starts(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A])
        || starts(b"GIF87a")
        || starts(b"GIF89a")
    {
        return true;
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return true;
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        return [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif",
        ]
        .iter()
        .any(|b| brand == *b);
    }
    false
}

/// The size a `width` × `height` photo is scaled to: the same shape, at most [`MAX_PIXELS`].
pub fn scaled(width: u32, height: u32) -> (u32, u32) {
    let pixels = f64::from(width) * f64::from(height);
    if pixels <= f64::from(MAX_PIXELS) || width == 0 || height == 0 {
        return (width, height);
    }
    let factor = (f64::from(MAX_PIXELS) / pixels).sqrt();
    let side = |n: u32| ((f64::from(n) * factor).floor() as u32).max(1);
    (side(width), side(height))
}

/// Shortens a file name to what the gateway takes, keeping its extension.
pub fn short_name(name: &str) -> String {
    let name = name.trim();
    let name = if name.is_empty() { "kuva" } else { name };
    if name.chars().count() <= PHOTO_NAME_MAX {
        return name.to_owned();
    }
    let ext: String = name
        .rsplit_once('.')
        .map(|(_, e)| format!(".{e}"))
        .filter(|e| e.chars().count() <= 10)
        .unwrap_or_default();
    let keep = PHOTO_NAME_MAX - ext.chars().count();
    name.chars().take(keep).chain(ext.chars()).collect()
}

/// The name a resized photo is sent under: its own, as `.jpg`.
pub fn jpeg_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem).trim();
    let stem = if stem.is_empty() { "kuva" } else { stem };
    short_name(&format!("{stem}.jpg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_known_by_their_first_bytes() {
        assert!(is_photo(&[0xFF, 0xD8, 0xFF, 0xE1]));
        assert!(is_photo(b"\x89PNG\r\n\x1a\n...."));
        assert!(is_photo(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(is_photo(b"\0\0\0\x18ftypheic\0\0\0\0"));
        assert!(is_photo(b"GIF89a..."));
        // A text file named .jpg, a PDF, a video, nothing.
        assert!(!is_photo(b"Hello, this is not a photo"));
        assert!(!is_photo(b"%PDF-1.7"));
        assert!(!is_photo(b"\0\0\0\x18ftypmp42\0\0\0\0"));
        assert!(!is_photo(&[]));
    }

    #[test]
    fn big_photos_are_scaled_to_two_megapixels_keeping_their_shape() {
        assert_eq!(scaled(1600, 1200), (1600, 1200));
        let (w, h) = scaled(4032, 3024);
        assert!(w * h <= MAX_PIXELS, "{w}×{h}");
        assert!(w * h > MAX_PIXELS - 5_000, "{w}×{h}");
        assert_eq!((w * 3) / 4, h);
        let (w, h) = scaled(3024, 4032);
        assert!(h > w, "portrait stays portrait");
        assert_eq!(scaled(0, 10), (0, 10));
    }

    #[test]
    fn names_are_shortened_and_sent_as_jpeg() {
        let long = format!("{}.jpeg", "a".repeat(300));
        let short = short_name(&long);
        assert_eq!(short.chars().count(), PHOTO_NAME_MAX);
        assert!(short.ends_with(".jpeg"));
        assert_eq!(short_name("  "), "kuva");
        assert_eq!(jpeg_name("IMG_0001.HEIC"), "IMG_0001.jpg");
        assert_eq!(jpeg_name("kuva.png"), "kuva.jpg");
        assert_eq!(jpeg_name(".png"), "kuva.jpg");
    }
}
