//! The privacy rules and the feed's shape, on hand-made and generated data.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use rappu_shared::display::{WorkPlace, WorkState};

use super::assemble::{Inputs, WorkTitles, assemble};
use super::compact::{self, Node, Resident, Staff, Work};
use crate::upstream::tampuuri::model::{
    Announcement, Connection, ConnectionRole, FaultReport, Object, ObjectKind, Party, PartyKind,
    ReportState, Topic,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn object(id: u64, kind: ObjectKind, parent: Option<u64>) -> Object {
    Object {
        id,
        kind,
        name: Some(format!("Kohde {id}")),
        code: None,
        parent_id: parent,
        parent_alt: None,
        cost_centre_id: Some(1),
        street_address: Some("Koivukuja 3".into()),
        postal_code: Some("00940".into()),
        city: Some("Helsinki".into()),
        staircase: None,
        floor: None,
        apartment_number: None,
    }
}

fn staircase(id: u64, letter: &str) -> Object {
    Object {
        staircase: Some(letter.into()),
        ..object(id, ObjectKind::Staircase, Some(10))
    }
}

fn apartment(id: u64, stair: u64, letter: &str, floor: i32, number: u32) -> Object {
    Object {
        code: Some(format!("{letter} {number}")),
        staircase: Some(letter.into()),
        floor: Some(floor),
        apartment_number: Some(number),
        ..object(id, ObjectKind::Apartment, Some(stair))
    }
}

fn person(id: u64, last: &str, non_disclosure: Option<bool>) -> Party {
    Party {
        id,
        kind: Some(PartyKind::Person),
        name: Some(format!("{last} Etunimi")),
        first_name: Some("Etunimi".into()),
        last_name: Some(last.into()),
        phone: Some("040 123 4567".into()),
        mobile: None,
        email: None,
        non_disclosure,
        archived_at: None,
    }
}

fn resident(id: u64, apartment: u64, party: Party) -> Connection {
    Connection {
        id,
        object_id: apartment,
        role: ConnectionRole::Resident,
        starts: NaiveDate::from_ymd_opt(2020, 1, 1),
        ends: None,
        hide_from_display: Some(false),
        party,
    }
}

struct World {
    building: Object,
    tree: Vec<Object>,
    residents: Vec<Connection>,
    staff: Vec<Connection>,
    announcements: Vec<Announcement>,
    reports: Vec<FaultReport>,
}

fn world() -> World {
    let mut a_future = resident(5, 21, person(105, "Tuleva", Some(false)));
    a_future.starts = NaiveDate::from_ymd_opt(2026, 12, 1);
    let mut a_former = resident(6, 21, person(106, "Entinen", Some(false)));
    a_former.ends = NaiveDate::from_ymd_opt(2026, 11, 22);
    let mut hidden = resident(7, 22, person(107, "Piilo", Some(false)));
    hidden.hide_from_display = Some(true);
    let mut archived = person(108, "Arkisto", Some(false));
    archived.archived_at = Some(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap());
    let mut moving_out_today = resident(9, 22, person(109, "Lahtija", Some(false)));
    moving_out_today.ends = Some(today());
    let maintenance = Party {
        kind: Some(PartyKind::Company),
        name: Some("Huolto Oy".into()),
        first_name: None,
        last_name: None,
        non_disclosure: None,
        phone: Some("020 555 1234".into()),
        ..person(300, "", None)
    };
    let staff = |id, role, party| Connection {
        role,
        object_id: 1,
        ..resident(id, 1, party)
    };
    World {
        building: object(10, ObjectKind::Building, Some(1)),
        tree: vec![
            staircase(11, "A"),
            staircase(12, "B"),
            apartment(21, 11, "A", 1, 1),
            apartment(22, 11, "A", 2, 2),
            apartment(23, 12, "B", 1, 3),
        ],
        residents: vec![
            resident(1, 21, person(101, "Virtanen", Some(false))),
            resident(2, 21, person(102, "Virtanen", Some(false))),
            resident(3, 22, person(103, "Salainen", Some(true))),
            resident(4, 23, person(104, "Tuntematon", None)),
            a_future,
            a_former,
            hidden,
            resident(8, 23, archived),
            moving_out_today,
        ],
        staff: vec![
            staff(31, ConnectionRole::Maintenance, maintenance),
            staff(
                32,
                ConnectionRole::Manager,
                person(301, "Isännöitsijä", Some(false)),
            ),
            staff(
                33,
                ConnectionRole::BoardChair,
                person(302, "Puheenjohtaja", Some(true)),
            ),
        ],
        announcements: vec![
            Announcement {
                id: 1,
                object_id: Some(1),
                title: "Vanha".into(),
                body: "x".into(),
                published_at: Some(Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap()),
                valid_from: None,
                valid_until: Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()),
            },
            Announcement {
                id: 2,
                object_id: Some(10),
                title: "Vesikatko".into(),
                body: "Torstaina".into(),
                published_at: Some(Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap()),
                valid_from: None,
                valid_until: None,
            },
            Announcement {
                id: 3,
                object_id: Some(1),
                title: "Tuleva".into(),
                body: "y".into(),
                published_at: Some(Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 0).unwrap()),
                valid_from: Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()),
                valid_until: None,
            },
        ],
        reports: vec![
            report(
                1,
                "Porraskäytävän lamppu",
                Some(11),
                "YleisetTilat",
                ReportState::Received,
            ),
            report(2, "Virtasen hana", Some(21), "Huoneisto", ReportState::Open),
            report(3, "Pihan portti", Some(10), "Ulkoalueet", ReportState::Done),
        ],
    }
}

fn report(
    id: u64,
    title: &str,
    object: Option<u64>,
    topic: &str,
    state: ReportState,
) -> FaultReport {
    FaultReport {
        id,
        number: None,
        title: title.into(),
        description: None,
        topic: Some(Topic::from_name(topic)),
        object_id: object,
        location: None,
        extra: None,
        entry: None,
        cost_centre_id: None,
        pets: None,
        reporter_phone: None,
        modified_at: None,
        state,
        history: vec![],
        reporter_id: None,
        assignee_id: None,
        parent_id: None,
        handled: None,
        external_id: None,
        created_at: None,
        fault_class: None,
    }
}

/// What the cache would keep of a world.
struct Cached {
    tree: Vec<Node>,
    residents: Vec<Resident>,
    staff: Vec<Staff>,
    work: Vec<Work>,
}

fn cached(w: &World) -> Cached {
    cached_with(w, WorkTitles::None)
}

fn cached_with(w: &World, titles: WorkTitles) -> Cached {
    Cached {
        tree: compact::nodes(&w.tree),
        residents: compact::residents(&w.residents),
        staff: compact::staff(&w.staff),
        work: compact::work(&w.reports, titles == WorkTitles::Staff),
    }
}

fn inputs<'a>(w: &'a World, c: &'a Cached, staircase: Option<u64>) -> Inputs<'a> {
    inputs_with(w, c, staircase, WorkTitles::None)
}

fn inputs_with<'a>(
    w: &'a World,
    c: &'a Cached,
    staircase: Option<u64>,
    work_titles: WorkTitles,
) -> Inputs<'a> {
    Inputs {
        building: &w.building,
        property: None,
        tree: &c.tree,
        residents: &c.residents,
        staff: &c.staff,
        announcements: &w.announcements,
        work: &c.work,
        staircase,
        now: now(),
        today: today(),
        work_titles,
    }
}

#[test]
fn only_current_visible_people_are_named() {
    let w = world();
    let c = cached(&w);
    let feed = assemble(&inputs(&w, &c, None), now(), now(), false).unwrap();
    let names: Vec<(String, Vec<String>)> = feed
        .staircases
        .iter()
        .flat_map(|s| &s.floors)
        .flat_map(|f| &f.apartments)
        .map(|a| (a.number.clone(), a.names.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("A 1".to_owned(), vec!["Virtanen".to_owned()]),
            // Moving out today: still a resident today (end dates are inclusive).
            ("A 2".to_owned(), vec!["Lahtija".to_owned()]),
            ("B 3".to_owned(), vec![]),
        ]
    );
}

#[test]
fn a_board_chair_who_opted_out_is_not_shown() {
    let mut w = world();
    w.staff[2].party.non_disclosure = Some(false);
    let c = cached(&w);
    let feed = assemble(&inputs(&w, &c, None), now(), now(), false).unwrap();
    assert_eq!(
        feed.contacts.board_chair.unwrap().name,
        "Etunimi Puheenjohtaja"
    );
    w.staff[2].hide_from_display = Some(true);
    let c = cached(&w);
    let feed = assemble(&inputs(&w, &c, None), now(), now(), false).unwrap();
    assert!(feed.contacts.board_chair.is_none(), "PiilotaPorrasnaytolta");
    let json = serde_json::to_string(&feed).unwrap();
    assert!(!json.contains("Puheenjohtaja"), "{json}");
}

#[test]
fn work_titles_are_never_a_residents_and_staff_ones_only_when_allowed() {
    let mut w = world();
    // A resident names a neighbour in the title; the manager files one too.
    w.reports = vec![
        report(
            1,
            "Virtasen koira haukkuu rapussa",
            Some(11),
            "YleisetTilat",
            ReportState::Open,
        ),
        report(
            2,
            "Pihavalaistus",
            Some(10),
            "Ulkoalueet",
            ReportState::Received,
        ),
    ];
    w.reports[0].reporter_id = Some(101);
    w.reports[0].fault_class = Some("Häiriö".into());
    w.reports[1].reporter_id = Some(301);
    for titles in [WorkTitles::None, WorkTitles::Staff] {
        let c = cached_with(&w, titles);
        let feed = assemble(&inputs_with(&w, &c, None, titles), now(), now(), false).unwrap();
        let json = serde_json::to_string(&feed.ongoing_work).unwrap();
        assert!(!json.contains("Virtasen"), "{json}");
        assert_eq!(feed.ongoing_work[0].category.as_deref(), Some("Häiriö"));
        assert_eq!(feed.ongoing_work[1].place, WorkPlace::Outdoors);
        let staff_title = feed.ongoing_work[1].title.as_deref();
        match titles {
            WorkTitles::None => assert_eq!(staff_title, None),
            WorkTitles::Staff => assert_eq!(staff_title, Some("Pihavalaistus")),
        }
    }
    // With titles off, they are not even kept in the cache.
    assert!(cached(&w).work.iter().all(|w| w.title.is_none()));
}

#[test]
fn contacts_follow_the_same_rule_and_maintenance_always_shows() {
    let w = world();
    let c = cached(&w);
    let feed = assemble(&inputs(&w, &c, None), now(), now(), false).unwrap();
    let maintenance = feed.contacts.maintenance.unwrap();
    assert_eq!(maintenance.name, "Huolto Oy");
    assert_eq!(maintenance.phone.as_deref(), Some("020 555 1234"));
    assert_eq!(feed.contacts.manager.unwrap().name, "Etunimi Isännöitsijä");
    assert!(
        feed.contacts.board_chair.is_none(),
        "the chair is under turvakielto"
    );
}

#[test]
fn announcements_work_and_staircase_scope() {
    let w = world();
    let c = cached(&w);
    let feed = assemble(&inputs(&w, &c, None), now(), now(), false).unwrap();
    let titles: Vec<&str> = feed
        .announcements
        .iter()
        .map(|a| a.title.as_str())
        .collect();
    assert_eq!(
        titles,
        ["Vesikatko"],
        "expired and future ones are not shown"
    );
    let work: Vec<(WorkPlace, WorkState, Option<&str>)> = feed
        .ongoing_work
        .iter()
        .map(|w| (w.place, w.state, w.title.as_deref()))
        .collect();
    assert_eq!(
        work,
        [(WorkPlace::CommonAreas, WorkState::Received, None)],
        "apartment faults and done work are not shown, and no title by default"
    );

    let b_only = assemble(&inputs(&w, &c, Some(12)), now(), now(), false).unwrap();
    assert_eq!(b_only.staircases.len(), 1);
    assert_eq!(b_only.staircases[0].name, "B");
    assert!(assemble(&inputs(&w, &c, Some(99)), now(), now(), false).is_err());
}

fn date(days: i64) -> NaiveDate {
    today() + chrono::TimeDelta::days(days)
}

prop_compose! {
    fn arbitrary_resident()(
        apartment in 21u64..24,
        non_disclosure in prop::option::of(any::<bool>()),
        hidden in prop::option::of(any::<bool>()),
        starts in prop::option::of(-400i64..400),
        ends in prop::option::of(-400i64..400),
        archived in any::<bool>(),
        company in any::<bool>(),
        role in 0u8..3,
        id in 1u64..1_000_000,
    ) -> Connection {
        let mut party = person(id, &format!("Nimi{id}"), non_disclosure);
        if archived { party.archived_at = Some(now() - chrono::TimeDelta::days(1)); }
        if company { party.kind = Some(PartyKind::Company); }
        Connection {
            id,
            object_id: apartment,
            role: [ConnectionRole::Resident, ConnectionRole::Owner, ConnectionRole::Other("Muu".into())][role as usize].clone(),
            starts: starts.map(date),
            ends: ends.map(date),
            hide_from_display: hidden,
            party,
        }
    }
}

proptest! {
    #[test]
    fn no_protected_hidden_former_future_or_archived_person_is_ever_named(
        residents in prop::collection::vec(arbitrary_resident(), 0..40)
    ) {
        let mut w = world();
        // Unique surnames, so a forbidden one must not appear anywhere.
        w.residents = residents
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                c.party.last_name = Some(format!("Nimi{i}"));
                c
            })
            .collect();
        let c = cached(&w);
        let feed = assemble(&inputs(&w, &c, None), now(), now(), false).unwrap();
        let shown: Vec<&String> = feed.staircases.iter().flat_map(|s| &s.floors)
            .flat_map(|f| &f.apartments).flat_map(|a| &a.names).collect();
        for c in &w.residents {
            let surname = c.party.last_name.clone().unwrap_or_default();
            let forbidden = c.party.non_disclosure != Some(false)
                || c.hide_from_display == Some(true)
                || c.party.archived_at.is_some()
                || c.party.kind == Some(PartyKind::Company)
                || c.role != ConnectionRole::Resident
                || c.starts.is_some_and(|s| s > today())
                || c.ends.is_some_and(|e| e < today());
            prop_assert_eq!(shown.contains(&&surname), !forbidden, "{:?}", c);
            // A forbidden name is not even kept in the cache.
            let kept = compact::residents(std::slice::from_ref(c)).iter().any(|r| r.surname.is_some());
            let never_nameable = c.party.non_disclosure != Some(false)
                || c.hide_from_display == Some(true)
                || c.party.archived_at.is_some()
                || c.party.kind == Some(PartyKind::Company)
                || c.role != ConnectionRole::Resident;
            prop_assert!(!(never_nameable && kept), "{:?}", c);
        }
    }
}

prop_compose! {
    fn arbitrary_staff()(
        non_disclosure in prop::option::of(any::<bool>()),
        hidden in prop::option::of(any::<bool>()),
        ends in prop::option::of(-400i64..400),
        archived in any::<bool>(),
        company in any::<bool>(),
        role in 0u8..3,
        id in 1u64..1_000_000,
    ) -> Connection {
        let mut party = person(id, "x", non_disclosure);
        if archived { party.archived_at = Some(now() - chrono::TimeDelta::days(1)); }
        if company { party.kind = Some(PartyKind::Company); }
        Connection {
            id,
            object_id: 1,
            role: [ConnectionRole::Manager, ConnectionRole::Maintenance, ConnectionRole::BoardChair][role as usize].clone(),
            starts: None,
            ends: ends.map(date),
            hide_from_display: hidden,
            party,
        }
    }
}

/// Every piece of text that identifies the party of `c`.
fn tokens(c: &Connection) -> Vec<String> {
    let p = &c.party;
    [
        &p.first_name,
        &p.last_name,
        &p.name,
        &p.phone,
        &p.mobile,
        &p.email,
    ]
    .into_iter()
    .flatten()
    .filter(|t| !t.is_empty())
    .cloned()
    .collect()
}

proptest! {
    /// The rule over every field of the feed: residents, every contact, ongoing work (whose
    /// titles name residents). Every identifying text of a party is unique, so a forbidden
    /// one must appear nowhere in the serialized feed.
    #[test]
    fn no_protected_person_reaches_any_field_of_the_feed(
        residents in prop::collection::vec(arbitrary_resident(), 0..30),
        staff in prop::collection::vec(arbitrary_staff(), 0..8),
        titled_by in prop::collection::vec((0usize..40, any::<bool>()), 0..6),
        staff_titles in any::<bool>(),
    ) {
        let mut w = world();
        let unique = |c: &mut Connection, i: usize, kind: u8| {
            let p = &mut c.party;
            p.first_name = Some(format!("Etu{kind}x{i}q"));
            p.last_name = Some(format!("Suku{kind}x{i}q"));
            p.name = Some(format!("Nimi{kind}x{i}q"));
            p.phone = Some(format!("+358 40 {kind}{i:06}-"));
            p.mobile = Some(format!("+358 50 {kind}{i:06}-"));
            p.email = Some(format!("x{kind}.{i}@example.fi"));
        };
        w.residents = residents.into_iter().enumerate().map(|(i, mut c)| { unique(&mut c, i, 1); c }).collect();
        w.staff = staff.into_iter().enumerate().map(|(i, mut c)| { unique(&mut c, i, 2); c }).collect();
        // Reports whose titles name a resident, filed by that resident; or titled by a staff
        // member (shown verbatim when the operator turns staff titles on: what staff write
        // for the public is theirs to word).
        w.reports = titled_by.iter().enumerate().map(|(i, (who, by_staff))| {
            let named = w.residents.get(*who % w.residents.len().max(1));
            let title = if *by_staff {
                String::new()
            } else {
                named.and_then(|c| c.party.last_name.clone()).unwrap_or_default()
            };
            let mut r = report(i as u64, &format!("{title} Otsikko{i}q"), Some(11), "YleisetTilat", ReportState::Open);
            r.reporter_id = if *by_staff { w.staff.first().map(|s| s.party.id) } else { named.map(|c| c.party.id) };
            r
        }).collect();
        let titles = if staff_titles { WorkTitles::Staff } else { WorkTitles::None };
        let c = cached_with(&w, titles);
        let feed = assemble(&inputs_with(&w, &c, None, titles), now(), now(), false).unwrap();
        let json = serde_json::to_string(&feed).unwrap();
        let in_force = |c: &Connection| c.starts.is_none_or(|s| s <= today()) && c.ends.is_none_or(|e| e >= today());
        let protected_person = |c: &Connection| c.party.non_disclosure != Some(false)
            && c.party.kind != Some(PartyKind::Company);
        for c in &w.residents {
            let forbidden = protected_person(c)
                || c.hide_from_display == Some(true)
                || c.party.archived_at.is_some()
                || c.party.kind == Some(PartyKind::Company)
                || c.role != ConnectionRole::Resident
                || !in_force(c);
            if forbidden {
                for t in tokens(c) {
                    prop_assert!(!json.contains(&t), "{t} of {c:?} in {json}");
                }
            }
        }
        for c in &w.staff {
            let forbidden = protected_person(c)
                || c.hide_from_display == Some(true)
                || c.party.archived_at.is_some()
                || !in_force(c);
            if forbidden {
                for t in tokens(c) {
                    prop_assert!(!json.contains(&t), "{t} of {c:?} in {json}");
                }
            }
        }
        // A resident's title never shows; a staff member's only when turned on.
        for (i, r) in w.reports.iter().enumerate() {
            let by_staff = titled_by[i].1 && !w.staff.is_empty();
            let may_show = titles == WorkTitles::Staff && by_staff;
            if !may_show {
                prop_assert!(!json.contains(&format!("Otsikko{i}q")), "{:?} in {json}", r.title);
            }
        }
    }
}
