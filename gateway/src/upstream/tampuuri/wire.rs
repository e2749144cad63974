//! Reading what Tampuuri sends, tolerantly: enums as a name **or** a number, fields Rappu
//! does not depend on in whatever scalar form they come.
//!
//! Facts (see `sim/README.md` for the markers): enums come as names in seed 003's prose and
//! in some help samples (`"Yhteydenottotapa": "Soitto"`), as numbers in others (seed 003's
//! `"Osapuolityyppi": 0`) — *vendor (seed)*, *vendor (help page)*. The numeric codes are
//! documented nowhere: the tables below are *assumed* (the simulator's), and an unknown name
//! or code becomes `Other(..)`, which every reader handles: shown as unknown, never dropped
//! silently, never failing the row. `rappu verify-upstream` lists the values an account sends.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Declares an enum Tampuuri sends as a name or a number, with `Other(String)` for anything
/// else (a number is kept as its decimal text). It serializes as its name.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($wire:literal, $code:literal), )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of Rappu does not know (a name, or a number as text).
            Other(String),
        }

        impl $name {
            /// Every known value with its wire name and its (assumed) numeric code.
            pub const KNOWN: &'static [(&'static str, i64)] = &[ $( ($wire, $code), )* ];

            /// The value of a wire name.
            pub fn from_name(name: &str) -> Self {
                match name {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }

            /// The value of a numeric code.
            pub fn from_code(code: i64) -> Self {
                match code {
                    $( $code => Self::$variant, )*
                    other => Self::Other(other.to_string()),
                }
            }

            /// The wire name (the text of `Other`).
            pub fn name(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(text) => text,
                }
            }

            /// Whether this is a value Rappu knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::upstream::tampuuri::wire::name_or_code(d, Self::from_name, Self::from_code)
            }
        }
    };
}

pub(crate) use wire_enum;

/// Reads a name (a string; a string of digits counts as a code) or a numeric code.
pub fn name_or_code<'de, D, T>(
    d: D,
    from_name: fn(&str) -> T,
    from_code: fn(i64) -> T,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct V<T> {
        from_name: fn(&str) -> T,
        from_code: fn(i64) -> T,
    }
    impl<T> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a name or a numeric code")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            let v = v.trim();
            Ok(match v.parse::<i64>() {
                Ok(code) => (self.from_code)(code),
                Err(_) => (self.from_name)(v),
            })
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            Ok((self.from_code)(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            Ok((self.from_code)(i64::try_from(v).unwrap_or(i64::MAX)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
    d.deserialize_any(V {
        from_name,
        from_code,
    })
}

/// Any JSON value, kept only as a scalar's text.
fn scalar_text(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// serde: an optional text from any scalar (a code sent as a number, say); anything else
/// (an object, an array) becomes `None` rather than failing the row.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_text(serde::Deserialize::deserialize(d)?))
}

/// serde: a text from any scalar, empty when absent, null or not a scalar.
pub fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_text(d)?.unwrap_or_default())
}

/// serde: an optional integer from a number or a string of digits; anything else `None`.
pub fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let value: serde_json::Value = serde::Deserialize::deserialize(d)?;
    let n = match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    Ok(n.and_then(|n| T::try_from(n).ok()))
}

/// serde: an optional flag from `true`/`false`, `"true"`/`"false"` or `1`/`0`; anything
/// else `None` (which every privacy reader treats as "not known to be false").
pub fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let value: serde_json::Value = serde::Deserialize::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Bool(b) => Some(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// serde: a required id from a number or a string of digits.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    opt_int::<D, u64>(d)?.ok_or_else(|| de::Error::custom("an id must be a positive integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    wire_enum! {
        /// A test enum.
        pub enum Colour {
            /// Red.
            Red = ("Punainen", 1),
            /// Blue.
            Blue = ("Sininen", 2),
        }
    }

    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(rename = "V")]
        v: Colour,
        #[serde(rename = "T", default, deserialize_with = "opt_text")]
        t: Option<String>,
        #[serde(rename = "N", default, deserialize_with = "opt_int")]
        n: Option<i32>,
        #[serde(rename = "F", default, deserialize_with = "opt_flag")]
        f: Option<bool>,
    }

    fn row(json: &str) -> Row {
        serde_json::from_str(json).expect("row")
    }

    #[test]
    fn enums_read_names_codes_and_unknowns() {
        assert_eq!(row(r#"{"V":"Punainen"}"#).v, Colour::Red);
        assert_eq!(row(r#"{"V":2}"#).v, Colour::Blue);
        assert_eq!(row(r#"{"V":"2"}"#).v, Colour::Blue);
        assert_eq!(row(r#"{"V":57}"#).v, Colour::Other("57".into()));
        assert_eq!(row(r#"{"V":"Vihrea"}"#).v, Colour::Other("Vihrea".into()));
        assert_eq!(
            serde_json::to_string(&Colour::Blue).expect("json"),
            r#""Sininen""#
        );
        assert_eq!(Colour::KNOWN, &[("Punainen", 1), ("Sininen", 2)]);
        assert!(Colour::Red.is_known() && !Colour::from_code(3).is_known());
        assert!(serde_json::from_str::<Row>(r#"{"V":null}"#).is_err());
    }

    #[test]
    fn scalars_are_read_in_any_form_and_never_fail_the_row() {
        let r = row(r#"{"V":1,"T":12,"N":"3","F":"true"}"#);
        assert_eq!(
            (r.t.as_deref(), r.n, r.f),
            (Some("12"), Some(3), Some(true))
        );
        let r = row(r#"{"V":1,"T":{"x":1},"N":"kolme","F":2}"#);
        assert_eq!((r.t, r.n, r.f), (None, None, None));
        let r = row(r#"{"V":1,"T":null,"N":null,"F":null}"#);
        assert_eq!((r.t, r.n, r.f), (None, None, None));
    }
}
