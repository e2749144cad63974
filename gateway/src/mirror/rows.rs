//! From Rappu's reading of Tampuuri's rows to the mirror's stored rows: the columns each
//! table selects on, the JSON kept, and the names removed before anything is stored.

use std::collections::HashMap;

use super::db::{ConnectionRow, ObjectRow, ReportRow};
use crate::feeds::privacy;
use crate::upstream::tampuuri::model::{
    Announcement, Connection, FaultReport, Object, ObjectKind, ReportState,
};

/// Where an object sits: its building and its property.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Place {
    /// The building it is in (itself for a building).
    pub building: Option<u64>,
    /// Its property (itself for a property).
    pub property: Option<u64>,
}

/// The names of people who may not be named are not stored: a person under turvakielto (or
/// of unknown status) or archived keeps only what their own sign-in and contact need.
/// Whether the connection asks to be left off displays is kept and applied when read,
/// together with the same wish on any other connection of the party.
pub fn minimize(mut c: Connection) -> Connection {
    let person = !privacy::is_company(&c.party);
    let protected = c.party.non_disclosure != Some(false) || c.party.archived_at.is_some();
    if person && protected {
        c.party.name = None;
        c.party.first_name = None;
        c.party.last_name = None;
    }
    c
}

/// The places of `objects` (one property's subtree, the property itself included), found
/// by walking each object's parents within the list.
pub fn places(objects: &[Object], property: Option<u64>) -> HashMap<u64, Place> {
    let by_id: HashMap<u64, &Object> = objects.iter().map(|o| (o.id, o)).collect();
    let mut out = HashMap::with_capacity(objects.len());
    for o in objects {
        let mut building = None;
        let mut cursor = Some(o);
        let mut steps = 0;
        while let Some(node) = cursor {
            if node.kind == ObjectKind::Building {
                building = Some(node.id);
                break;
            }
            steps += 1;
            if steps > 16 {
                break;
            }
            cursor = node.parent().and_then(|p| by_id.get(&p).copied());
        }
        let property = if o.kind == ObjectKind::CostCentre {
            Some(o.id)
        } else {
            o.cost_centre_id.or(property)
        };
        out.insert(o.id, Place { building, property });
    }
    out
}

/// An object as stored. The registry sweep holds every object's row of an account at once
/// (~230,000 at 6,452 properties), so the JSON is copied into an allocation of its size:
/// `serde_json` grows its buffer by doubling, and mimalloc answers a shrinking `realloc`
/// with the same block when at most half of it would be spare.
pub fn object_row(o: &Object, place: Place) -> ObjectRow {
    let json = serde_json::to_string(o).unwrap_or_default();
    ObjectRow {
        id: o.id,
        parent_id: o.parent(),
        kind: o.kind.name().to_owned(),
        property_id: place.property,
        building_id: place.building,
        row: json.as_str().to_owned(),
    }
}

/// A connection as stored (minimized first), at `place` (its object's).
pub fn connection_row(c: Connection, place: Place) -> ConnectionRow {
    let c = minimize(c);
    ConnectionRow {
        id: c.id,
        party_id: c.party.id,
        object_id: c.object_id,
        role: c.role.name().to_owned(),
        building_id: place.building,
        property_id: place.property,
        hides: c.hide_from_display == Some(true),
        row: serde_json::to_string(&c).unwrap_or_default(),
    }
}

/// An announcement as stored.
pub fn announcement_row(a: &Announcement) -> (u64, Option<u64>, String) {
    (
        a.id,
        a.object_id,
        serde_json::to_string(a).unwrap_or_default(),
    )
}

/// Whether work on a report is still to be done (open, received or waiting).
pub fn is_open(state: &ReportState) -> bool {
    matches!(
        state,
        ReportState::Open | ReportState::Received | ReportState::Waiting
    )
}

/// A report as stored, in `building`.
pub fn report_row(r: &FaultReport, building: Option<u64>) -> ReportRow {
    ReportRow {
        id: r.id,
        object_id: r.object_id,
        building_id: building,
        assignee_id: r.assignee_id,
        reporter_id: r.reporter_id,
        state: r.state.name().to_owned(),
        open: is_open(&r.state),
        row: serde_json::to_string(r).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(json: &str) -> Connection {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn stored_rows_read_back_as_the_same_values() {
        let c = connection(
            r#"{"Id":7,"KohdeId":70,"Rooli":"Asukas","Alkaa":"2024-03-01T00:00:00","Paattyy":null,
                "PiilotaPorrasnaytolta":false,
                "Osapuoli":{"Id":9,"Osapuolityyppi":0,"Nimi":"Virtanen Aino","Etunimi":"Aino",
                "Sukunimi":"Virtanen","Puhelin":"040 1","Turvakielto":false,"Arkistoitu":null,
                "Henkilotunnus":"010101-123A"}}"#,
        );
        let row = connection_row(c.clone(), Place::default());
        assert!(
            !row.row.contains("010101"),
            "only fields Rappu reads are kept"
        );
        let back: Connection = serde_json::from_str(&row.row).unwrap();
        assert_eq!(format!("{back:?}"), format!("{c:?}"));

        let o: Object = serde_json::from_str(
            r#"{"Id":3,"KohdeMetatyyppi":4,"Nimi":"A 1","YlaKohdeId":2,"Kerros":1,"Huoneistonumero":1}"#,
        )
        .unwrap();
        let stored = object_row(&o, Place::default());
        let back: Object = serde_json::from_str(&stored.row).unwrap();
        assert_eq!(format!("{back:?}"), format!("{o:?}"));
        // Held by the thousand during a registry sweep: no spare capacity.
        assert_eq!(stored.row.capacity(), stored.row.len());

        let r: FaultReport = serde_json::from_str(
            r#"{"Id":5,"Otsikko":"Hana","Kuvaus":"Vuotaa","Tila":2,"KohdeId":3,
                "Tilahistoria":[{"Tila":"Avoin","Aika":"2026-01-01T10:00:00+02:00"}],
                "Luotu":"2026-01-01T10:00:00.1234567+02:00"}"#,
        )
        .unwrap();
        let back: FaultReport = serde_json::from_str(&report_row(&r, None).row).unwrap();
        assert_eq!(format!("{back:?}"), format!("{r:?}"));
    }

    #[test]
    fn names_of_protected_people_are_never_stored() {
        for party in [
            r#"{"Id":9,"Nimi":"Salainen Sanna","Sukunimi":"Salainen","Turvakielto":true}"#,
            r#"{"Id":9,"Nimi":"Salainen Sanna","Sukunimi":"Salainen"}"#,
            r#"{"Id":9,"Nimi":"Salainen Sanna","Sukunimi":"Salainen","Turvakielto":false,
                "Arkistoitu":"2025-01-01T00:00:00Z"}"#,
        ] {
            let c = connection(&format!(
                r#"{{"Id":1,"KohdeId":2,"Rooli":"Asukas","Osapuoli":{party}}}"#
            ));
            let row = connection_row(c, Place::default());
            assert!(!row.row.contains("Salainen"), "{}", row.row);
        }
        let company = connection(
            r#"{"Id":1,"KohdeId":2,"Rooli":"Huoltoyhtio",
                "Osapuoli":{"Id":9,"Osapuolityyppi":"Yritys","Nimi":"Huolto Oy"}}"#,
        );
        assert!(
            connection_row(company, Place::default())
                .row
                .contains("Huolto Oy")
        );
    }

    #[test]
    fn places_follow_parents_to_the_building() {
        let objects: Vec<Object> = serde_json::from_str(
            r#"[{"Id":1,"KohdeMetatyyppi":"Kustannuspaikka"},
                {"Id":2,"KohdeMetatyyppi":"Rakennus","YlaKohdeId":1,"KustannuspaikkaId":1},
                {"Id":3,"KohdeMetatyyppi":"Porras","YlaKohdeId":2},
                {"Id":4,"KohdeMetatyyppi":"Huoneisto","ParentId":3},
                {"Id":5,"KohdeMetatyyppi":"Autopaikka","YlaKohdeId":1}]"#,
        )
        .unwrap();
        let p = places(&objects, Some(1));
        assert_eq!(
            p[&1],
            Place {
                building: None,
                property: Some(1)
            }
        );
        assert_eq!(
            p[&2],
            Place {
                building: Some(2),
                property: Some(1)
            }
        );
        assert_eq!(
            p[&4],
            Place {
                building: Some(2),
                property: Some(1)
            }
        );
        assert_eq!(
            p[&5],
            Place {
                building: None,
                property: Some(1)
            }
        );
    }
}
