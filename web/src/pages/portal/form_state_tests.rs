use rappu_shared::FieldError;
use rappu_shared::report::{FaultReport, PHOTOS_MAX, PhotoUpload, ReportTopic};

use super::*;
use crate::pages::portal::photo_state::PICK_BYTES_MAX;

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

fn pick(id: u32, name: &str, size: u64) -> PhotoPick {
    PhotoPick {
        id,
        name: name.into(),
        size,
    }
}

fn ready(id: u32, data: &str) -> FormAction {
    FormAction::PhotoReady {
        id,
        data: data.into(),
        size: 300_000,
        preview: None,
    }
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
fn photos_are_checked_when_picked_and_sent_once_resized() {
    let s = reduce(
        filled(),
        FormAction::Pick(vec![
            pick(1, "IMG_0001.HEIC", 9_000_000),
            pick(2, "huge.tiff", PICK_BYTES_MAX + 1),
            pick(3, "empty.jpg", 0),
            pick(4, "kirje.jpg", 900),
        ]),
    );
    assert_eq!(
        s.pick_problems,
        [
            PickProblem::TooLarge("huge.tiff".into()),
            PickProblem::Empty("empty.jpg".into())
        ]
    );
    assert_eq!(s.photos.len(), 2);
    assert!(s.reading());
    assert_eq!(s.ready(), None, "waits for the photos");
    // A text file named .jpg is refused by its bytes and leaves the form.
    let s = reduce(
        s,
        FormAction::PhotoRefused {
            id: 4,
            problem: PickProblem::NotAPhoto("kirje.jpg".into()),
        },
    );
    assert_eq!(s.photos.len(), 1);
    assert!(
        s.pick_problems
            .contains(&PickProblem::NotAPhoto("kirje.jpg".into()))
    );
    let s = reduce(s, ready(1, "AAAA"));
    let (report, _) = s.ready().unwrap_or_else(|| panic!("not ready"));
    assert_eq!(
        report.photos,
        [PhotoUpload {
            name: "IMG_0001.jpg".into(),
            data: "AAAA".into()
        }]
    );
    assert_eq!(s.photos[0].size, 300_000, "the resized size");
    // At most five.
    let picks = (10..16).map(|i| pick(i, "x.webp", 5)).collect();
    let s = reduce(s, FormAction::Pick(picks));
    assert_eq!(s.photos.len(), PHOTOS_MAX);
    assert_eq!(s.pick_problems, [PickProblem::TooMany]);
    let s = reduce(s, FormAction::RemovePhoto(1));
    assert_eq!(s.photos.len(), PHOTOS_MAX - 1);
    assert!(s.pick_problems.is_empty());
    // A refusal for a photo already removed changes nothing.
    let after = reduce(
        s.clone(),
        FormAction::PhotoRefused {
            id: 1,
            problem: PickProblem::Unreadable("x".into()),
        },
    );
    assert_eq!(after, s);
}

#[test]
fn the_phone_from_tampuuri_fills_only_an_empty_field() {
    let s = Rc::new(FormState::new("k".into()));
    let s = reduce(s, FormAction::SuggestPhone("040 765 4321".into()));
    assert_eq!(s.phone, "040 765 4321");
    let s = reduce(s, FormAction::Text(TextKey::Phone, "050 1".into()));
    let s = reduce(s, FormAction::SuggestPhone("040 765 4321".into()));
    assert_eq!(s.phone, "050 1", "what the resident typed stays");
}

#[test]
fn gateway_photo_errors_land_on_their_photo() {
    let s = reduce(filled(), FormAction::Pick(vec![pick(1, "a.jpg", 10)]));
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
