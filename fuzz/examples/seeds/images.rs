//! Seeds of images: tiny JPEG, PNG and WebP files carrying the metadata a phone writes,
//! alone (`photo_strip`) and in report bodies (`report_validate`).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{Result, write};

/// Appends a JPEG segment.
fn segment(jpeg: &mut Vec<u8>, marker: u8, contents: &[u8]) {
    let len = u16::try_from(contents.len() + 2).unwrap_or(u16::MAX);
    jpeg.extend_from_slice(&[0xFF, marker]);
    jpeg.extend_from_slice(&len.to_be_bytes());
    jpeg.extend_from_slice(contents);
}

/// A 16×16 JPEG as a phone writes it: JFIF, EXIF with a GPS position, XMP, an ICC profile,
/// a comment, the image, and a second picture with its own EXIF after the end.
fn phone_jpeg() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    segment(&mut j, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    segment(
        &mut j,
        0xE1,
        b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 60.1699 N",
    );
    segment(
        &mut j,
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Koivukuja 3</x:xmpmeta>",
    );
    segment(&mut j, 0xE2, b"ICC_PROFILE\0\x01\x01profile");
    segment(&mut j, 0xED, b"Photoshop 3.0\0IPTC");
    segment(&mut j, 0xFE, b"kommentti");
    segment(&mut j, 0xDB, &[0u8; 65]);
    segment(&mut j, 0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
    segment(&mut j, 0xDA, &[1, 1, 0, 0, 0x3F, 0]);
    j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]);
    j.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08]);
    j.extend_from_slice(b"Exif\0\0GPS");
    j
}

/// A 16×16 PNG with eXIf, tEXt, iTXt and tIME chunks.
fn png_with_metadata() -> Vec<u8> {
    use img_parts::png::PngChunk;
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&16u32.to_be_bytes());
    ihdr.extend_from_slice(&16u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    for (kind, contents) in [
        (*b"IHDR", ihdr),
        (*b"eXIf", b"MM\0*GPSLatitude 60.1699 N".to_vec()),
        (*b"tEXt", b"Author\0Aino Virtanen".to_vec()),
        (
            *b"iTXt",
            b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>".to_vec(),
        ),
        (*b"tIME", vec![7, 234, 11, 20, 8, 0, 0]),
        (*b"IDAT", vec![1, 2, 3]),
        (*b"IEND", vec![]),
    ] {
        let chunk = PngChunk::new(kind, img_parts::Bytes::from(contents));
        bytes.extend_from_slice(&chunk.encoder().bytes());
    }
    bytes
}

/// A 15×15 extended WebP with EXIF and XMP chunks, and a plain lossy one.
fn webps() -> [Vec<u8>; 2] {
    use img_parts::riff::{RiffChunk, RiffContent};
    let riff = |chunks: Vec<([u8; 4], Vec<u8>)>| {
        let subchunks = chunks
            .into_iter()
            .map(|(id, data)| RiffChunk::new(id, RiffContent::Data(img_parts::Bytes::from(data))))
            .collect();
        RiffChunk::new(
            *b"RIFF",
            RiffContent::List {
                kind: Some(*b"WEBP"),
                subchunks,
            },
        )
        .encoder()
        .bytes()
        .to_vec()
    };
    let vp8 = b"\x50\x5a\x00\x9d\x01\x2a\x10\x00\x10\x00".to_vec();
    [
        riff(vec![
            (*b"VP8X", vec![0x0C, 0, 0, 0, 14, 0, 0, 14, 0, 0]),
            (*b"VP8 ", vp8.clone()),
            (*b"EXIF", b"MM\0*GPSLatitude 60.1699 N".to_vec()),
            (*b"XMP ", b"<x:xmpmeta/>".to_vec()),
        ]),
        riff(vec![(*b"VP8 ", vp8)]),
    ]
}

/// Every seed image by name.
fn images() -> Vec<(&'static str, Vec<u8>)> {
    let [extended, plain] = webps();
    vec![
        ("jpeg-exif-xmp", phone_jpeg()),
        ("png-exif-text", png_with_metadata()),
        ("webp-exif-xmp", extended),
        ("webp-plain", plain),
    ]
}

/// The images alone.
pub fn photos(dir: &Path) -> Result<()> {
    for (name, bytes) in images() {
        write(dir, name, &bytes)?;
    }
    Ok(())
}

/// Report bodies with and without the images.
pub fn reports(dir: &Path) -> Result<()> {
    let report = |photos: Value| {
        json!({
            "topic": "apartment",
            "title": "Keittiön hana vuotaa",
            "description": "Hana tippuu yöllä.\nAlkoi eilen.",
            "location": "Keittiö",
            "master_key_allowed": true,
            "pets": "Kissa",
            "contact_phone": "+358 40 123 4567",
            "photos": photos,
        })
    };
    let all: Vec<Value> = images()
        .into_iter()
        .map(|(name, bytes)| json!({"name": format!("{name}.img"), "data": STANDARD.encode(bytes)}))
        .collect();
    write(
        dir,
        "with-photos",
        report(Value::Array(all)).to_string().as_bytes(),
    )?;
    write(dir, "no-photos", report(json!([])).to_string().as_bytes())?;
    let minimal = json!({"topic": "common_areas", "title": "Ovi", "description": "Jumittaa",
                         "master_key_allowed": false, "contact_phone": "0401234567"});
    write(dir, "minimal", minimal.to_string().as_bytes())?;
    Ok(())
}
