//! The fault report form's state and its reducer: every change is a [`FormAction`], so the
//! rules (what is shown as wrong when, which `Idempotency-Key` a send uses, what a failed
//! send does) are plain functions the host tests drive.
//!
//! - **Validation** is `NewFaultReport::validate()` from `rappu-shared`, the gateway's own
//!   rules, run on every change. A field's errors show once it has been left (blurred) or a
//!   send was attempted; errors from the gateway show on their field until it changes.
//! - **Idempotency**: a draft gets one key when it starts. A retry or a double tap reuses
//!   it, so the gateway files one report; a new key comes only after success, or when the
//!   gateway says the key was already used for other content.
//! - **Photos** are checked when picked (type, size, count) and read to base64 in the
//!   browser; a send waits until every photo is read.

use std::rc::Rc;

use rappu_shared::FieldError;
use rappu_shared::report::{
    FaultReport, NewFaultReport, PHOTO_BYTES_MAX, PHOTO_NAME_MAX, PHOTOS_MAX, PhotoUpload,
    ReportTopic,
};
use yew::Reducible;

use crate::api::ApiError;

/// The photo types the gateway accepts (it judges the bytes; this is the first check).
pub const PHOTO_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// The form's text fields, by their name in `NewFaultReport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    /// `title`.
    Title,
    /// `description`.
    Description,
    /// `location`.
    Location,
    /// `pets`.
    Pets,
    /// `contact_phone`.
    Phone,
}

impl TextKey {
    /// The field's name on the wire (and its input's id).
    pub fn name(self) -> &'static str {
        match self {
            TextKey::Title => "title",
            TextKey::Description => "description",
            TextKey::Location => "location",
            TextKey::Pets => "pets",
            TextKey::Phone => "contact_phone",
        }
    }
}

/// An object URL for a photo preview; revoked when the last copy is dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct PreviewUrl(pub String);

impl Drop for PreviewUrl {
    fn drop(&mut self) {
        #[cfg(target_arch = "wasm32")]
        let _ = web_sys::Url::revoke_object_url(&self.0);
    }
}

/// Where a photo's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoData {
    /// Being read.
    Reading,
    /// Read, standard base64.
    Ready(Rc<str>),
    /// Could not be read.
    Failed,
}

/// A picked photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    /// The form's own id for it.
    pub id: u32,
    /// File name (shortened to what the gateway accepts).
    pub name: String,
    /// Size in bytes.
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
    /// MIME type as the browser guessed it.
    pub mime: String,
}

impl PhotoPick {
    /// What is wrong with the file itself (its type or size), if anything.
    pub fn problem(&self) -> Option<PickProblem> {
        if !PHOTO_TYPES.contains(&self.mime.as_str()) {
            Some(PickProblem::WrongType(self.name.clone()))
        } else if self.size == 0 {
            Some(PickProblem::Empty(self.name.clone()))
        } else if self.size > PHOTO_BYTES_MAX as u64 {
            Some(PickProblem::TooLarge(self.name.clone()))
        } else {
            None
        }
    }
}

/// Why a picked file was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickProblem {
    /// Over [`PHOTO_BYTES_MAX`].
    TooLarge(String),
    /// Not JPEG, PNG or WebP.
    WrongType(String),
    /// Would exceed [`PHOTOS_MAX`].
    TooMany,
    /// Empty file.
    Empty(String),
}

/// Why the last send failed, as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The key was used for other content: maybe filed already; a new key is in place.
    KeyReused,
    /// The session ended.
    SignedOut,
    /// Anything else (network, gateway down, ...): the same key is kept for the retry.
    Other(ApiError),
}

/// The form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormState {
    /// Where the fault is.
    pub topic: ReportTopic,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Location.
    pub location: String,
    /// Master-key permission (apartment faults only).
    pub master_key_allowed: bool,
    /// Pets (apartment faults only).
    pub pets: String,
    /// Contact phone.
    pub phone: String,
    /// Picked photos, in order.
    pub photos: Vec<Photo>,
    /// Files refused at the last pick.
    pub pick_problems: Vec<PickProblem>,
    /// Fields the resident has left.
    touched: Vec<TextKey>,
    /// A send was attempted: show every error.
    pub attempted: bool,
    /// Errors the gateway gave for the last send, until their field changes.
    server_errors: Vec<FieldError>,
    /// A send is under way.
    pub sending: bool,
    /// The draft's `Idempotency-Key`.
    pub key: String,
    /// Why the last send failed.
    pub failure: Option<SendFailure>,
    /// Bumped when the view should move focus to the first error.
    pub focus_errors: u32,
}

/// A change to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormAction {
    /// Chose where the fault is.
    Topic(ReportTopic),
    /// Typed in a text field.
    Text(TextKey, String),
    /// Left a text field.
    Blur(TextKey),
    /// Ticked or cleared the master-key permission.
    MasterKey(bool),
    /// Picked files, each with a preview URL if one could be made.
    Pick(Vec<(PhotoPick, Option<Rc<PreviewUrl>>)>),
    /// A photo was read (`None`: it could not be).
    PhotoRead {
        /// The photo's id.
        id: u32,
        /// Its base64 content.
        data: Option<String>,
    },
    /// Removed a photo.
    RemovePhoto(u32),
    /// Tried to send a draft that is not valid: show all errors, focus the first.
    ShowErrors,
    /// A send started.
    Sending,
    /// The report was filed: start a new draft with this key.
    Sent {
        /// The report as filed.
        report: Box<FaultReport>,
        /// The next draft's key.
        next_key: String,
    },
    /// The send failed; `new_key` replaces a key the gateway refused.
    Failed {
        /// What went wrong.
        error: ApiError,
        /// A fresh key, used if the gateway says this one was taken.
        new_key: String,
    },
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

impl FormState {
    /// An empty draft with its key.
    pub fn new(key: String) -> Self {
        Self {
            topic: ReportTopic::Apartment,
            title: String::new(),
            description: String::new(),
            location: String::new(),
            master_key_allowed: false,
            pets: String::new(),
            phone: String::new(),
            photos: Vec::new(),
            pick_problems: Vec::new(),
            touched: Vec::new(),
            attempted: false,
            server_errors: Vec::new(),
            sending: false,
            key,
            failure: None,
            focus_errors: 0,
        }
    }

    fn text_mut(&mut self, key: TextKey) -> &mut String {
        match key {
            TextKey::Title => &mut self.title,
            TextKey::Description => &mut self.description,
            TextKey::Location => &mut self.location,
            TextKey::Pets => &mut self.pets,
            TextKey::Phone => &mut self.phone,
        }
    }

    /// Whether any photo is still being read.
    pub fn reading(&self) -> bool {
        self.photos.iter().any(|p| p.data == PhotoData::Reading)
    }

    /// The report as it would be sent now.
    pub fn report(&self) -> NewFaultReport {
        let optional = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        let apartment = self.topic == ReportTopic::Apartment;
        NewFaultReport {
            topic: self.topic,
            title: self.title.clone(),
            description: self.description.clone(),
            location: optional(&self.location),
            master_key_allowed: apartment && self.master_key_allowed,
            pets: if apartment {
                optional(&self.pets)
            } else {
                None
            },
            contact_phone: self.phone.clone(),
            photos: self
                .photos
                .iter()
                .filter_map(|p| match &p.data {
                    PhotoData::Ready(data) => Some(PhotoUpload {
                        name: p.name.clone(),
                        data: data.to_string(),
                    }),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Every error of the draft: the shared rules, then the gateway's last answer.
    fn all_errors(&self) -> Vec<FieldError> {
        let mut errors = self.report().validate().err().unwrap_or_default();
        for e in &self.server_errors {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e.clone());
            }
        }
        errors
    }

    /// Whether errors of this field are shown yet.
    fn shown(&self, field: &str) -> bool {
        self.attempted
            || self.server_errors.iter().any(|e| e.field == field)
            || self.touched.iter().any(|k| k.name() == field)
    }

    /// The error shown for a text field, if any.
    pub fn error(&self, key: TextKey) -> Option<FieldError> {
        let name = key.name();
        if !self.shown(name) {
            return None;
        }
        self.all_errors().into_iter().find(|e| e.field == name)
    }

    /// The errors shown for the photos: the list as a whole (`photos`) and each photo by
    /// its index in the list (`photos[i].name`, `photos[i].data`).
    pub fn photo_errors(&self) -> (Option<FieldError>, Vec<(usize, FieldError)>) {
        let errors = self.all_errors();
        let whole = errors.iter().find(|e| e.field == "photos").cloned();
        let each = errors
            .iter()
            .filter_map(|e| {
                let rest = e.field.strip_prefix("photos[")?;
                let (index, _) = rest.split_once(']')?;
                Some((index.parse().ok()?, e.clone()))
            })
            .collect();
        (whole, each)
    }

    /// The number of errors a send would refuse (shown after an attempt).
    pub fn error_count(&self) -> usize {
        self.all_errors().len()
    }

    /// The report and key to send, when the draft is complete and valid.
    pub fn ready(&self) -> Option<(NewFaultReport, String)> {
        if self.sending || self.reading() || self.photos.iter().any(|p| p.data == PhotoData::Failed)
        {
            return None;
        }
        let report = self.report();
        report.validate().ok()?;
        self.server_errors
            .is_empty()
            .then(|| (report, self.key.clone()))
    }

    fn pick(&mut self, picks: Vec<(PhotoPick, Option<Rc<PreviewUrl>>)>) {
        self.pick_problems.clear();
        for (pick, preview) in picks {
            if let Some(problem) = pick.problem() {
                self.pick_problems.push(problem);
            } else if self.photos.len() >= PHOTOS_MAX {
                if !self.pick_problems.contains(&PickProblem::TooMany) {
                    self.pick_problems.push(PickProblem::TooMany);
                }
            } else {
                self.photos.push(Photo {
                    id: pick.id,
                    name: short_name(&pick.name),
                    size: pick.size,
                    preview,
                    data: PhotoData::Reading,
                });
            }
        }
        self.clear_server_errors(|f| f.starts_with("photos"));
    }

    fn clear_server_errors(&mut self, matches: impl Fn(&str) -> bool) {
        self.server_errors.retain(|e| !matches(&e.field));
    }

    fn failed(&mut self, error: ApiError, new_key: String) {
        self.sending = false;
        self.failure = None;
        match error {
            ApiError::Validation(errors)
                if errors
                    .iter()
                    .any(|e| e.field.eq_ignore_ascii_case("idempotency-key")) =>
            {
                self.key = new_key;
                self.failure = Some(SendFailure::KeyReused);
            }
            ApiError::Validation(errors) => {
                self.server_errors = errors;
                self.attempted = true;
                self.focus_errors += 1;
            }
            ApiError::Unauthorized | ApiError::Forbidden => {
                self.failure = Some(SendFailure::SignedOut);
            }
            other => self.failure = Some(SendFailure::Other(other)),
        }
    }
}

impl Reducible for FormState {
    type Action = FormAction;

    fn reduce(self: Rc<Self>, action: FormAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            FormAction::Topic(topic) => s.topic = topic,
            FormAction::Text(key, value) => {
                *s.text_mut(key) = value;
                s.clear_server_errors(|f| f == key.name());
            }
            FormAction::Blur(key) => {
                // An untouched empty field is not an error yet: leaving it is.
                if !s.touched.contains(&key) {
                    s.touched.push(key);
                }
            }
            FormAction::MasterKey(allowed) => s.master_key_allowed = allowed,
            FormAction::Pick(picks) => s.pick(picks),
            FormAction::PhotoRead { id, data } => {
                if let Some(photo) = s.photos.iter_mut().find(|p| p.id == id) {
                    photo.data = match data {
                        Some(data) if !data.is_empty() => PhotoData::Ready(data.into()),
                        _ => PhotoData::Failed,
                    };
                }
            }
            FormAction::RemovePhoto(id) => {
                s.photos.retain(|p| p.id != id);
                s.pick_problems.clear();
                s.clear_server_errors(|f| f.starts_with("photos"));
            }
            FormAction::ShowErrors => {
                s.attempted = true;
                s.focus_errors += 1;
            }
            FormAction::Sending => {
                s.sending = true;
                s.failure = None;
            }
            FormAction::Sent { next_key, .. } => return Rc::new(FormState::new(next_key)),
            FormAction::Failed { error, new_key } => s.failed(error, new_key),
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(state: Rc<FormState>, action: FormAction) -> Rc<FormState> {
        state.reduce(action)
    }

    fn filled() -> Rc<FormState> {
        let mut s = Rc::new(FormState::new("key-1".into()));
        for (key, value) in [
            (TextKey::Title, "Keittiön hana vuotaa"),
            (TextKey::Description, "Tippuu koko ajan."),
            (TextKey::Phone, "040 123 4567"),
        ] {
            s = reduce(s, FormAction::Text(key, value.into()));
        }
        s
    }

    fn pick(id: u32, name: &str, size: u64, mime: &str) -> (PhotoPick, Option<Rc<PreviewUrl>>) {
        (
            PhotoPick {
                id,
                name: name.into(),
                size,
                mime: mime.into(),
            },
            None,
        )
    }

    #[test]
    fn errors_show_after_leaving_a_field_or_trying_to_send() {
        let s = Rc::new(FormState::new("k".into()));
        assert_eq!(
            s.error(TextKey::Title),
            None,
            "nothing shouts at a new form"
        );
        let s = reduce(s, FormAction::Text(TextKey::Title, "ab".into()));
        assert_eq!(s.error(TextKey::Title), None, "not while first typing");
        let s = reduce(s, FormAction::Blur(TextKey::Title));
        assert_eq!(
            s.error(TextKey::Title).map(|e| e.message),
            Some("must be at least 3 characters".into())
        );
        // As you type, after that.
        let s = reduce(s, FormAction::Text(TextKey::Title, "abc".into()));
        assert_eq!(s.error(TextKey::Title), None);
        assert_eq!(s.error(TextKey::Phone), None);
        assert_eq!(s.ready(), None);
        let s = reduce(s, FormAction::ShowErrors);
        assert_eq!(s.focus_errors, 1);
        assert_eq!(
            s.error(TextKey::Phone).map(|e| e.message),
            Some("is required".into())
        );
        assert_eq!(s.error_count(), 2, "description and phone");
    }

    #[test]
    fn a_valid_draft_is_ready_with_its_key_and_apartment_only_fields() {
        let s = filled();
        let s = reduce(s, FormAction::MasterKey(true));
        let s = reduce(s, FormAction::Text(TextKey::Pets, "Kissa".into()));
        let (report, key) = s.ready().unwrap_or_else(|| panic!("not ready: {s:?}"));
        assert_eq!(key, "key-1");
        assert!(report.master_key_allowed);
        assert_eq!(report.pets.as_deref(), Some("Kissa"));
        assert_eq!(report.location, None, "empty optional text is left out");
        // Common areas: no master key, no pets.
        let s = reduce(s, FormAction::Topic(ReportTopic::CommonAreas));
        let (report, _) = s.ready().unwrap_or_else(|| panic!("not ready"));
        assert!(!report.master_key_allowed);
        assert_eq!(report.pets, None);
    }

    #[test]
    fn a_retry_keeps_the_key_and_success_starts_a_new_draft_with_a_new_one() {
        let s = reduce(filled(), FormAction::Sending);
        assert!(s.sending);
        assert_eq!(s.ready(), None, "a double tap sends nothing more");
        let s = reduce(
            s,
            FormAction::Failed {
                error: ApiError::Network("offline".into()),
                new_key: "key-2".into(),
            },
        );
        assert!(!s.sending);
        assert_eq!(
            s.failure,
            Some(SendFailure::Other(ApiError::Network("offline".into())))
        );
        let (_, key) = s.ready().unwrap_or_else(|| panic!("not ready"));
        assert_eq!(key, "key-1", "the retry uses the same key");

        let report: FaultReport = serde_json::from_value(serde_json::json!({
            "id": "r1", "number": null, "topic": "apartment", "title": "t", "description": "d",
            "location": null, "master_key_allowed": false, "pets": null,
            "contact_phone": "040 123 4567", "photo_count": 0, "status": "pending",
            "created_at": "2026-11-23T10:00:00Z", "timeline": []
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let s = reduce(
            s,
            FormAction::Sent {
                report: Box::new(report),
                next_key: "key-3".into(),
            },
        );
        assert_eq!(*s, FormState::new("key-3".into()));
    }

    #[test]
    fn gateway_errors_show_on_their_field_until_it_changes() {
        let s = reduce(filled(), FormAction::Sending);
        let s = reduce(
            s,
            FormAction::Failed {
                error: ApiError::Validation(vec![FieldError::new(
                    "contact_phone",
                    "is not a number we can call",
                )]),
                new_key: "unused".into(),
            },
        );
        assert_eq!(
            s.error(TextKey::Phone).map(|e| e.message),
            Some("is not a number we can call".into())
        );
        assert_eq!(s.focus_errors, 1);
        assert_eq!(s.ready(), None);
        assert_eq!(s.key, "key-1");
        let s = reduce(s, FormAction::Text(TextKey::Phone, "040 765 4321".into()));
        assert_eq!(s.error(TextKey::Phone), None);
        assert!(s.ready().is_some());
    }

    #[test]
    fn a_key_the_gateway_has_seen_for_other_content_is_replaced() {
        let s = reduce(filled(), FormAction::Sending);
        let s = reduce(
            s,
            FormAction::Failed {
                error: ApiError::Validation(vec![FieldError::new(
                    "Idempotency-Key",
                    "was already used for a different request",
                )]),
                new_key: "key-2".into(),
            },
        );
        assert_eq!(s.failure, Some(SendFailure::KeyReused));
        assert_eq!(s.key, "key-2");
        assert_eq!(s.error_count(), 0);
    }

    #[test]
    fn photos_are_checked_when_picked_and_sent_once_read() {
        let s = reduce(
            filled(),
            FormAction::Pick(vec![
                pick(1, "hana.jpg", 1000, "image/jpeg"),
                pick(2, "huge.png", PHOTO_BYTES_MAX as u64 + 1, "image/png"),
                pick(3, "doc.pdf", 10, "application/pdf"),
            ]),
        );
        assert_eq!(
            s.pick_problems,
            [
                PickProblem::TooLarge("huge.png".into()),
                PickProblem::WrongType("doc.pdf".into())
            ]
        );
        assert_eq!(s.photos.len(), 1);
        assert!(s.reading());
        assert_eq!(s.ready(), None, "waits for the photo");
        let s = reduce(
            s,
            FormAction::PhotoRead {
                id: 1,
                data: Some("AAAA".into()),
            },
        );
        let (report, _) = s.ready().unwrap_or_else(|| panic!("not ready"));
        assert_eq!(
            report.photos,
            [PhotoUpload {
                name: "hana.jpg".into(),
                data: "AAAA".into()
            }]
        );
        // At most five.
        let picks = (10..16)
            .map(|i| pick(i, "x.webp", 5, "image/webp"))
            .collect();
        let s = reduce(s, FormAction::Pick(picks));
        assert_eq!(s.photos.len(), PHOTOS_MAX);
        assert_eq!(s.pick_problems, [PickProblem::TooMany]);
        let s = reduce(s, FormAction::RemovePhoto(1));
        assert_eq!(s.photos.len(), PHOTOS_MAX - 1);
        assert!(s.pick_problems.is_empty());
    }

    #[test]
    fn gateway_photo_errors_land_on_their_photo() {
        let s = reduce(
            filled(),
            FormAction::Pick(vec![pick(1, "a.jpg", 10, "image/jpeg")]),
        );
        let s = reduce(
            s,
            FormAction::Failed {
                error: ApiError::Validation(vec![FieldError::new(
                    "photos[0].data",
                    "is not a JPEG, PNG or WebP image (judged by its content)",
                )]),
                new_key: "k".into(),
            },
        );
        let (whole, each) = s.photo_errors();
        assert_eq!(whole, None);
        assert_eq!(each.len(), 1);
        assert_eq!(each[0].0, 0);
    }

    #[test]
    fn long_file_names_are_shortened_keeping_the_extension() {
        let long = format!("{}.jpeg", "a".repeat(300));
        let short = short_name(&long);
        assert_eq!(short.chars().count(), PHOTO_NAME_MAX);
        assert!(short.ends_with(".jpeg"));
        assert_eq!(short_name("  "), "kuva");
        assert_eq!(short_name("ok.png"), "ok.png");
    }
}
