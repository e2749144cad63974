//! Picking photos: each picked file gets an id and a preview (an object URL, which the CSP
//! allows as `blob:`), is checked by [`FormState`](super::form_state::FormState) (type,
//! size, count) and read to base64 in the browser (`FileReader.readAsDataURL`).

use std::cell::Cell;
use std::rc::Rc;

use gloo_file::futures::read_as_data_url;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::form_state::{FormAction, FormState, PhotoPick, PreviewUrl};

/// The base64 part of a `data:` URL.
pub fn base64_of_data_url(url: &str) -> Option<String> {
    let (_, data) = url.split_once(";base64,")?;
    Some(data.to_owned())
}

/// Handles a file input's `change`: hands the picked files to the form and reads them.
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
        let preview = web_sys::Url::create_object_url_with_blob(&file)
            .ok()
            .map(|url| Rc::new(PreviewUrl(url)));
        // A file's size is an f64 of whole bytes.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let size = file.size() as u64;
        let pick = PhotoPick {
            id,
            name: file.name(),
            size,
            mime: file.type_(),
        };
        // Only files that pass the checks are read (a refused one may be huge).
        if pick.problem().is_none() {
            to_read.push((id, file));
        }
        picks.push((pick, preview));
    }
    // Picking the same file again must fire `change` again.
    input.set_value("");
    form.dispatch(FormAction::Pick(picks));
    for (id, file) in to_read {
        let form = form.clone();
        yew::platform::spawn_local(async move {
            let blob = gloo_file::Blob::from(web_sys::Blob::from(file));
            let data = read_as_data_url(&blob)
                .await
                .ok()
                .and_then(|url| base64_of_data_url(&url));
            // A refused file (too big, wrong type) is not in the form: this does nothing.
            form.dispatch(FormAction::PhotoRead { id, data });
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
