use base64::Engine as _;
use img_parts::png::{Png, PngChunk};
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::{Bytes, ImageEXIF};

use super::*;

const GPS: &[u8] = b"GPSLatitude 60.1699 N";

/// A small JPEG as a phone writes it: JFIF, EXIF with a GPS position, XMP, a comment, the
/// image, and a second picture after the end of the first.
pub(super) fn phone_jpeg() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, contents: &[u8]| {
        j.extend_from_slice(&[0xFF, marker]);
        j.extend_from_slice(&u16::try_from(contents.len() + 2).unwrap().to_be_bytes());
        j.extend_from_slice(contents);
    };
    segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    segment(0xE1, &[b"Exif\0\0MM\0*".as_slice(), GPS].concat());
    segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Koivukuja 3</x:xmpmeta>",
    );
    segment(0xE2, b"ICC_PROFILE\0\x01\x01profile");
    segment(0xFE, b"kommentti");
    segment(0xDB, &[0u8; 65]);
    segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
    segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]);
    j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]);
    j.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08]);
    j.extend_from_slice(b"Exif\0\0");
    j.extend_from_slice(GPS);
    j
}

fn png_with_metadata() -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&16u32.to_be_bytes());
    ihdr.extend_from_slice(&16u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    for (kind, contents) in [
        (*b"IHDR", ihdr),
        (*b"eXIf", [b"MM\0*".as_slice(), GPS].concat()),
        (*b"tEXt", b"Author\0Aino Virtanen".to_vec()),
        (*b"IDAT", vec![1, 2, 3]),
        (*b"IEND", vec![]),
    ] {
        let chunk = PngChunk::new(kind, Bytes::from(contents));
        bytes.extend_from_slice(&chunk.encoder().bytes());
    }
    bytes
}

fn webp_with_metadata() -> Vec<u8> {
    let vp8x = [0x0C, 0, 0, 0, 15, 0, 0, 15, 0, 0];
    let chunks = [
        (*b"VP8X", vp8x.to_vec()),
        (
            *b"VP8 ",
            b"\x50\x5a\x00\x9d\x01\x2a\x10\x00\x10\x00".to_vec(),
        ),
        (*b"EXIF", [b"MM\0*".as_slice(), GPS].concat()),
        (*b"XMP ", b"<x:xmpmeta/>".to_vec()),
    ];
    let subchunks = chunks
        .into_iter()
        .map(|(id, data)| RiffChunk::new(id, RiffContent::Data(Bytes::from(data))))
        .collect();
    let riff = RiffChunk::new(
        *b"RIFF",
        RiffContent::List {
            kind: Some(*b"WEBP"),
            subchunks,
        },
    );
    riff.encoder().bytes().to_vec()
}

fn upload(bytes: &[u8]) -> PhotoUpload {
    PhotoUpload {
        name: "hana.jpg".into(),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn jpeg_loses_exif_xmp_comments_and_trailing_pictures_but_keeps_the_image() {
    let photos = prepare(&[upload(&phone_jpeg())]).unwrap();
    let photo = &photos[0];
    assert_eq!(photo.media_type, "image/jpeg");
    assert_eq!(photo.file_name, "kuva-1.jpg");
    assert!(!contains(&photo.data, b"GPSLatitude"));
    assert!(!contains(&photo.data, b"xmpmeta"));
    assert!(!contains(&photo.data, b"kommentti"));
    assert!(contains(&photo.data, b"ICC_PROFILE"));
    assert!(photo.data.ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]));
    let jpeg = Jpeg::from_bytes(Bytes::from(photo.data.clone())).unwrap();
    assert!(jpeg.exif().is_none());
    assert_eq!(jpeg.dimensions(), Some((16, 16)));
}

#[test]
fn png_and_webp_lose_their_metadata() {
    let photos = prepare(&[upload(&png_with_metadata()), upload(&webp_with_metadata())]).unwrap();
    let png = Png::from_bytes(Bytes::from(photos[0].data.clone())).unwrap();
    assert!(png.exif().is_none());
    assert!(!contains(&photos[0].data, b"Aino"));
    assert_eq!(photos[0].file_name, "kuva-1.png");
    assert_eq!(photos[1].media_type, "image/webp");
    assert_eq!(photos[1].file_name, "kuva-2.webp");
    assert!(!contains(&photos[1].data, b"GPSLatitude"));
    assert!(!contains(&photos[1].data, b"xmpmeta"));
}

#[test]
fn a_script_named_like_a_photo_is_refused() {
    let script = b"#!/bin/sh\nrm -rf / --no-preserve-root\n";
    let errors = prepare(&[upload(&phone_jpeg()), upload(script)]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "photos[1].data");
    assert!(errors[0].message.contains("not a JPEG, PNG or WebP"));
}

#[test]
fn a_file_that_only_starts_like_an_image_is_refused() {
    let mut fake = vec![0xFF, 0xD8, 0xFF];
    fake.extend_from_slice(b"<?php system($_GET['c']); ?>");
    let errors = prepare(&[upload(&fake)]).unwrap_err();
    assert!(
        errors[0].message.contains("not a readable JPG"),
        "{errors:?}"
    );
    let truncated = &png_with_metadata()[..30];
    assert!(prepare(&[upload(truncated)]).is_err());
}

#[test]
fn bad_base64_and_oversize_photos_are_refused() {
    let bad = PhotoUpload {
        name: "x.jpg".into(),
        data: "not base64!".into(),
    };
    let errors = prepare(&[bad]).unwrap_err();
    assert!(errors[0].message.contains("base64"));
    let mut big = phone_jpeg();
    big.resize(PHOTO_BYTES_MAX + 1, 0);
    let errors = prepare(&[upload(&big)]).unwrap_err();
    assert!(errors[0].message.contains("at most 5 MB"), "{errors:?}");
}
