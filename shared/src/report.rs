//! Resident fault reports and partner work orders, with the validation rules both the
//! gateway and the web app apply (the web app as you type, the gateway on arrival).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::problem::FieldError;

/// Longest title, in characters.
pub const TITLE_MAX: usize = 100;
/// Shortest title, in characters.
pub const TITLE_MIN: usize = 3;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 2000;
/// Longest location text, in characters.
pub const LOCATION_MAX: usize = 100;
/// Longest pets text, in characters.
pub const PETS_MAX: usize = 200;
/// Most photos per report.
pub const PHOTOS_MAX: usize = 5;
/// Largest photo, in bytes (decoded).
pub const PHOTO_BYTES_MAX: usize = 5 * 1024 * 1024;
/// Longest photo file name, in characters.
pub const PHOTO_NAME_MAX: usize = 120;
/// Longest reason or summary a partner writes, in characters.
pub const NOTE_MAX: usize = 1000;

/// Where the fault is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportTopic {
    /// In the resident's own apartment.
    Apartment,
    /// In the building's common areas (stairwell, sauna, laundry, ...).
    CommonAreas,
    /// Outdoors (yard, parking, ...).
    Outdoors,
}

/// A photo attached to a new report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PhotoUpload {
    /// The file's name, e.g. `hana.jpg` (informative only: the type is judged by the bytes).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: String,
    /// The image, standard base64: at most 5 MiB of JPEG, PNG, WebP or HEIC, so at most
    /// 6,990,508 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 6_990_508, content_encoding = "base64")
    )]
    pub data: String,
}

/// A new fault report from a resident (`POST /api/v1/fault-reports`). The apartment comes
/// from the resident's credentials, never from the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFaultReport {
    /// Apartment, common areas or outdoors.
    pub topic: ReportTopic,
    /// Short title, e.g. `Keittiön hana vuotaa`: 3 to 100 characters (not counting spaces
    /// around it), one line.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 100,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub title: String,
    /// What is wrong: 1 to 2000 characters, not only spaces; line breaks allowed.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 2000,
            pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
        )
    )]
    pub description: String,
    /// Where exactly, e.g. `Keittiö` or `B-rapun sauna`: at most 100 characters, one line.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")
    )]
    pub location: Option<String>,
    /// May the maintenance worker enter with a master key?
    pub master_key_allowed: bool,
    /// Pets in the apartment, free text (empty: none): at most 200 characters, one line.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 200, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")
    )]
    pub pets: Option<String>,
    /// Phone number the worker can call: 6 to 15 digits, with spaces, dashes, parentheses
    /// and a leading `+` allowed.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*\+?[0-9 ()\-]*\s*$"))]
    pub contact_phone: String,
    /// Up to [`PHOTOS_MAX`] photos.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 5))]
    pub photos: Vec<PhotoUpload>,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Checks a phone number: digits with optional leading `+`, spaces, dashes and parentheses,
/// 6 to 15 digits (E.164 allows 15).
pub fn validate_phone(phone: &str) -> Result<(), &'static str> {
    let trimmed = phone.trim();
    if trimmed.is_empty() {
        return Err("is required");
    }
    let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
    {
        return Err("may contain only digits, spaces, dashes, parentheses and a leading +");
    }
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if !(6..=15).contains(&digits) {
        return Err("must have 6 to 15 digits");
    }
    Ok(())
}

/// Checks free text: length in characters, no control characters except line breaks.
fn check_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    multiline: bool,
) {
    let n = chars(value.trim());
    if n < min {
        let message = if min <= 1 {
            "is required".to_owned()
        } else {
            format!("must be at least {min} characters")
        };
        errors.push(FieldError::new(field, message));
    } else if chars(value) > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        errors.push(FieldError::new(field, "contains control characters"));
    }
}

/// Decoded size of standard base64 text, without decoding it.
pub fn base64_decoded_len(data: &str) -> usize {
    let len = data.len();
    let padding = data.bytes().rev().take_while(|b| *b == b'=').count().min(2);
    (len / 4) * 3 + (len % 4).saturating_sub(1) - padding.min((len / 4) * 3)
}

impl NewFaultReport {
    /// Every rule the gateway enforces that can be checked without decoding the photos
    /// (the gateway also checks each photo's bytes). Returns all failures, not the first.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        check_text(
            &mut errors,
            "title",
            &self.title,
            TITLE_MIN,
            TITLE_MAX,
            false,
        );
        check_text(
            &mut errors,
            "description",
            &self.description,
            1,
            DESCRIPTION_MAX,
            true,
        );
        if let Some(location) = &self.location {
            check_text(&mut errors, "location", location, 0, LOCATION_MAX, false);
        }
        if let Some(pets) = &self.pets {
            check_text(&mut errors, "pets", pets, 0, PETS_MAX, false);
        }
        if let Err(message) = validate_phone(&self.contact_phone) {
            errors.push(FieldError::new("contact_phone", message));
        }
        if self.photos.len() > PHOTOS_MAX {
            errors.push(FieldError::new(
                "photos",
                format!("at most {PHOTOS_MAX} photos"),
            ));
        }
        for (i, photo) in self.photos.iter().enumerate() {
            let name = photo.name.trim();
            if name.is_empty() || chars(name) > PHOTO_NAME_MAX || name.chars().any(char::is_control)
            {
                errors.push(FieldError::new(
                    format!("photos[{i}].name"),
                    format!("must be 1 to {PHOTO_NAME_MAX} characters"),
                ));
            }
            if photo.data.is_empty() {
                errors.push(FieldError::new(format!("photos[{i}].data"), "is empty"));
            } else if base64_decoded_len(&photo.data) > PHOTO_BYTES_MAX {
                errors.push(FieldError::new(
                    format!("photos[{i}].data"),
                    format!("must be at most {} MB", PHOTO_BYTES_MAX / (1024 * 1024)),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Where a report is in its life, as residents and partners see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Received by Rappu, waiting for delivery to the property manager's system.
    Pending,
    /// Delivered; nobody has taken it yet.
    Open,
    /// The maintenance company took it.
    Received,
    /// On hold, with a reason.
    Waiting,
    /// The work is done.
    Done,
    /// Completed.
    Completed,
    /// Passed on to a follow-up job; this report is handled.
    Handled,
    /// Rappu could not deliver it: the property manager's system refused it. The operator
    /// has been told and can send it again; nothing the resident wrote is lost.
    Failed,
    /// Tampuuri reports a state this version of Rappu does not know (shown as such, never
    /// guessed).
    Unknown,
}

/// One step of a report's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// The status reached.
    pub status: ReportStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Why it waits, or what was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A resident's fault report as the resident sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaultReport {
    /// Rappu's id for the report (stable from the moment it is filed).
    pub id: String,
    /// The property manager's report number, once delivered.
    pub number: Option<String>,
    /// Topic.
    pub topic: ReportTopic,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Location.
    pub location: Option<String>,
    /// Master-key permission.
    pub master_key_allowed: bool,
    /// Pets.
    pub pets: Option<String>,
    /// Contact phone.
    pub contact_phone: String,
    /// Number of photos attached.
    pub photo_count: u32,
    /// Current status.
    pub status: ReportStatus,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
    /// Every status reached, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// A page of reports, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportPage<T> {
    /// The reports.
    pub items: Vec<T>,
    /// Reports in all pages.
    pub total: u64,
    /// Reports skipped.
    pub offset: u64,
    /// Page size asked for.
    pub limit: u64,
}

/// A report assigned to a maintenance partner (`/api/v1/work-orders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrder {
    /// Tampuuri report id.
    pub id: u64,
    /// Report number.
    pub number: Option<String>,
    /// Topic.
    pub topic: Option<ReportTopic>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Where: address and apartment or space.
    pub location: Option<String>,
    /// Master-key permission.
    pub master_key_allowed: Option<bool>,
    /// Pets.
    pub pets: Option<String>,
    /// Who to call about access.
    pub contact_phone: Option<String>,
    /// Current status.
    pub status: ReportStatus,
    /// When it was filed.
    pub created_at: Option<DateTime<Utc>>,
    /// Every status reached, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// Body of `POST /api/v1/work-orders/{id}/hold`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HoldWorkOrder {
    /// Why the work waits; the resident sees it. 1 to 1000 characters, not only spaces.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 1000,
            pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
        )
    )]
    pub reason: String,
}

/// Body of `POST /api/v1/work-orders/{id}/done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteWorkOrder {
    /// What was done; the resident sees it. 1 to 1000 characters, not only spaces.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 1000,
            pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
        )
    )]
    pub summary: String,
}

/// Validates a partner's reason or summary.
pub fn validate_note(field: &str, value: &str) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    check_text(&mut errors, field, value, 1, NOTE_MAX, true);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> NewFaultReport {
        NewFaultReport {
            topic: ReportTopic::Apartment,
            title: "Keittiön hana vuotaa".into(),
            description: "Hana tippuu jatkuvasti.\nMyös yöllä.".into(),
            location: Some("Keittiö".into()),
            master_key_allowed: true,
            pets: Some("Kissa".into()),
            contact_phone: "040 123 4567".into(),
            photos: vec![],
        }
    }

    fn fields(r: &NewFaultReport) -> Vec<String> {
        r.validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_good_report_passes() {
        assert_eq!(report().validate(), Ok(()));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut r = report();
        r.title = "ab".into();
        r.description = "   ".into();
        r.location = Some("x".repeat(LOCATION_MAX + 1));
        r.pets = Some("koira\u{7}".into());
        r.contact_phone = "soita".into();
        assert_eq!(
            fields(&r),
            ["title", "description", "location", "pets", "contact_phone"]
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut r = report();
        r.title = "ä".repeat(TITLE_MAX);
        assert_eq!(r.validate(), Ok(()));
        r.title.push('ä');
        assert_eq!(fields(&r), ["title"]);
    }

    #[test]
    fn phones() {
        for ok in [
            "040 123 4567",
            "+358 40 123 4567",
            "(09) 123-456",
            "0401234567",
        ] {
            assert_eq!(validate_phone(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "12345",
            "+358 40 123 4567 8901 23",
            "040-ABC",
            "++358401234567",
        ] {
            assert!(validate_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn photos_are_counted_named_and_sized() {
        let mut r = report();
        r.photos = (0..PHOTOS_MAX + 1)
            .map(|i| PhotoUpload {
                name: format!("{i}.jpg"),
                data: "AAAA".into(),
            })
            .collect();
        assert_eq!(fields(&r), ["photos"]);
        r.photos = vec![
            PhotoUpload {
                name: " ".into(),
                data: "AAAA".into(),
            },
            PhotoUpload {
                name: "big.jpg".into(),
                data: "A".repeat(PHOTO_BYTES_MAX / 3 * 4 + 8),
            },
            PhotoUpload {
                name: "empty.jpg".into(),
                data: String::new(),
            },
        ];
        assert_eq!(
            fields(&r),
            ["photos[0].name", "photos[1].data", "photos[2].data"]
        );
    }

    #[test]
    fn base64_length_is_computed_without_decoding() {
        assert_eq!(base64_decoded_len(""), 0);
        assert_eq!(base64_decoded_len("AAAA"), 3);
        assert_eq!(base64_decoded_len("AAA="), 2);
        assert_eq!(base64_decoded_len("AA=="), 1);
        assert_eq!(base64_decoded_len("AAAAAAAA"), 6);
    }
}
