//! Picking photos, the browser's part: each picked file is judged by its first bytes (a text
//! file named `.jpg` is refused at once), decoded by the browser with its EXIF orientation
//! applied (`createImageBitmap`, `imageOrientation: "from-image"`), drawn at most ~2
//! megapixels on a canvas and encoded as a JPEG. So a 6–12 MB phone photo becomes a few
//! hundred kilobytes, upright, with no EXIF (no GPS position) left in it; the gateway still
//! judges and strips what it receives. The rules are in [`super::photo_state`].

use std::cell::Cell;
use std::rc::Rc;

use gloo_file::futures::{read_as_bytes, read_as_data_url};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, File, HtmlInputElement, ImageBitmap, ImageBitmapOptions, ImageEncodeOptions,
    ImageOrientation, OffscreenCanvas, OffscreenCanvasRenderingContext2d,
};
use yew::prelude::*;

use super::form_state::{FormAction, FormState, PhotoPick, PickProblem, PreviewUrl};
use super::photo_state::{SNIFF_BYTES, is_photo, scaled};

/// JPEG quality of a resized photo.
const QUALITY: f64 = 0.85;

/// The base64 part of a `data:` URL.
pub fn base64_of_data_url(url: &str) -> Option<String> {
    let (_, data) = url.split_once(";base64,")?;
    Some(data.to_owned())
}

/// A photo ready to send.
struct Prepared {
    base64: String,
    size: u64,
    preview: Option<Rc<PreviewUrl>>,
}

/// Why a file could not be prepared: not a photo by its bytes, or not one the browser
/// can open.
enum Refusal {
    NotAPhoto,
    Unreadable,
}

impl From<JsValue> for Refusal {
    fn from(_: JsValue) -> Self {
        Refusal::Unreadable
    }
}

async fn first_bytes(file: &File) -> Result<Vec<u8>, Refusal> {
    let head = file.slice_with_i32_and_i32(0, SNIFF_BYTES)?;
    read_as_bytes(&gloo_file::Blob::from(head))
        .await
        .map_err(|_| Refusal::Unreadable)
}

/// The file upright, at most ~2 megapixels, as a JPEG.
async fn resized(file: &File) -> Result<Blob, Refusal> {
    let window = web_sys::window().ok_or(Refusal::Unreadable)?;
    let options = ImageBitmapOptions::new();
    options.set_image_orientation(ImageOrientation::FromImage);
    let decoding = window.create_image_bitmap_with_blob_and_image_bitmap_options(file, &options)?;
    let bitmap: ImageBitmap = JsFuture::from(decoding).await?.dyn_into()?;
    let (width, height) = scaled(bitmap.width(), bitmap.height());
    let canvas = OffscreenCanvas::new(width, height)?;
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or(Refusal::Unreadable)?
        .dyn_into()
        .map_err(|_| Refusal::Unreadable)?;
    context.draw_image_with_image_bitmap_and_dw_and_dh(
        &bitmap,
        0.0,
        0.0,
        f64::from(width),
        f64::from(height),
    )?;
    bitmap.close();
    let encoding = ImageEncodeOptions::new();
    encoding.set_type("image/jpeg");
    encoding.set_quality(QUALITY);
    let blob = JsFuture::from(canvas.convert_to_blob_with_options(&encoding)?).await?;
    Ok(blob.dyn_into()?)
}

async fn prepare(file: &File) -> Result<Prepared, Refusal> {
    if !is_photo(&first_bytes(file).await?) {
        return Err(Refusal::NotAPhoto);
    }
    let jpeg = resized(file).await?;
    // A blob's size is an f64 of whole bytes.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let size = jpeg.size() as u64;
    let preview = web_sys::Url::create_object_url_with_blob(&jpeg)
        .ok()
        .map(|url| Rc::new(PreviewUrl(url)));
    let base64 = read_as_data_url(&gloo_file::Blob::from(jpeg))
        .await
        .ok()
        .and_then(|url| base64_of_data_url(&url))
        .ok_or(Refusal::Unreadable)?;
    Ok(Prepared {
        base64,
        size,
        preview,
    })
}

/// Handles a file input's `change`: hands the picked files to the form, then checks and
/// resizes each.
pub fn on_pick(
    input: &HtmlInputElement,
    next_id: &Rc<Cell<u32>>,
    form: &UseReducerDispatcher<FormState>,
) {
    let Some(files) = input.files() else {
        return;
    };
    let mut picks = Vec::new();
    let mut to_read = Vec::new();
    for i in 0..files.length() {
        let Some(file) = files.get(i) else {
            continue;
        };
        let id = next_id.get();
        next_id.set(id.wrapping_add(1));
        // A file's size is an f64 of whole bytes.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let size = file.size() as u64;
        let pick = PhotoPick {
            id,
            name: file.name(),
            size,
        };
        // Only files that pass the first checks are read (a refused one may be huge).
        if pick.problem().is_none() {
            to_read.push((id, file));
        }
        picks.push(pick);
    }
    // Picking the same file again must fire `change` again.
    input.set_value("");
    form.dispatch(FormAction::Pick(picks));
    for (id, file) in to_read {
        let form = form.clone();
        yew::platform::spawn_local(async move {
            let action = match prepare(&file).await {
                Ok(photo) => FormAction::PhotoReady {
                    id,
                    data: photo.base64,
                    size: photo.size,
                    preview: photo.preview,
                },
                Err(why) => FormAction::PhotoRefused {
                    id,
                    problem: match why {
                        Refusal::NotAPhoto => PickProblem::NotAPhoto(file.name()),
                        Refusal::Unreadable => PickProblem::Unreadable(file.name()),
                    },
                },
            };
            form.dispatch(action);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::base64_of_data_url;

    #[test]
    fn takes_the_base64_of_a_data_url() {
        assert_eq!(
            base64_of_data_url("data:image/png;base64,iVBORw0KGgo=").as_deref(),
            Some("iVBORw0KGgo=")
        );
        assert_eq!(base64_of_data_url("data:,plain"), None);
    }
}
