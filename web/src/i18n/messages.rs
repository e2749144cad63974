//! Words for values: report states and topics, and the field errors that the shared
//! validation rules (`rappu_shared::report`) and the gateway write in English.

use rappu_shared::FieldError;
use rappu_shared::display::{WorkPlace, WorkState};
use rappu_shared::report::{ReportStatus, ReportTopic};

use super::{Texts, fill};
use crate::api::ApiError;

/// A report state for people.
pub fn status(t: &Texts, status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Pending => t.status_pending,
        ReportStatus::Open => t.status_open,
        ReportStatus::Received => t.status_received,
        ReportStatus::Waiting => t.status_waiting,
        ReportStatus::Done => t.status_done,
        ReportStatus::Completed => t.status_completed,
        ReportStatus::Handled => t.status_handled,
        ReportStatus::Failed => t.status_failed,
        ReportStatus::Unknown => t.status_unknown,
    }
}

/// What a report state means for the resident.
pub fn meaning(t: &Texts, status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Pending => t.meaning_pending,
        ReportStatus::Open => t.meaning_open,
        ReportStatus::Received => t.meaning_received,
        ReportStatus::Waiting => t.meaning_waiting,
        ReportStatus::Done => t.meaning_done,
        ReportStatus::Completed => t.meaning_completed,
        ReportStatus::Handled => t.meaning_handled,
        ReportStatus::Failed => t.meaning_failed,
        ReportStatus::Unknown => t.meaning_unknown,
    }
}

/// What a waiting report waits for (the reason of its newest "waiting" step), if told.
pub fn waiting_reason(report: &rappu_shared::report::FaultReport) -> Option<&str> {
    if report.status != ReportStatus::Waiting {
        return None;
    }
    report
        .timeline
        .iter()
        .rev()
        .find(|e| e.status == ReportStatus::Waiting)
        .and_then(|e| e.note.as_deref())
        .filter(|n| !n.trim().is_empty())
}

/// "Report {number}" with the number in a span that never breaks across lines (its
/// hyphens non-breaking too); the words around it may wrap.
pub fn report_number(t: &Texts, number: &str) -> yew::Html {
    let (before, after) = t
        .report_number
        .split_once("{number}")
        .unwrap_or((t.report_number, ""));
    yew::html! {
        <>{ before }<span class="report-number">{ number.replace('-', "\u{2011}") }</span>{ after }</>
    }
}

/// Where a report's fault is.
pub fn topic(t: &Texts, topic: ReportTopic) -> &'static str {
    match topic {
        ReportTopic::Apartment => t.topic_apartment,
        ReportTopic::CommonAreas => t.topic_common_areas,
        ReportTopic::Outdoors => t.topic_outdoors,
    }
}

/// The state of ongoing work on a display.
pub fn work_state(t: &Texts, state: WorkState) -> &'static str {
    match state {
        WorkState::Open => t.work_open,
        WorkState::Received => t.work_received,
        WorkState::Waiting => t.work_waiting,
    }
}

/// Where ongoing work on a display is.
pub fn work_place(t: &Texts, place: WorkPlace) -> &'static str {
    match place {
        WorkPlace::CommonAreas => t.work_place_common_areas,
        WorkPlace::Outdoors => t.work_place_outdoors,
        WorkPlace::Building => t.work_place_building,
    }
}

/// The number in `prefix<number><suffix>`, if the message has that shape.
fn number_between(message: &str, prefix: &str, suffix: &str) -> Option<String> {
    let n = message.strip_prefix(prefix)?.strip_suffix(suffix)?;
    n.chars().all(|c| c.is_ascii_digit()).then(|| n.to_owned())
}

/// A field error in the reader's language. The English messages come from
/// `rappu_shared::report` (the same rules run here and on the gateway) and from the
/// gateway's photo check; an unknown message is shown as it is.
pub fn field_message(t: &Texts, error: &FieldError) -> String {
    let m = error.message.as_str();
    if m == "is required" {
        return t.err_required.to_owned();
    }
    if let Some(n) = number_between(m, "must be at least ", " characters") {
        return fill(t.err_min_chars, &[("n", &n)]);
    }
    if let Some(n) = number_between(m, "must be at most ", " characters") {
        return fill(t.err_max_chars, &[("n", &n)]);
    }
    if let Some(n) = number_between(m, "must be at most ", " MB") {
        return fill(t.err_photo_size, &[("n", &n)]);
    }
    if let Some(n) = number_between(m, "must be 1 to ", " characters") {
        return fill(t.err_photo_name, &[("n", &n)]);
    }
    if let Some(n) = number_between(m, "at most ", " photos") {
        return fill(t.err_photos_count, &[("n", &n)]);
    }
    match m {
        "contains control characters" => t.err_control_chars.to_owned(),
        "may contain only digits, spaces, dashes, parentheses and a leading +" => {
            t.err_phone_chars.to_owned()
        }
        "must have 6 to 15 digits" => t.err_phone_digits.to_owned(),
        "is empty" => t.err_photo_empty.to_owned(),
        // The gateway's photo check (gateway/src/reports/photos.rs).
        _ if m.contains("readable") || m.contains("base64") => t.err_photo_read.to_owned(),
        _ if m.contains("JPEG") => t.err_photo_type.to_owned(),
        _ => error.message.clone(),
    }
}

/// A failed request in the reader's language (for messages not tied to a field).
pub fn api_error(t: &Texts, error: &ApiError) -> String {
    match error {
        ApiError::Network(_) => t.error_network.to_owned(),
        ApiError::Unavailable => t.error_unavailable.to_owned(),
        ApiError::RateLimited { retry_after } => fill(
            t.error_rate_limited,
            &[("s", &retry_after.unwrap_or(10).to_string())],
        ),
        ApiError::Unauthorized => t.error_session_expired.to_owned(),
        ApiError::NotFound => t.not_found_text.to_owned(),
        ApiError::Validation(errors) => {
            let text = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, field_message(t, e)))
                .collect::<Vec<_>>()
                .join(" ");
            fill(t.error_generic, &[("detail", &text)])
        }
        other => fill(t.error_generic, &[("detail", &other.to_string())]),
    }
}

#[cfg(test)]
mod tests {
    use rappu_shared::report::{NewFaultReport, PHOTOS_MAX, PhotoUpload, ReportTopic};

    use super::*;
    use crate::i18n::Lang;

    /// A report that breaks every rule `validate()` knows, in every way it can.
    fn all_errors() -> Vec<FieldError> {
        let photo = |name: &str, data: String| PhotoUpload {
            name: name.into(),
            data,
        };
        let mut errors = Vec::new();
        for (title, phone) in [
            ("ab", "soita"),
            (&*"x".repeat(200), "123"),
            ("a\u{7}bc", ""),
        ] {
            let report = NewFaultReport {
                topic: ReportTopic::Apartment,
                title: title.into(),
                description: " ".into(),
                location: Some("x".repeat(500)),
                master_key_allowed: false,
                pets: Some("koira\u{1}".into()),
                contact_phone: phone.into(),
                photos: vec![
                    photo(" ", "AAAA".into()),
                    photo("big.jpg", "A".repeat(8 * 1024 * 1024)),
                    photo("empty.jpg", String::new()),
                ],
            };
            errors.extend(report.validate().err().unwrap_or_default());
        }
        let many = NewFaultReport {
            topic: ReportTopic::Outdoors,
            title: "Ok title".into(),
            description: "ok".into(),
            location: None,
            master_key_allowed: false,
            pets: None,
            contact_phone: "040 123 4567".into(),
            photos: (0..=PHOTOS_MAX)
                .map(|i| photo(&format!("{i}.png"), "AAAA".into()))
                .collect(),
        };
        errors.extend(many.validate().err().unwrap_or_default());
        errors
    }

    #[test]
    fn every_shared_validation_message_is_translated() {
        let errors = all_errors();
        assert!(errors.len() >= 12, "{errors:?}");
        for lang in Lang::ALL {
            for error in &errors {
                let shown = field_message(lang.texts(), error);
                assert_ne!(shown, error.message, "{lang:?}: untranslated {error:?}");
            }
        }
    }

    #[test]
    fn numbers_are_carried_over() {
        let t = Lang::Fi.texts();
        let e = FieldError::new("title", "must be at least 3 characters");
        assert_eq!(field_message(t, &e), "Kirjoita vähintään 3 merkkiä.");
        let e = FieldError::new("photos[1].data", "must be at most 5 MB");
        assert_eq!(
            field_message(t, &e),
            "Valitse pienempi kuva: enintään 5 Mt."
        );
        let e = FieldError::new("x", "something new");
        assert_eq!(field_message(t, &e), "something new");
    }

    #[test]
    fn every_status_has_words() {
        for lang in Lang::ALL {
            let t = lang.texts();
            let all = [
                ReportStatus::Pending,
                ReportStatus::Open,
                ReportStatus::Received,
                ReportStatus::Waiting,
                ReportStatus::Done,
                ReportStatus::Completed,
                ReportStatus::Handled,
                ReportStatus::Failed,
                ReportStatus::Unknown,
            ];
            let mut words: Vec<_> = all.iter().map(|s| status(t, *s)).collect();
            words.sort_unstable();
            words.dedup();
            assert_eq!(words.len(), all.len(), "{lang:?}: two states share words");
        }
    }
}
