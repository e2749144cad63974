//! Property tests for every decoder over generated variants of what Tampuuri may send:
//! enums as names or numbers (and codes nobody knows), nested or flat paging, optional
//! fields missing or `null`, numbers as strings, timestamps with seven fractional digits,
//! with or without an offset, dates as full timestamps, and fields Rappu does not know.
//! Whatever the variant, a row decodes to the same essential values (or, for a field left
//! out, to `None`), and a page never fails for one bad row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::model::{
    Announcement, Connection, ConnectionRole, FaultReport, Object, ObjectKind, Party, PartyKind,
    ReportState, Topic,
};
use super::paging::{PagingShape, RawPage};

/// How one generated row is written.
#[derive(Debug, Clone)]
struct Style {
    numbers: bool,
    ids_as_text: bool,
    drop: Vec<bool>,
    null: Vec<bool>,
    extra: bool,
    time: u8,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 16),
        prop::collection::vec(any::<bool>(), 16),
        any::<bool>(),
        0u8..3,
    )
        .prop_map(|(numbers, ids_as_text, drop, null, extra, time)| Style {
            numbers,
            ids_as_text,
            drop,
            null,
            extra,
            time,
        })
}

impl Style {
    fn id(&self, n: u64) -> Value {
        if self.ids_as_text {
            json!(n.to_string())
        } else {
            json!(n)
        }
    }

    fn named(&self, name: &str, code: i64) -> Value {
        if self.numbers {
            json!(code)
        } else {
            json!(name)
        }
    }

    /// A timestamp of 2026-11-20 08:00 Finnish time (06:00 UTC) in one of the known forms.
    fn time(&self) -> Value {
        json!(match self.time {
            0 => "2026-11-20T08:00:00+02:00",
            1 => "2026-11-20T08:00:00.0000000+02:00",
            _ => "2026-11-20T08:00:00",
        })
    }

    /// A date (2019-06-01) as a date or a full timestamp.
    fn date(&self) -> Value {
        json!(if self.time == 0 {
            "2019-06-01"
        } else {
            "2019-06-01T00:00:00"
        })
    }

    /// Writes the optional fields of `row`, each left out, `null` or present as the style
    /// says, and an unknown field when asked.
    fn finish(&self, mut row: Map<String, Value>, optional: Vec<(&str, Value)>) -> Value {
        for (i, (name, value)) in optional.into_iter().enumerate() {
            if self.drop[i % self.drop.len()] {
                continue;
            }
            let v = if self.null[i % self.null.len()] {
                Value::Null
            } else {
                value
            };
            row.insert(name.to_owned(), v);
        }
        if self.extra {
            row.insert("Laajennus".into(), json!({"Versio": 2, "Liput": ["X"]}));
            row.insert("SisainenKoodi".into(), json!("Q-1"));
        }
        Value::Object(row)
    }

    fn kept(&self, i: usize) -> bool {
        !self.drop[i % self.drop.len()] && !self.null[i % self.null.len()]
    }
}

fn map(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

proptest! {
    #[test]
    fn objects_decode_in_every_style(s in style(), kind in 0usize..5) {
        let kinds = [("Kustannuspaikka", 1), ("Rakennus", 2), ("Porras", 3), ("Huoneisto", 4), ("Autopaikka", 57)];
        let (name, code) = kinds[kind];
        let row = s.finish(
            map(vec![("Id", s.id(100_012)), ("KohdeMetatyyppi", s.named(name, code))]),
            vec![
                ("Nimi", json!("A 12")), ("Tunnus", json!("A 12")),
                ("YlaKohdeId", s.id(100_004)), ("KustannuspaikkaId", s.id(100_000)),
                ("Kerros", if s.ids_as_text { json!("3") } else { json!(3) }),
                ("Huoneistonumero", json!(12)), ("Porras", json!("A")),
            ],
        );
        let o: Object = serde_json::from_value(row).unwrap();
        prop_assert_eq!(o.id, 100_012);
        match kind {
            0 => prop_assert_eq!(&o.kind, &ObjectKind::CostCentre),
            3 => prop_assert_eq!(&o.kind, &ObjectKind::Apartment),
            4 => prop_assert!(!o.kind.is_known()),
            _ => prop_assert!(o.kind.is_known()),
        }
        prop_assert_eq!(o.parent(), s.kept(2).then_some(100_004));
        prop_assert_eq!(o.cost_centre_id, s.kept(3).then_some(100_000));
        prop_assert_eq!(o.floor, s.kept(4).then_some(3));
    }

    #[test]
    fn connections_and_parties_decode_in_every_style(s in style(), role in 0usize..6, protected in any::<bool>()) {
        let roles = [("Asukas", 1), ("Omistaja", 2), ("Isannoitsija", 3), ("Huoltoyhtio", 4), ("HallituksenPuheenjohtaja", 5), ("Tuntematon", 99)];
        let party = s.finish(
            map(vec![("Id", s.id(200_123))]),
            vec![
                ("Osapuolityyppi", s.named("Henkilo", 0)), ("Nimi", json!("Virtanen Aino")),
                ("Etunimi", json!("Aino")), ("Sukunimi", json!("Virtanen")),
                ("Turvakielto", if s.ids_as_text { json!(protected.to_string()) } else { json!(protected) }),
                ("Arkistoitu", Value::Null), ("Matkapuhelin", json!("040 123 4567")),
                ("Tunnistautuminen", json!({"Tyyppi": "Tupas", "Tunnistettu": s.time()})),
                ("YritysId", json!(1)),
            ],
        );
        let row = s.finish(
            map(vec![
                ("Id", s.id(300_045)), ("KohdeId", s.id(100_012)),
                ("Rooli", s.named(roles[role].0, roles[role].1)), ("Osapuoli", party),
            ]),
            vec![("Alkaa", s.date()), ("Paattyy", Value::Null), ("PiilotaPorrasnaytolta", json!(false))],
        );
        let c: Connection = serde_json::from_value(row).unwrap();
        prop_assert_eq!(c.object_id, 100_012);
        prop_assert_eq!(c.role.is_known(), role < 5);
        if role == 0 { prop_assert_eq!(&c.role, &ConnectionRole::Resident); }
        prop_assert_eq!(c.starts, s.kept(0).then(|| chrono::NaiveDate::from_ymd_opt(2019, 6, 1).unwrap()));
        // The privacy flag: read when present, `None` (= protected) when not.
        prop_assert_eq!(c.party.non_disclosure, s.kept(4).then_some(protected));
        prop_assert_eq!(c.party.kind, s.kept(0).then_some(PartyKind::Person));
        prop_assert_eq!(c.party.last_name.as_deref(), s.kept(3).then_some("Virtanen"));
    }

    #[test]
    fn reports_decode_in_every_style(s in style(), state in 0usize..6, vendor_fields in any::<bool>()) {
        let states = [("Avoin", 1), ("Vastaanotettu", 2), ("Odottaa", 3), ("Tehty", 4), ("Valmis", 5), ("Laskutettu", 42)];
        let description = if vendor_fields { "TyotehtavanKuvaus" } else { "Kuvaus" };
        let row = s.finish(
            map(vec![
                ("Id", s.id(500_031)), ("Tila", s.named(states[state].0, states[state].1)),
                (description, json!("Hana tippuu.\n\nRappu-viite: abc")),
            ]),
            vec![
                ("Otsikko", json!("Hana vuotaa")), ("Aihe", s.named("YleisetTilat", 2)),
                ("KohdeId", s.id(100_004)), ("Sisaanpaasy", if vendor_fields { json!("Yleisavaimella") } else { json!(true) }),
                ("Luotu", s.time()), ("IlmoittajaId", s.id(200_123)),
                ("Tilahistoria", json!([{"Tila": s.named("Avoin", 1), "Aika": s.time()}, {"Tila": "?", "Aika": {"bad": 1}}, 7])),
                ("Kasitelty", json!(false)), ("Ilmoitusnumero", json!("2026-000031")),
            ],
        );
        let r: FaultReport = serde_json::from_value(row).unwrap();
        prop_assert_eq!(r.id, 500_031);
        prop_assert_eq!(r.state.is_known(), state < 5);
        prop_assert!(super::report_body::has_reference(r.description.as_deref().unwrap(), "abc"));
        prop_assert_eq!(&r.topic, &s.kept(1).then_some(Topic::CommonAreas));
        if s.kept(3) {
            prop_assert_eq!(r.entry_allowed("Yleisavaimella", "Sovittava erikseen"), Some(true));
        }
        let created = chrono::DateTime::parse_from_rfc3339("2026-11-20T06:00:00Z").unwrap();
        prop_assert_eq!(r.created_at, s.kept(4).then_some(created.into()));
        if s.kept(6) {
            // The unreadable history rows are left out, the readable one kept.
            prop_assert_eq!(r.history.len(), 2);
            prop_assert_eq!(&r.history[0].state, &ReportState::Open);
        }
    }

    #[test]
    fn announcements_decode_in_every_style(s in style()) {
        let row = s.finish(
            map(vec![("Id", s.id(400_007))]),
            vec![
                ("KohdeId", s.id(100_000)), ("Otsikko", json!("Vesikatko")), ("Sisalto", json!(12)),
                ("Julkaistu", s.time()), ("VoimassaAlkaen", s.time()), ("VoimassaAsti", json!("huomenna")),
            ],
        );
        let a: Announcement = serde_json::from_value(row).unwrap();
        prop_assert_eq!(a.id, 400_007);
        prop_assert_eq!(a.title, if s.kept(1) { "Vesikatko" } else { "" });
        prop_assert_eq!(a.body, if s.kept(2) { "12" } else { "" });
        prop_assert_eq!(a.valid_until, None, "an unreadable time is no end, not an error");
    }

    #[test]
    fn pages_of_either_shape_keep_their_rows(s in style(), rows in 0usize..300, flat in any::<bool>()) {
        let items: Vec<Value> = (0..rows).map(|i| json!({"Id": i, "Osapuolityyppi": s.named("Yritys", 1)})).collect();
        let total = if s.ids_as_text { json!(rows.to_string()) } else { json!(rows) };
        let page = if flat {
            json!({"Offset": 0, "Limit": 250, "Total": total, "Items": items})
        } else {
            json!({"Items": items, "Metadata": {"Offset": 0, "Limit": 250, "Total": total}})
        };
        let raw: RawPage = serde_json::from_str(&page.to_string()).unwrap();
        prop_assert_eq!(raw.items.len(), rows);
        prop_assert_eq!(raw.total, Some(rows as u64));
        prop_assert_eq!(raw.shape, if flat { PagingShape::Flat } else { PagingShape::Nested });
        for row in &raw.items {
            let p: Party = serde_json::from_str(row.get()).unwrap();
            prop_assert_eq!(p.kind, Some(PartyKind::Company));
        }
    }
}
