use chrono::NaiveDate;

use super::generate;
use crate::config::AccountSpec;
use crate::model::{ObjectKind, Role};
use crate::report::ReportState;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn spec(seed: u64, properties: usize) -> AccountSpec {
    AccountSpec::new("t", "u", "p", seed, properties)
}

#[test]
fn same_seed_same_world() {
    let a = generate(&spec(5, 4), today()).snapshot();
    let b = generate(&spec(5, 4), today()).snapshot();
    assert_eq!(a, b);
    let c = generate(&spec(6, 4), today()).snapshot();
    assert_ne!(a, c);
}

#[test]
fn exact_property_counts() {
    for n in [0, 1, 7] {
        let w = generate(&spec(1, n), today());
        assert_eq!(w.cost_centres().len(), n);
    }
}

#[test]
fn a_fixed_number_of_buildings_per_property() {
    let mut spec = spec(1, 6);
    spec.buildings_per_property = Some(2);
    let w = generate(&spec, today());
    for cc in w.cost_centres() {
        let buildings = w
            .objects
            .iter()
            .filter(|o| o.kohde_metatyyppi == ObjectKind::Rakennus && o.yla_kohde_id == Some(cc.id))
            .count();
        assert_eq!(buildings, 2, "property {}", cc.id);
    }
}

#[test]
fn tree_is_consistent() {
    let w = generate(&spec(3, 20), today());
    let mut apartments = 0;
    for o in w.objects.iter() {
        let lineage = w.lineage(o.id);
        let expected_depth = match o.kohde_metatyyppi {
            ObjectKind::Kustannuspaikka => 1,
            ObjectKind::Rakennus => 2,
            ObjectKind::Porras => 3,
            ObjectKind::Huoneisto => 4,
        };
        assert_eq!(lineage.len(), expected_depth, "{o:?}");
        assert_eq!(lineage.last().copied(), Some(o.kustannuspaikka_id));
        for ancestor in &lineage {
            assert!(w.is_within(*ancestor, o.id));
        }
        if o.kohde_metatyyppi == ObjectKind::Huoneisto {
            apartments += 1;
            assert!(o.porras.is_some() && o.kerros.is_some() && o.huoneistonumero.is_some());
        }
    }
    let average = apartments as f64 / 20.0;
    assert!((12.0..60.0).contains(&average), "average {average}");
}

#[test]
fn showcase_property_has_every_case() {
    let w = generate(&spec(9, 1), today());
    let s = w.summary("t");
    let r = &s.residents;
    for (kind, list) in [
        ("plain", &r.plain),
        ("turvakielto", &r.turvakielto),
        ("hidden", &r.hidden),
        ("former", &r.former),
        ("future", &r.future),
        ("archived", &r.archived),
    ] {
        assert!(!list.is_empty(), "no {kind} resident");
    }
    for state in ReportState::ALL {
        assert!(
            w.reports.iter().any(|x| x.tila == state),
            "no report in {state:?}"
        );
    }
    let child = w
        .reports
        .iter()
        .find(|x| x.yla_ilmoitus_id.is_some())
        .expect("a follow-up");
    assert!(w.report(child.yla_ilmoitus_id.unwrap()).unwrap().kasitelty);
    let p = &s.properties[0];
    assert!(p.manager_id.is_some() && p.maintenance_company_id.is_some());
    assert!(p.board_chair_id.is_some());
    assert!(w.announcements.iter().any(|a| a.voimassa_asti.is_none()));
    assert!(
        w.announcements
            .iter()
            .any(|a| a.voimassa_alkaen.date_naive() > today())
    );
    assert!(
        w.announcements
            .iter()
            .any(|a| a.voimassa_asti.is_some_and(|e| e.date_naive() < today()))
    );
}

#[test]
fn turvakielto_share_is_realistic() {
    let w = generate(&spec(2, 60), today());
    let residents: Vec<_> = w
        .connections
        .iter()
        .filter(|c| c.rooli == Role::Asukas)
        .filter_map(|c| w.party(c.osapuoli_id))
        .collect();
    let share = residents.iter().filter(|p| p.turvakielto).count() as f64 / residents.len() as f64;
    assert!((0.03..0.10).contains(&share), "turvakielto share {share}");
}

#[test]
fn reports_have_consistent_history() {
    let w = generate(&spec(4, 30), today());
    for r in w.reports.iter() {
        assert_eq!(r.tilahistoria.last().map(|h| h.tila), Some(r.tila));
        assert_eq!(r.tilahistoria.first().map(|h| h.aika), Some(r.luotu));
        assert!(
            r.tilahistoria.windows(2).all(|p| p[0].aika < p[1].aika),
            "{r:?}"
        );
        assert!(w.is_within(r.kustannuspaikka_id, r.kohde_id));
        assert_eq!(r.tila.is_finished(), !r.toimenpiteet.is_empty());
    }
}
