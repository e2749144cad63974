//! Pairing a stairwell display the way a TV app is signed in, after the OAuth 2.0 device
//! authorization grant (RFC 8628): the screen asks for a pairing and shows a short code; a
//! caretaker (or an operator through the admin API) enters the code and picks the building
//! and staircase; the screen, which keeps asking, gets its session.
//!
//! The screen's secret (RFC 8628's `device_code`) never reaches the page: the gateway keeps
//! it in an HttpOnly cookie. What the page sees and shows is the public user code.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::property::Building;

/// The characters of a user code: digits and capitals without the ones people confuse
/// (`0`/`O`, `1`/`I`/`L`). 31 symbols, 8 of them: 8.5 × 10¹¹ codes.
pub const USER_CODE_ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a user code.
pub const USER_CODE_LEN: usize = 8;
/// Longest display or caretaker label, in characters.
pub const LABEL_MAX: usize = 100;

/// The code as typed (any case, spaces and hyphens anywhere) in its stored form
/// (`ABCDEFGH`); `None` when it cannot be a code.
pub fn normalize_user_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{2011}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.chars().count() == USER_CODE_LEN && code.chars().all(|c| USER_CODE_ALPHABET.contains(c)))
        .then_some(code)
}

/// A code as shown: two groups of four (`ABCD-EFGH`).
pub fn format_user_code(code: &str) -> String {
    let (head, tail) = code.split_at(code.len().min(USER_CODE_LEN / 2));
    if tail.is_empty() {
        head.to_owned()
    } else {
        format!("{head}-{tail}")
    }
}

fn check_label(errors: &mut Vec<FieldError>, label: Option<&str>) {
    if let Some(label) = label {
        if label.chars().count() > LABEL_MAX {
            errors.push(FieldError::new(
                "label",
                format!("must be at most {LABEL_MAX} characters"),
            ));
        } else if label.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "label",
                "must not contain control characters",
            ));
        }
    }
}

/// A new pairing, as the screen gets it (`POST /api/v1/displays/pairing`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairingStarted {
    /// The code the screen shows (`ABCDEFGH`; shown as `ABCD-EFGH`).
    #[cfg_attr(feature = "openapi", schema(example = "K7PM4XQ2"))]
    pub user_code: String,
    /// Where a caretaker enters the code.
    pub verification_uri: String,
    /// The same with the code filled in (the screen's QR code).
    pub verification_uri_complete: String,
    /// The code stops working then; the screen asks for a new one.
    pub expires_at: DateTime<Utc>,
    /// Seconds to wait between polls after a `pending` answer (each poll itself waits up
    /// to ~20 s for the approval).
    pub interval_secs: u32,
}

/// What a poll of the screen learns (`POST /api/v1/displays/pairing/poll`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PairingPoll {
    /// Nobody has entered the code yet.
    Pending {
        /// The code stops working then.
        expires_at: DateTime<Utc>,
    },
    /// Paired: the answer carries the display's session cookie.
    Paired {
        /// The building the display shows.
        building: u64,
        /// The staircase, when it shows only one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        staircase: Option<u64>,
    },
}

/// A code entered by a caretaker or an operator, with where the display stands
/// (`POST /api/v1/displays/pairing/approve`, `POST /api/v1/admin/displays/pairings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApprovePairing {
    /// The code on the screen; case, spaces and hyphens do not matter.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "K7PM-4XQ2",
            pattern = r"^[ \-\u2011]*([2-9A-HJKMNP-Za-hjkmnp-z][ \-\u2011]*){8}$"
        )
    )]
    pub code: String,
    /// Building object id.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub building: u64,
    /// Staircase object id, for a display that shows one staircase.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub staircase: Option<u64>,
    /// A name for the display, e.g. `Koivukuja 3 A, entrance`: at most 100 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")
    )]
    pub label: Option<String>,
}

impl ApprovePairing {
    /// The checks that need no database: the code's shape and the label.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if normalize_user_code(&self.code).is_none() {
            errors.push(FieldError::new(
                "code",
                format!("must be the {USER_CODE_LEN} characters shown on the display"),
            ));
        }
        check_label(&mut errors, self.label.as_deref());
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Where a display stands (`PUT /api/v1/admin/displays/{id}`): reassigning it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisplayAssignment {
    /// Building object id.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub building: u64,
    /// Staircase object id, for a display that shows one staircase.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub staircase: Option<u64>,
    /// A name for the display: at most 100 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")
    )]
    pub label: Option<String>,
}

impl DisplayAssignment {
    /// The checks that need no database.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        check_label(&mut errors, self.label.as_deref());
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A paired display, as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairedDisplay {
    /// Rappu's id of the display.
    pub id: String,
    /// Its name, if it was given one.
    pub label: Option<String>,
    /// The building it shows.
    pub building: u64,
    /// The staircase, when it shows only one.
    pub staircase: Option<u64>,
    /// When it was paired.
    pub paired_at: DateTime<Utc>,
    /// Who paired it (`admin:<subject>` or `caretaker:<label>`).
    pub paired_by: String,
    /// When it last renewed its session (it does while it is on).
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A caretaker's pairing link to create (`POST /api/v1/admin/displays/caretaker-links`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCaretakerLink {
    /// The buildings the caretaker may pair displays in (1 to 50).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Vec<crate::apps::ObjectId>, min_items = 1, max_items = 50)
    )]
    pub buildings: Vec<u64>,
    /// Who the link is for, e.g. `Huolto Oy Virtanen`: at most 100 characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")
    )]
    pub label: Option<String>,
    /// Days the caretaker's phone may pair displays once the link is opened (1 to 365;
    /// default 90).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub days: Option<u32>,
}

/// Most buildings a caretaker link can name.
pub const CARETAKER_BUILDINGS_MAX: usize = 50;

impl NewCaretakerLink {
    /// The checks that need no Tampuuri.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.buildings.is_empty() || self.buildings.len() > CARETAKER_BUILDINGS_MAX {
            errors.push(FieldError::new(
                "buildings",
                format!("must name 1 to {CARETAKER_BUILDINGS_MAX} buildings"),
            ));
        }
        if self.days.is_some_and(|d| !(1..=365).contains(&d)) {
            errors.push(FieldError::new("days", "must be 1 to 365"));
        }
        check_label(&mut errors, self.label.as_deref());
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A caretaker's phone, signed in to pair displays (`GET /api/v1/displays/pairing/caretaker`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaretakerSession {
    /// Who the link was made for.
    pub label: Option<String>,
    /// Until when this phone may pair displays.
    pub expires_at: DateTime<Utc>,
    /// The buildings it may pair displays in, with their staircases.
    pub buildings: Vec<Building>,
}

/// A display's own session (`POST /api/v1/display/session`): renewed while the display is
/// on, and following its operator's reassignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisplaySession {
    /// The building it shows.
    pub building: u64,
    /// The staircase, when it shows only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staircase: Option<u64>,
    /// When the session ends unless renewed.
    pub expires_at: DateTime<Utc>,
    /// Whether this answer set a new session cookie.
    pub renewed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalized_from_what_people_type() {
        assert_eq!(
            normalize_user_code("k7pm-4xq2").as_deref(),
            Some("K7PM4XQ2")
        );
        assert_eq!(
            normalize_user_code(" K7PM 4XQ2 ").as_deref(),
            Some("K7PM4XQ2")
        );
        assert_eq!(normalize_user_code("K7PM4XQ"), None);
        assert_eq!(normalize_user_code("K7PM4XQ22"), None);
        // 0, O, 1, I and L are never in a code.
        for bad in ["K7PM4XQ0", "K7PM4XQO", "K7PM4XQ1", "K7PM4XQI", "K7PM4XQL"] {
            assert_eq!(normalize_user_code(bad), None, "{bad}");
        }
        assert_eq!(format_user_code("K7PM4XQ2"), "K7PM-4XQ2");
        assert_eq!(USER_CODE_ALPHABET.len(), 31);
    }

    #[test]
    fn bodies_name_every_bad_field() {
        let bad = ApprovePairing {
            code: "nope".into(),
            building: 1,
            staircase: None,
            label: Some("x".repeat(LABEL_MAX + 1)),
        };
        let errors = bad.validate().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "label"]);
        let link = NewCaretakerLink {
            buildings: vec![],
            label: None,
            days: Some(0),
        };
        let fields: Vec<_> = link
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["buildings", "days"]);
    }
}
