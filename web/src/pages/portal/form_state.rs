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
//! - **Photos** are checked when picked (size, count), then by their first bytes, and
//!   resized to a JPEG in the browser ([`super::photos`]); a send waits until every photo
//!   is ready.
//! - **Drafts** survive a reload ([`super::draft`]), key included, so a send retried after
//!   a reload still files one report.

use std::rc::Rc;

use rappu_shared::FieldError;
use rappu_shared::report::{FaultReport, NewFaultReport, PHOTOS_MAX, PhotoUpload, ReportTopic};
use yew::Reducible;

use super::photo_state::short_name;
pub use super::photo_state::{Photo, PhotoData, PhotoPick, PickProblem, PreviewUrl};
use crate::api::ApiError;

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
    /// Picked files.
    Pick(Vec<PhotoPick>),
    /// A photo was resized and encoded.
    PhotoReady {
        /// The photo's id.
        id: u32,
        /// The JPEG, standard base64.
        data: String,
        /// Its size in bytes.
        size: u64,
        /// Its preview.
        preview: Option<Rc<PreviewUrl>>,
    },
    /// A picked file turned out not to be a usable photo: it leaves the form.
    PhotoRefused {
        /// The photo's id.
        id: u32,
        /// Why.
        problem: PickProblem,
    },
    /// The phone Tampuuri has for the resident, offered while the field is empty.
    SuggestPhone(String),
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
        if self.sending || self.reading() {
            return None;
        }
        let report = self.report();
        report.validate().ok()?;
        self.server_errors
            .is_empty()
            .then(|| (report, self.key.clone()))
    }

    fn pick(&mut self, picks: Vec<PhotoPick>) {
        self.pick_problems.clear();
        for pick in picks {
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
                    preview: None,
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
            FormAction::PhotoReady {
                id,
                data,
                size,
                preview,
            } => {
                if let Some(photo) = s.photos.iter_mut().find(|p| p.id == id) {
                    photo.name = super::photo_state::jpeg_name(&photo.name);
                    photo.size = size;
                    photo.preview = preview;
                    photo.data = PhotoData::Ready(data.into());
                }
            }
            FormAction::PhotoRefused { id, problem } => {
                if s.photos.iter().any(|p| p.id == id) {
                    s.photos.retain(|p| p.id != id);
                    s.pick_problems.push(problem);
                }
            }
            FormAction::SuggestPhone(phone) => {
                if s.phone.trim().is_empty() {
                    s.phone = phone;
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
#[path = "form_state_tests.rs"]
mod tests;
