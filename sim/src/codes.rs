//! The numeric codes of every enum the simulator emits, in one table per enum.
//!
//! In the `numbers` dialect (see [`crate::dialect`]) an enum goes on the wire as its code;
//! in the `names` dialect as its name. Request filters accept either in every dialect.
//! The vendor's help pages name the enum types (`ApiOsapuoliTyyppi`) but document no
//! code values, so every code here is **assumed** unless its [`Source`] says otherwise;
//! `sim/README.md` ("Dialects") lists the tables.

use serde::{Deserialize, Serialize};

/// Where a code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A vendor help page documents the value.
    VendorHelp,
    /// A vendor sample (seed document) shows the value, without naming its meaning.
    VendorSeed,
    /// The simulator's own choice.
    Assumed,
}

/// One enum value: its wire name and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The name, as the `names` dialect sends it.
    pub name: &'static str,
    /// The code, as the `numbers` dialect sends it.
    pub number: i64,
    /// Where the code comes from.
    pub source: Source,
}

/// The codes of one enum (one wire field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeTable {
    /// The wire field that carries the enum.
    pub field: &'static str,
    /// The vendor's type name, where a help page names it.
    pub vendor_type: Option<&'static str>,
    /// Every value.
    pub codes: &'static [Code],
}

const fn assumed(name: &'static str, number: i64) -> Code {
    Code {
        name,
        number,
        source: Source::Assumed,
    }
}

/// `KohdeMetatyyppi`: the level of an object in the registry tree.
pub const OBJECT_KINDS: CodeTable = CodeTable {
    field: "KohdeMetatyyppi",
    vendor_type: None,
    codes: &[
        assumed("Kustannuspaikka", 1),
        assumed("Rakennus", 2),
        assumed("Porras", 3),
        assumed("Huoneisto", 4),
    ],
};

/// `Osapuolityyppi` (the help's `ApiOsapuoliTyyppi`, "person or company"). Seed 003's
/// sample shows `"Osapuolityyppi": 0` without saying which value 0 is; the help lists
/// person first, so person = 0 is the guess.
pub const PARTY_KINDS: CodeTable = CodeTable {
    field: "Osapuolityyppi",
    vendor_type: Some("ApiOsapuoliTyyppi"),
    codes: &[
        Code {
            name: "Henkilo",
            number: 0,
            source: Source::VendorSeed,
        },
        assumed("Yritys", 1),
    ],
};

/// `Rooli`: the role of a party on an object.
pub const ROLES: CodeTable = CodeTable {
    field: "Rooli",
    vendor_type: None,
    codes: &[
        assumed("Asukas", 1),
        assumed("Omistaja", 2),
        assumed("Isannoitsija", 3),
        assumed("Huoltoyhtio", 4),
        assumed("HallituksenPuheenjohtaja", 5),
    ],
};

/// `Tila` of a fault report (and of its `Tilahistoria` rows).
pub const REPORT_STATES: CodeTable = CodeTable {
    field: "Tila",
    vendor_type: None,
    codes: &[
        assumed("Avoin", 1),
        assumed("Vastaanotettu", 2),
        assumed("Odottaa", 3),
        assumed("Tehty", 4),
        assumed("Valmis", 5),
    ],
};

/// `Aihe`: what a fault report is about.
pub const TOPICS: CodeTable = CodeTable {
    field: "Aihe",
    vendor_type: None,
    codes: &[
        assumed("Huoneisto", 1),
        assumed("YleisetTilat", 2),
        assumed("Ulkoalueet", 3),
    ],
};

/// Every table.
pub const TABLES: [CodeTable; 5] = [OBJECT_KINDS, PARTY_KINDS, ROLES, REPORT_STATES, TOPICS];

/// A `Rooli` code no reader knows: the `numbers` dialect gives it to a few owner
/// connections so that readers meet an unknown role.
pub const UNKNOWN_ROLE: i64 = 99;

/// A `KohdeMetatyyppi` code no reader knows: the `numbers` dialect gives it to apartments
/// nobody lives in (real registries hold storage rooms, saunas and premises there).
pub const UNKNOWN_OBJECT_KIND: i64 = 57;

impl CodeTable {
    /// The code of a name.
    pub fn number(&self, name: &str) -> Option<i64> {
        self.codes.iter().find(|c| c.name == name).map(|c| c.number)
    }

    /// The name of a code.
    pub fn name(&self, number: i64) -> Option<&'static str> {
        self.codes
            .iter()
            .find(|c| c.number == number)
            .map(|c| c.name)
    }

    /// The code a filter value selects: a known name or any number (an unknown name
    /// selects nothing).
    pub fn select(&self, value: &NameOrCode) -> Option<i64> {
        match value {
            NameOrCode::Code(n) => Some(*n),
            NameOrCode::Name(s) => self.number(s),
        }
    }

    /// The codes a filter list selects; `None` = no filter (absent or empty list).
    pub fn selection(&self, list: Option<&Vec<NameOrCode>>) -> Option<Vec<i64>> {
        let list = list.filter(|l| !l.is_empty())?;
        Some(list.iter().filter_map(|v| self.select(v)).collect())
    }
}

/// A filter value as a caller may send it: a name (`"Avoin"`) or a code (`1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NameOrCode {
    /// A code.
    Code(i64),
    /// A name.
    Name(String),
}

/// Whether `code` passes a selection (`None` = no filter).
pub fn selected(selection: Option<&Vec<i64>>, code: i64) -> bool {
    selection.is_none_or(|s| s.contains(&code))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::{ObjectKind, Role};
    use crate::report::{ReportState, Topic};

    #[test]
    fn names_and_numbers_round_trip_and_are_unique() {
        for table in TABLES {
            for code in table.codes {
                assert_eq!(
                    table.number(code.name),
                    Some(code.number),
                    "{}",
                    table.field
                );
                assert_eq!(table.name(code.number), Some(code.name), "{}", table.field);
            }
            let mut numbers: Vec<i64> = table.codes.iter().map(|c| c.number).collect();
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers.len(), table.codes.len(), "{}", table.field);
            assert!(table.name(UNKNOWN_ROLE).is_none());
            assert!(table.name(UNKNOWN_OBJECT_KIND).is_none());
        }
    }

    #[test]
    fn every_model_value_has_a_code() {
        for kind in [
            ObjectKind::Kustannuspaikka,
            ObjectKind::Rakennus,
            ObjectKind::Porras,
            ObjectKind::Huoneisto,
        ] {
            assert!(OBJECT_KINDS.number(kind.as_str()).is_some());
        }
        for role in [
            Role::Asukas,
            Role::Omistaja,
            Role::Isannoitsija,
            Role::Huoltoyhtio,
            Role::HallituksenPuheenjohtaja,
        ] {
            assert!(ROLES.number(role.as_str()).is_some());
        }
        for state in ReportState::ALL {
            assert!(REPORT_STATES.number(state.as_str()).is_some());
        }
        for topic in [Topic::Huoneisto, Topic::YleisetTilat, Topic::Ulkoalueet] {
            assert!(TOPICS.number(topic.as_str()).is_some());
        }
        assert_eq!(PARTY_KINDS.number("Henkilo"), Some(0));
        assert_eq!(PARTY_KINDS.number("Yritys"), Some(1));
    }

    #[test]
    fn filters_take_names_or_numbers() {
        let list: Vec<NameOrCode> = serde_json::from_str(r#"["Avoin", 4, "Nope"]"#).unwrap();
        let sel = REPORT_STATES.selection(Some(&list)).unwrap();
        assert_eq!(sel, vec![1, 4]);
        assert!(selected(Some(&sel), 4));
        assert!(!selected(Some(&sel), 2));
        assert!(REPORT_STATES.selection(Some(&Vec::new())).is_none());
        assert!(selected(None, 2));
    }
}
