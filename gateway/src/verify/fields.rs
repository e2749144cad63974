//! Every field Rappu reads, tallied over the rows the go-live check saw: present with the
//! expected type, missing, `null`, or of another type; for enums, the values seen (names
//! or numbers, known or not); for times, the forms seen.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::upstream::tampuuri::model::{ConnectionRole, ObjectKind, PartyKind, ReportState, Topic};

/// What a field should hold.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// An integer (a string of digits is read too, and noted).
    Int,
    /// Text.
    Text,
    /// A pick-list value or a flag (`Sisaanpaasy`): the values are listed.
    Choice,
    /// A flag.
    Flag,
    /// A timestamp.
    Time,
    /// A date (or a full timestamp).
    Date,
    /// An enum: its known names and codes.
    Enum(&'static [(&'static str, i64)]),
    /// A nested object.
    Object,
    /// A list.
    List,
}

/// The fields of each kind of row Rappu reads (`alternatives` are read when the first name
/// is absent).
pub const SPECS: &[(&str, &[(&str, Expect)])] = &[
    (
        "Object",
        &[
            ("Id", Expect::Int),
            ("KohdeMetatyyppi", Expect::Enum(ObjectKind::KNOWN)),
            ("Nimi", Expect::Text),
            ("Tunnus", Expect::Text),
            ("YlaKohdeId", Expect::Int),
            ("KustannuspaikkaId", Expect::Int),
            ("Katuosoite", Expect::Text),
            ("Porras", Expect::Text),
            ("Kerros", Expect::Int),
            ("Huoneistonumero", Expect::Int),
        ],
    ),
    (
        "Connection",
        &[
            ("Id", Expect::Int),
            ("KohdeId", Expect::Int),
            ("Rooli", Expect::Enum(ConnectionRole::KNOWN)),
            ("Alkaa", Expect::Date),
            ("Paattyy", Expect::Date),
            ("PiilotaPorrasnaytolta", Expect::Flag),
            ("Osapuoli", Expect::Object),
        ],
    ),
    (
        "Party",
        &[
            ("Id", Expect::Int),
            ("Osapuolityyppi", Expect::Enum(PartyKind::KNOWN)),
            ("Nimi", Expect::Text),
            ("Etunimi", Expect::Text),
            ("Sukunimi", Expect::Text),
            ("Matkapuhelin", Expect::Text),
            ("Sahkoposti", Expect::Text),
            ("Turvakielto", Expect::Flag),
            ("Arkistoitu", Expect::Time),
        ],
    ),
    (
        "Announcement",
        &[
            ("Id", Expect::Int),
            ("KohdeId", Expect::Int),
            ("Otsikko", Expect::Text),
            ("Sisalto", Expect::Text),
            ("Julkaistu", Expect::Time),
            ("VoimassaAlkaen", Expect::Time),
            ("VoimassaAsti", Expect::Time),
        ],
    ),
    (
        "FaultReport",
        &[
            ("Id", Expect::Int),
            ("Ilmoitusnumero", Expect::Text),
            ("Otsikko", Expect::Text),
            ("TyotehtavanKuvaus", Expect::Text),
            ("Kuvaus", Expect::Text),
            ("Aihe", Expect::Enum(Topic::KNOWN)),
            ("KohdeId", Expect::Int),
            ("Tila", Expect::Enum(ReportState::KNOWN)),
            ("Tilahistoria", Expect::List),
            ("IlmoittajaId", Expect::Int),
            ("TyonsuorittajaId", Expect::Int),
            ("Sisaanpaasy", Expect::Choice),
            ("UlkoinenTunniste", Expect::Text),
            ("Luotu", Expect::Time),
        ],
    ),
    (
        "PartySummary",
        &[
            ("Id", Expect::Int),
            ("Nimi", Expect::Text),
            ("Osapuolityyppi", Expect::Enum(PartyKind::KNOWN)),
            ("Turvakielto", Expect::Flag),
        ],
    ),
];

/// One field's tally.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldTally {
    /// Kind of row, e.g. `Party`.
    pub row: String,
    /// Field name, e.g. `Turvakielto`.
    pub field: String,
    /// Rows with the field, of the expected type.
    pub present: u64,
    /// Rows without the field.
    pub missing: u64,
    /// Rows with `null`.
    pub null: u64,
    /// Rows with another type (e.g. an object where text was expected).
    pub other_type: u64,
    /// Enums: every value seen (a number as its digits).
    pub values: Vec<String>,
    /// Enums: values Rappu does not know.
    pub unknown: Vec<String>,
    /// Enums: how many came as numbers.
    pub as_number: u64,
    /// Times: how many had seven fractional digits.
    pub seven_digits: u64,
    /// Times: how many had no offset.
    pub no_offset: u64,
    /// Dates: how many came as full timestamps.
    pub date_as_timestamp: u64,
    /// Flags, numbers: how many came as text.
    pub as_text: u64,
}

/// Tallies of every field, by (row, field).
#[derive(Debug, Default)]
pub struct Tallies(BTreeMap<(&'static str, &'static str), FieldTally>);

impl Tallies {
    /// Counts one row of kind `row`.
    pub fn add(&mut self, row: &'static str, value: &Value) {
        let Some(specs) = SPECS.iter().find(|(r, _)| *r == row).map(|(_, s)| *s) else {
            return;
        };
        let Value::Object(map) = value else {
            return;
        };
        for (field, expect) in specs {
            let t = self.0.entry((row, field)).or_insert_with(|| FieldTally {
                row: row.to_owned(),
                field: (*field).to_owned(),
                ..FieldTally::default()
            });
            match map.get(*field) {
                None => t.missing += 1,
                Some(Value::Null) => t.null += 1,
                Some(v) => classify(t, *expect, v),
            }
        }
        if row == "Connection"
            && let Some(party) = map.get("Osapuoli")
        {
            self.add("Party", party);
        }
    }

    /// The tallies, in a stable order.
    pub fn into_vec(self) -> Vec<FieldTally> {
        self.0.into_values().collect()
    }
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) && list.len() < 20 {
        list.push(value);
    }
}

fn classify(t: &mut FieldTally, expect: Expect, v: &Value) {
    let ok = match (expect, v) {
        (Expect::Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Expect::Int, Value::String(s)) => {
            t.as_text += 1;
            s.trim().parse::<i64>().is_ok()
        }
        (Expect::Text, Value::String(_)) | (Expect::Text, Value::Number(_)) => true,
        (Expect::Flag, Value::Bool(_)) => true,
        (Expect::Choice, Value::Bool(b)) => {
            push_unique(&mut t.values, b.to_string());
            true
        }
        (Expect::Choice, Value::String(s)) => {
            push_unique(&mut t.values, s.clone());
            true
        }
        (Expect::Flag, Value::String(_) | Value::Number(_)) => {
            t.as_text += 1;
            true
        }
        (Expect::Time, Value::String(s)) => {
            time_forms(t, s);
            crate::upstream::tampuuri::time::parse_datetime(s).is_some()
        }
        (Expect::Date, Value::String(s)) => {
            if s.len() > 10 {
                t.date_as_timestamp += 1;
            }
            crate::upstream::tampuuri::time::parse_date(s).is_some()
        }
        (Expect::Enum(known), Value::String(s)) => {
            push_unique(&mut t.values, s.clone());
            if !known.iter().any(|(name, _)| name == s) {
                push_unique(&mut t.unknown, s.clone());
            }
            true
        }
        (Expect::Enum(known), Value::Number(n)) => {
            t.as_number += 1;
            let text = n.to_string();
            push_unique(&mut t.values, text.clone());
            if !known.iter().any(|(_, code)| Some(*code) == n.as_i64()) {
                push_unique(&mut t.unknown, text);
            }
            true
        }
        (Expect::Object, Value::Object(_)) | (Expect::List, Value::Array(_)) => true,
        _ => false,
    };
    if ok {
        t.present += 1;
    } else {
        t.other_type += 1;
    }
}

fn time_forms(t: &mut FieldTally, s: &str) {
    let s = s.trim();
    let fraction = s
        .split_once('.')
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).count());
    if fraction == Some(7) {
        t.seven_digits += 1;
    }
    let time = s.get(11..).unwrap_or("");
    if !(time.ends_with('Z') || time.contains('+') || time.contains('-')) {
        t.no_offset += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_read_every_form() {
        let mut t = Tallies::default();
        t.add(
            "Connection",
            &serde_json::json!({"Id": "5", "KohdeId": 1, "Rooli": 99, "Alkaa": "2019-06-01T00:00:00",
                "Osapuoli": {"Id": 2, "Osapuolityyppi": "Henkilo", "Turvakielto": null,
                             "Arkistoitu": "2021-10-26T13:20:55.1824125"}}),
        );
        let all = t.into_vec();
        let get = |row: &str, field: &str| {
            all.iter()
                .find(|f| f.row == row && f.field == field)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(get("Connection", "Id").as_text, 1);
        assert_eq!(get("Connection", "Rooli").unknown, vec!["99"]);
        assert_eq!(get("Connection", "Alkaa").date_as_timestamp, 1);
        assert_eq!(get("Connection", "Paattyy").missing, 1);
        assert_eq!(get("Party", "Turvakielto").null, 1);
        let archived = get("Party", "Arkistoitu");
        assert_eq!((archived.seven_digits, archived.no_offset), (1, 1));
    }
}
