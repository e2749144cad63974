//! The report form's draft, kept in `sessionStorage` (this tab only) so a reload, or the
//! phone dropping the page while the camera was open, does not lose it. It holds what the
//! resident wrote, the resized photos when they fit, and the draft's `Idempotency-Key`
//! (a send retried after a reload still files one report). Never a credential. Cleared
//! after a successful send and on sign-out.

use rappu_shared::report::ReportTopic;
use serde::{Deserialize, Serialize};

use super::form_state::{FormState, Photo, PhotoData, PreviewUrl};
use crate::storage;

/// Where the draft is kept.
pub const KEY: &str = "rappu.portal.draft";

/// A kept photo: the resized JPEG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeptPhoto {
    name: String,
    size: u64,
    data: String,
}

/// What is kept of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    key: String,
    topic: ReportTopic,
    title: String,
    description: String,
    location: String,
    master_key_allowed: bool,
    pets: String,
    phone: String,
    photos: Vec<KeptPhoto>,
}

impl Draft {
    /// The draft of a form (its ready photos only).
    pub fn of(form: &FormState) -> Self {
        Self {
            key: form.key.clone(),
            topic: form.topic,
            title: form.title.clone(),
            description: form.description.clone(),
            location: form.location.clone(),
            master_key_allowed: form.master_key_allowed,
            pets: form.pets.clone(),
            phone: form.phone.clone(),
            photos: form
                .photos
                .iter()
                .filter_map(|p| match &p.data {
                    PhotoData::Ready(data) => Some(KeptPhoto {
                        name: p.name.clone(),
                        size: p.size,
                        data: data.to_string(),
                    }),
                    PhotoData::Reading => None,
                })
                .collect(),
        }
    }

    /// Whether there is anything worth keeping.
    pub fn is_empty(&self) -> bool {
        [&self.title, &self.description, &self.location, &self.pets]
            .iter()
            .all(|s| s.trim().is_empty())
            && self.photos.is_empty()
    }

    /// The form again: the fields, the key, the photos with `data:` previews (photo ids
    /// from 1 000 000, clear of the ids new picks get).
    pub fn restore(self) -> FormState {
        let mut form = FormState::new(self.key);
        form.topic = self.topic;
        form.title = self.title;
        form.description = self.description;
        form.location = self.location;
        form.master_key_allowed = self.master_key_allowed;
        form.pets = self.pets;
        form.phone = self.phone;
        form.photos = self
            .photos
            .into_iter()
            .zip(1_000_000..)
            .map(|(p, id)| Photo {
                id,
                preview: Some(std::rc::Rc::new(PreviewUrl(format!(
                    "data:image/jpeg;base64,{}",
                    p.data
                )))),
                name: p.name,
                size: p.size,
                data: PhotoData::Ready(p.data.into()),
            })
            .collect();
        form
    }
}

/// The kept draft, if any.
pub fn load() -> Option<FormState> {
    let text = storage::session_get(KEY)?;
    serde_json::from_str::<Draft>(&text)
        .ok()
        .map(Draft::restore)
}

/// Keeps the form's draft (without its photos if they do not fit); an empty form removes it.
pub fn save(form: &FormState) {
    let mut draft = Draft::of(form);
    if draft.is_empty() {
        storage::session_remove(KEY);
        return;
    }
    let fits = |d: &Draft| {
        serde_json::to_string(d)
            .ok()
            .is_some_and(|text| storage::session_set(KEY, &text))
    };
    if !fits(&draft) {
        draft.photos.clear();
        fits(&draft);
    }
}

/// Forgets the draft.
pub fn clear() {
    storage::session_remove(KEY);
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use yew::Reducible;

    use super::*;
    use crate::pages::portal::form_state::{FormAction, PhotoPick, TextKey};

    #[test]
    fn a_draft_comes_back_with_its_key_fields_and_ready_photos() {
        let mut form = Rc::new(FormState::new("key-7".into()));
        for (key, value) in [
            (TextKey::Title, "Ovi jumittaa"),
            (TextKey::Description, "Ulko-ovi ei sulkeudu."),
            (TextKey::Phone, "040 123 4567"),
        ] {
            form = form.reduce(FormAction::Text(key, value.into()));
        }
        form = form.reduce(FormAction::Topic(ReportTopic::CommonAreas));
        form = form.reduce(FormAction::Pick(vec![
            PhotoPick {
                id: 1,
                name: "ovi.png".into(),
                size: 10,
            },
            PhotoPick {
                id: 2,
                name: "kesken.jpg".into(),
                size: 10,
            },
        ]));
        form = form.reduce(FormAction::PhotoReady {
            id: 1,
            data: "AAAA".into(),
            size: 3,
            preview: None,
        });
        let text = serde_json::to_string(&Draft::of(&form)).unwrap_or_default();
        assert!(
            !text.contains("kesken"),
            "a photo still being resized is not kept"
        );
        let back = serde_json::from_str::<Draft>(&text)
            .map(Draft::restore)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.key, "key-7");
        assert_eq!(back.topic, ReportTopic::CommonAreas);
        assert_eq!(back.title, "Ovi jumittaa");
        assert_eq!(back.phone, "040 123 4567");
        assert_eq!(back.photos.len(), 1);
        assert_eq!(back.photos[0].name, "ovi.jpg");
        assert_eq!(
            back.photos[0].preview.as_deref().map(|p| p.0.as_str()),
            Some("data:image/jpeg;base64,AAAA")
        );
        assert_eq!(back.report().photos.len(), 1);
        assert!(Draft::of(&FormState::new("k".into())).is_empty());
    }
}
