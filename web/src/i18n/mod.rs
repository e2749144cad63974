//! The app's words in Finnish (first) and English.
//!
//! Every text is a field of [`Texts`]; [`fi::TEXTS`] and [`en::TEXTS`] fill them all, so a
//! missing translation does not compile. Texts with values carry `{name}` placeholders that
//! [`fill`] replaces; a test checks both languages use the same placeholders. Messages the
//! gateway and the shared validation rules produce in English are translated in
//! [`messages`].

mod en;
mod fi;
pub mod messages;

use rappu_shared::finnish_time;

/// Declares a texts struct and its `entries` from one list of field names, so the list the
/// tests walk is the struct itself.
macro_rules! texts {
    ($(#[$doc:meta])* $texts:ident { $($name:ident),* $(,)? }) => {
        $(#[$doc])*
        pub struct $texts {
            $(#[allow(missing_docs)] pub $name: &'static str,)*
        }

        impl $texts {
            /// Every text with its field name, in declaration order (for tests).
            #[cfg_attr(not(test), allow(dead_code))]
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }
    };
}

texts! {
    /// All user-visible text of the app in one language (but the caretaker's page's).
    Texts {
    // Common
    skip_to_content, loading, retry, back_home, yes, no, close,
    language, error_network, error_unavailable, error_rate_limited, error_generic,
    error_session_expired, not_found_title, not_found_text, date_time, date, time, weekdays,
    // Landing page
    landing_lead, landing_display_title, landing_display_text, landing_portal_title,
    landing_portal_text, health_checking, health_ok, health_degraded, health_failed,
    // Display
    display_title, display_floor, display_staircase, display_staircase_continued,
    display_announcements, display_ongoing_work, display_contacts, display_maintenance,
    display_manager, display_board_chair, display_qr_caption, display_qr_alt, display_updated,
    display_offline_since, display_page, display_connecting, display_no_building,
    display_no_residents_name, display_announcement_n, display_published, display_valid_until,
    work_open, work_received, work_waiting, work_place_common_areas, work_place_outdoors,
    work_place_building,
    enroll_title, enroll_working, enroll_invalid, enroll_no_code, enroll_retrying,
    // Pairing: the unpaired screen and the caretaker's phone
    pairing_title, pairing_intro, pairing_code_label, pairing_qr_alt, pairing_offline,
    // Portal frame and sign-in
    portal_title, portal_nav, nav_new_report, nav_my_reports, sign_out, signin_title,
    signin_demo_intro, signin_link_note, login_title,
    login_working, login_invalid, login_no_code, signed_out,
    signin_email_intro, field_email, hint_email, signin_send_link, signin_sending,
    signin_link_sent, err_email, login_pick_intro,
    // Report form
    form_title, form_intro, field_topic, topic_apartment, topic_common_areas, topic_outdoors,
    field_title, hint_title, field_description, hint_description, field_location,
    hint_location, field_master_key, hint_master_key, field_pets, hint_pets, field_phone,
    hint_phone, field_photos, hint_photos, photo_add, photo_remove, photo_reading, photo_list,
    char_count, required, submit, sending, form_has_errors, key_reused, sent_notice,
    // Field errors
    err_required, err_min_chars, err_max_chars, err_control_chars, err_phone_chars,
    err_phone_digits, err_photos_count, err_photo_size, err_photo_name, err_photo_empty,
    err_photo_type, err_photo_read,
    // My reports and a report
    reports_title, reports_intro, reports_empty, reports_total_one, reports_total, report_filed,
    report_number, report_photos_one, report_photos, load_more, detail_status, detail_topic, detail_location, detail_master_key,
    detail_pets, detail_phone, detail_description, detail_timeline, detail_details,
    back_to_list, report_not_found, auto_refresh,
    status_pending, status_open, status_received, status_waiting, status_done,
    status_completed, status_handled, status_failed, status_unknown, meaning_pending, meaning_open,
    meaning_received, meaning_waiting, meaning_done, meaning_completed, meaning_handled,
    meaning_failed, meaning_unknown, waiting_for, photo_alt, photos_gone,
    }
}

texts! {
    /// The texts of a caretaker's pairing page, apart so the display and the portal do not
    /// carry them.
    PairTexts {
    pair_title, pair_signed_out, pair_link_invalid, pair_session, pair_code, pair_code_hint,
    pair_building, pair_choose, pair_staircase, pair_whole_building, pair_label,
    pair_label_hint, pair_submit, pair_done, pair_err_code, pair_err_no_display,
    }
}

/// A language of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Finnish, the default.
    #[default]
    Fi,
    /// English.
    En,
}

impl Lang {
    /// Both languages, Finnish first (for tests).
    #[cfg(test)]
    pub const ALL: [Lang; 2] = [Lang::Fi, Lang::En];

    /// The BCP 47 tag, for `lang` attributes and storage.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::En => "en",
        }
    }

    /// The language from its tag (`fi`, `en`, `en-GB`, ...).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "fi" => Some(Lang::Fi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's own name, as a switch shows it (always in that language).
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Fi => "Suomeksi",
            Lang::En => "In English",
        }
    }

    /// The texts of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Fi => &fi::TEXTS,
            Lang::En => &en::TEXTS,
        }
    }

    /// The caretaker's pairing page's texts in this language.
    pub fn pair_texts(self) -> &'static PairTexts {
        match self {
            Lang::Fi => &fi::PAIR,
            Lang::En => &en::PAIR,
        }
    }
}

/// Replaces each `{name}` in `template` with its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The `{name}` placeholders of a template, in order.
#[cfg_attr(not(test), allow(dead_code))]
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(&rest[start + 1..start + len]);
        rest = &rest[start + len + 1..];
    }
    out
}

/// `one` for exactly one, else `other`, with `{n}` filled in: "1 ilmoitus" / "2 ilmoitusta",
/// "1 report" / "2 reports" (both languages use the singular for one only).
pub fn plural(one: &str, other: &str, n: u64) -> String {
    fill(if n == 1 { one } else { other }, &[("n", &n.to_string())])
}

/// Milliseconds since the epoch as a UTC time (what `Date.now()` returns).
pub fn utc_from_millis(millis: f64) -> chrono::DateTime<chrono::Utc> {
    // An f64 of milliseconds since 1970 fits an i64 for any date a browser shows.
    #[allow(clippy::cast_possible_truncation)]
    let millis = millis as i64;
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// `hh:mm` (or `hh.mm`, as the language writes it) in Finnish time.
pub fn time_of_day(t: &Texts, at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    let local = finnish_time::to_local(at);
    fill(
        t.time,
        &[
            ("h", &format!("{:02}", local.hour())),
            ("m", &format!("{:02}", local.minute())),
        ],
    )
}

/// A date in Finnish time, as the language writes it (`24.11.2026`).
pub fn date(t: &Texts, at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    let local = finnish_time::to_local(at);
    fill(
        t.date,
        &[
            ("d", &local.day().to_string()),
            ("mo", &local.month().to_string()),
            ("y", &local.year().to_string()),
        ],
    )
}

/// The weekday and date in Finnish time (`ti 24.11.2026`), for the display's clock.
pub fn today(t: &Texts, at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    let local = finnish_time::to_local(at);
    let index = local.weekday().num_days_from_monday() as usize;
    let weekday = t.weekdays.split(',').nth(index).unwrap_or("");
    format!("{weekday} {}", date(t, at))
}

/// Date and time in Finnish time, as the language writes it.
pub fn date_time(t: &Texts, at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let local = finnish_time::to_local(at);
    fill(
        t.date_time,
        &[
            ("d", &local.day().to_string()),
            ("mo", &local.month().to_string()),
            ("y", &local.year().to_string()),
            ("h", &format!("{:02}", local.hour())),
            ("m", &format!("{:02}", local.minute())),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_both_languages_with_the_same_placeholders() {
        let both = |lang: Lang| {
            let mut all = lang.texts().entries();
            all.extend(lang.pair_texts().entries());
            all
        };
        let fi = both(Lang::Fi);
        let en = both(Lang::En);
        assert_eq!(fi.len(), en.len());
        for ((key, fi_text), (en_key, en_text)) in fi.iter().zip(&en) {
            assert_eq!(key, en_key);
            assert!(!fi_text.trim().is_empty(), "fi.{key} is empty");
            assert!(!en_text.trim().is_empty(), "en.{key} is empty");
            let mut a = placeholders(fi_text);
            let mut b = placeholders(en_text);
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{key}: placeholders differ between fi and en");
        }
    }

    #[test]
    fn the_languages_are_translated_not_copied() {
        let en = Lang::En.texts().entries();
        let same: Vec<_> = Lang::Fi
            .texts()
            .entries()
            .into_iter()
            .zip(en)
            .filter(|((_, fi), (_, en))| fi == en)
            .map(|((key, _), _)| key)
            .collect();
        // Only texts that are the same in both (numbers, symbols) may match.
        assert!(
            same.iter()
                .all(|k| ["required", "char_count", "display_page", "time"].contains(k)),
            "untranslated: {same:?}"
        );
    }

    #[test]
    fn plurals_are_right_in_both_languages() {
        let fi = Lang::Fi.texts();
        let en = Lang::En.texts();
        assert_eq!(
            plural(fi.reports_total_one, fi.reports_total, 1),
            "Yhteensä 1 ilmoitus."
        );
        assert_eq!(
            plural(fi.reports_total_one, fi.reports_total, 2),
            "Yhteensä 2 ilmoitusta."
        );
        assert_eq!(
            plural(fi.reports_total_one, fi.reports_total, 0),
            "Yhteensä 0 ilmoitusta."
        );
        assert_eq!(
            plural(en.reports_total_one, en.reports_total, 1),
            "1 report in all."
        );
        assert_eq!(
            plural(en.reports_total_one, en.reports_total, 2),
            "2 reports in all."
        );
        assert_eq!(plural(fi.report_photos_one, fi.report_photos, 1), "1 kuva");
        assert_eq!(
            plural(en.report_photos_one, en.report_photos, 3),
            "3 photos"
        );
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(fill("{n}. krs", &[("n", "3")]), "3. krs");
        assert_eq!(placeholders("a {x} b {y}"), ["x", "y"]);
        assert_eq!(placeholders("none"), Vec::<&str>::new());
    }

    #[test]
    fn language_tags_are_read_leniently() {
        assert_eq!(Lang::from_code("fi-FI"), Some(Lang::Fi));
        assert_eq!(Lang::from_code("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::from_code("sv"), None);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }

    #[test]
    fn times_are_finnish_time() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T14:05:00Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        assert_eq!(time_of_day(Lang::Fi.texts(), at), "16.05");
        assert_eq!(time_of_day(Lang::En.texts(), at), "16:05");
        assert_eq!(date_time(Lang::Fi.texts(), at), "23.11.2026 klo 16.05");
        assert_eq!(today(Lang::Fi.texts(), at), "ma 23.11.2026");
        assert_eq!(today(Lang::En.texts(), at), "Mon 23/11/2026");
        assert_eq!(
            utc_from_millis(1_795_442_700_000.0).to_rfc3339(),
            "2026-11-23T14:05:00+00:00"
        );
    }
}
