//! Dialects: the ways a real Tampuuri account has been seen, or may be expected, to write
//! its JSON. Each account speaks one (`SimConfig::dialects`, `/_sim/accounts/{a}/dialect`);
//! the default is [`Dialect::classic`], the simulator's original behaviour.
//!
//! A dialect changes only the wire: the data behind it is the same. Its knobs are
//! independent so that a test can turn one at a time; the presets combine them.

use serde::{Deserialize, Serialize};

use crate::data::rng;

/// How one account writes its answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dialect {
    /// The shape of a paged answer.
    pub paging: Paging,
    /// Enums as names or as integer codes ([`crate::codes`]).
    pub enums: Enums,
    /// Whether the account stores and searches `UlkoinenTunniste` (a caller's correlation
    /// id). When false it is ignored on create and as a search filter, and never returned.
    pub external_id: bool,
    /// Probability (0–1) with which each optional field of each returned row is left out,
    /// decided from the account seed, the row and the field: the same row always lacks the
    /// same fields. Ids, an object's `KohdeMetatyyppi`, `YlaKohdeId` and
    /// `KustannuspaikkaId`, a connection's `KohdeId`, `Rooli` and `Osapuoli`, and a report's
    /// `Tila` and description are never left out ([`RowKind::protected`]).
    pub drop_optional: f64,
    /// Probability (0–1) with which an optional field that is present comes as `null`.
    pub null_optional: f64,
    /// How timestamps (and dates) are written.
    pub timestamps: Timestamps,
    /// Refuse (406) a call whose `Accept` header does not allow `application/json`.
    pub require_accept_json: bool,
    /// Fault-report rows as the simulator first guessed them or as the help pages show.
    pub report_fields: ReportFields,
    /// The answer of a create route that answers only the new id (`ilmoitukset/lisaa`).
    pub created_id: CreatedId,
    /// Probability (0–1) with which a row of an owner connection or of an announcement is
    /// damaged beyond reading (its `Rooli` or `Id` replaced by an object), decided from the
    /// account seed and the row: what a reader must skip with a warning, never failing the
    /// page. In no preset; [`Dialect::damaged`] turns it on.
    pub corrupt_rows: f64,
}

/// The shape of a paged answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paging {
    /// `{"Items": [...], "Metadata": {"Offset", "Limit", "Total"}}` (seed 003).
    #[default]
    Nested,
    /// `{"Offset", "Limit", "Total", "Items": [...]}` (help page of `tiedostoloki/selaa`).
    Flat,
}

/// Enums as names or numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enums {
    /// `"Huoneisto"`.
    #[default]
    Names,
    /// `4`, and now and then a code no reader knows.
    Numbers,
}

/// How timestamps are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timestamps {
    /// `2026-11-20T08:00:00+02:00`; dates `2026-11-20`.
    #[default]
    Offset,
    /// `2026-11-20T08:00:00.0000000+02:00` (help pages); dates `2026-11-20T00:00:00`.
    SevenDigits,
    /// `2026-11-20T08:00:00`, Finnish wall-clock time without an offset, fractions only
    /// when there are any (webhook sample); dates `2026-11-20T00:00:00`.
    Naive,
}

/// Which fault-report fields a row carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportFields {
    /// `Kuvaus` and `TyotehtavanKuvaus`; `Sisaanpaasy` a boolean.
    #[default]
    Classic,
    /// `TyotehtavanKuvaus` only; `Sisaanpaasy` a pick-list string.
    Vendor,
}

/// The answer of a create route that answers the new id only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreatedId {
    /// `{"Id": 500123}` (the `GenericPostResponse` of the help's other create routes).
    #[default]
    Object,
    /// `500123`.
    Bare,
}

impl Default for Dialect {
    fn default() -> Self {
        Self::classic()
    }
}

/// What a dialect does to one optional field of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldFate {
    /// Sent as it is.
    Present,
    /// Left out of the row.
    Absent,
    /// Sent as `null`.
    Null,
}

/// The kinds of rows a dialect thins out (each has its own protected fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// An object of the registry.
    Object,
    /// A party (also when embedded in a connection).
    Party,
    /// A connection of a party to an object.
    Connection,
    /// An announcement.
    Announcement,
    /// A fault report.
    Report,
}

impl RowKind {
    fn tag(self) -> u64 {
        match self {
            Self::Object => 1,
            Self::Party => 2,
            Self::Connection => 3,
            Self::Announcement => 4,
            Self::Report => 5,
        }
    }

    /// Fields a dialect never leaves out or nulls in this kind of row: ids, the registry
    /// tree's links (integrations navigate it by them), and a report's state and description
    /// (required by the documented create model, so on every report a caller filed).
    pub fn protected(self) -> &'static [&'static str] {
        match self {
            Self::Object => &["Id", "KohdeMetatyyppi", "YlaKohdeId", "KustannuspaikkaId"],
            Self::Connection => &["Id", "KohdeId", "Rooli", "Osapuoli"],
            Self::Report => &["Id", "Tila", "TyotehtavanKuvaus", "Kuvaus"],
            Self::Party | Self::Announcement => &["Id"],
        }
    }
}

/// A stable number for a field name (FNV-1a).
fn field_hash(field: &str) -> u64 {
    field.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A number in `[0, 1)` from the parts.
fn unit(parts: &[u64]) -> f64 {
    (rng::hash(parts) >> 11) as f64 / (1u64 << 53) as f64
}

impl Dialect {
    /// The simulator's original behaviour: nested paging, names, external ids, every
    /// field, timestamps with offset, any `Accept`.
    pub fn classic() -> Self {
        Self {
            paging: Paging::Nested,
            enums: Enums::Names,
            external_id: true,
            drop_optional: 0.0,
            null_optional: 0.0,
            timestamps: Timestamps::Offset,
            require_accept_json: false,
            report_fields: ReportFields::Classic,
            created_id: CreatedId::Object,
            corrupt_rows: 0.0,
        }
    }

    /// What the vendor's public help pages show: flat paging, enums as numbers, no
    /// external id, sparse rows, seven-digit timestamps, JSON only on request.
    pub fn vendor_help() -> Self {
        Self {
            paging: Paging::Flat,
            enums: Enums::Numbers,
            external_id: false,
            drop_optional: 0.3,
            null_optional: 0.1,
            timestamps: Timestamps::SevenDigits,
            require_accept_json: true,
            report_fields: ReportFields::Vendor,
            created_id: CreatedId::Bare,
            corrupt_rows: 0.0,
        }
    }

    /// The knobs the other two presets leave untried: nested paging with numbers, naive
    /// timestamps, many nulls, external ids kept.
    pub fn mixed() -> Self {
        Self {
            paging: Paging::Nested,
            enums: Enums::Numbers,
            external_id: true,
            drop_optional: 0.15,
            null_optional: 0.25,
            timestamps: Timestamps::Naive,
            require_accept_json: false,
            report_fields: ReportFields::Vendor,
            created_id: CreatedId::Object,
            corrupt_rows: 0.0,
        }
    }

    /// The classic wire with some rows no reader can read (owner connections and
    /// announcements): for tests of how a reader skips and reports them.
    pub fn damaged() -> Self {
        Self {
            corrupt_rows: 0.3,
            ..Self::classic()
        }
    }

    /// Whether the row of `kind` with id `id` goes out damaged.
    pub fn corrupts(&self, seed: u64, kind: RowKind, id: i64) -> bool {
        self.corrupt_rows > 0.0 && unit(&[seed, kind.tag(), id as u64, 0xBAD]) < self.corrupt_rows
    }

    /// Every preset by name, for tests that must pass in every dialect.
    pub fn presets() -> Vec<(&'static str, Dialect)> {
        vec![
            ("classic", Self::classic()),
            ("vendor_help", Self::vendor_help()),
            ("mixed", Self::mixed()),
        ]
    }

    /// The name of the preset this dialect equals, if any.
    pub fn preset_name(&self) -> Option<&'static str> {
        Self::presets()
            .into_iter()
            .find(|(_, d)| d == self)
            .map(|(name, _)| name)
    }

    /// Why the dialect is not acceptable, if it is not.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("drop_optional", self.drop_optional),
            ("null_optional", self.null_optional),
            ("corrupt_rows", self.corrupt_rows),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        Ok(())
    }

    /// Whether enums go out as numbers.
    pub fn numbers(&self) -> bool {
        self.enums == Enums::Numbers
    }

    /// What happens to `field` of the row of `kind` with id `id` in an account whose data
    /// seed is `seed`. Deterministic: the same row always loses the same fields.
    pub fn field_fate(&self, seed: u64, kind: RowKind, id: i64, field: &str) -> FieldFate {
        if kind.protected().contains(&field) {
            return FieldFate::Present;
        }
        let parts = [seed, kind.tag(), id as u64, field_hash(field)];
        if self.drop_optional > 0.0 && unit(&parts) < self.drop_optional {
            return FieldFate::Absent;
        }
        let salted = [parts[0], parts[1], parts[2], parts[3], 0x4E55_4C4C];
        if self.null_optional > 0.0 && unit(&salted) < self.null_optional {
            return FieldFate::Null;
        }
        FieldFate::Present
    }

    /// Whether the `numbers` dialect gives the connection `id` (an owner) the unknown role.
    pub fn unknown_role(&self, seed: u64, id: i64) -> bool {
        self.numbers() && rng::hash(&[seed, 0x524F_4C45, id as u64]).is_multiple_of(8)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_classic_is_the_default() {
        assert_eq!(Dialect::default(), Dialect::classic());
        assert_eq!(Dialect::vendor_help().preset_name(), Some("vendor_help"));
        let custom = Dialect {
            paging: Paging::Flat,
            ..Dialect::classic()
        };
        assert_eq!(custom.preset_name(), None);
        for (name, d) in Dialect::presets() {
            assert!(d.validate().is_ok(), "{name}");
        }
        let parsed: Dialect = serde_json::from_str(r#"{"paging": "flat"}"#).unwrap();
        assert_eq!(parsed.paging, Paging::Flat);
        assert_eq!(parsed.enums, Enums::Names);
        let bad = Dialect {
            drop_optional: 1.5,
            ..Dialect::classic()
        };
        assert!(bad.validate().is_err());
        let json = serde_json::to_value(Dialect::vendor_help()).unwrap();
        assert_eq!(json["timestamps"], "seven_digits");
        assert_eq!(json["created_id"], "bare");
    }

    #[test]
    fn fates_are_stable_and_roughly_proportional() {
        let d = Dialect::vendor_help();
        let mut absent = 0;
        let mut null = 0;
        for id in 0..2000 {
            let fate = d.field_fate(7, RowKind::Party, id, "Nimi");
            assert_eq!(fate, d.field_fate(7, RowKind::Party, id, "Nimi"));
            match fate {
                FieldFate::Absent => absent += 1,
                FieldFate::Null => null += 1,
                FieldFate::Present => {}
            }
        }
        assert!((500..700).contains(&absent), "{absent}");
        assert!((100..180).contains(&null), "{null}");
        for id in 0..200 {
            assert_eq!(
                d.field_fate(7, RowKind::Report, id, "Tila"),
                FieldFate::Present
            );
            assert_eq!(
                Dialect::classic().field_fate(7, RowKind::Report, id, "Otsikko"),
                FieldFate::Present
            );
        }
    }
}
