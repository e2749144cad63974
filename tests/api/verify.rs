//! The go-live check against every simulator dialect: it stays within its call budget, files
//! and closes a test report, records the exactly-once scheme, and lists exactly the
//! dialect's differences from what Rappu assumed.

use rappu_gateway::verify::{self, Verdict};
use rappu_sim::dialect::{CreatedId, Enums, Paging, ReportFields, Timestamps};
use rappu_sim::model::{ObjectKind, Role};
use rappu_sim::{Dialect, Snapshot};

use crate::helpers::{one_account, spawn_app_against, uid};

/// Whether the rows the check reads (the first property's objects, its first building's
/// connections) hold a code nobody knows in the `numbers` dialect: a vacant apartment, or
/// one of the owners the simulator gives an unknown role.
fn sample_has_unknown_codes(snapshot: &Snapshot, d: &Dialect, seed: u64) -> bool {
    let today = snapshot.today;
    let property = snapshot
        .objects
        .iter()
        .find(|o| o.kohde_metatyyppi == ObjectKind::Kustannuspaikka)
        .map(|o| o.id);
    let building = snapshot
        .objects
        .iter()
        .find(|o| {
            o.kohde_metatyyppi == ObjectKind::Rakennus && Some(o.kustannuspaikka_id) == property
        })
        .map(|o| o.id);
    let under = |object: i64, ancestor: Option<i64>| {
        let mut id = Some(object);
        while let Some(i) = id {
            if Some(i) == ancestor {
                return true;
            }
            id = snapshot.object(i).and_then(|o| o.yla_kohde_id);
        }
        false
    };
    let vacant = snapshot.objects.iter().any(|o| {
        o.kohde_metatyyppi == ObjectKind::Huoneisto
            && under(o.id, property)
            && !snapshot.connections.iter().any(|c| {
                c.kohde_id == o.id
                    && c.rooli == Role::Asukas
                    && c.alkaa <= today
                    && c.paattyy.is_none_or(|e| e >= today)
            })
    });
    let odd_owner = snapshot.connections.iter().any(|c| {
        c.rooli == Role::Omistaja && under(c.kohde_id, building) && d.unknown_role(seed, c.id)
    });
    vacant || odd_owner
}

/// The difference codes a dialect must produce on a sample holding unknown codes or not.
fn expected(d: &Dialect, unknown_codes: bool) -> Vec<&'static str> {
    let mut codes = Vec::new();
    if d.paging == Paging::Flat {
        codes.push("paging.flat");
    }
    if d.enums == Enums::Numbers {
        codes.push("enums.numbers");
        if unknown_codes {
            codes.push("enums.unknown");
        }
    }
    if d.drop_optional > 0.0 {
        codes.push("fields.missing");
    }
    if d.null_optional > 0.0 {
        codes.push("fields.null");
    }
    match d.timestamps {
        Timestamps::Offset => {}
        Timestamps::SevenDigits => codes.extend(["timestamps.seven_digits", "dates.as_timestamps"]),
        Timestamps::Naive => codes.extend(["timestamps.no_offset", "dates.as_timestamps"]),
    }
    if d.report_fields == ReportFields::Vendor {
        codes.extend(["reports.description_field", "reports.entry_pick_list"]);
    }
    if d.require_accept_json {
        codes.push("accept.required");
    }
    if !d.external_id {
        codes.push("external_id.not_kept");
    }
    if d.created_id == CreatedId::Bare {
        codes.push("create.bare_id");
    }
    codes.sort_unstable();
    codes
}

#[tokio::test]
async fn the_go_live_check_names_exactly_each_dialects_differences() {
    let mut unknown_seen = false;
    for seed in [42, 1, 7, 2026] {
        for (name, dialect) in Dialect::presets() {
            let mut config = one_account(1).with_dialect("acct", dialect.clone());
            config.accounts[0].seed = seed;
            let app = spawn_app_against(config, |_| {}).await;
            let settings = app.state.settings.tampuuri.clone().unwrap();
            let apartment = uid(app.summary().residents.plain[0].apartment_id);
            app.sim.reset_calls();
            let report = verify::check_account(
                &settings,
                app.state.usage.clone(),
                &app.state.store,
                "acct",
                Some(apartment),
            )
            .await
            .unwrap();
            let text = verify::render::table(&report);
            println!("--- {name}, seed {seed}\n{text}");
            let snapshot = app.sim.snapshot("acct").unwrap();
            let unknown = sample_has_unknown_codes(&snapshot, &dialect, seed);
            unknown_seen |= unknown && dialect.enums == Enums::Numbers;
            assert_eq!(
                report.codes(),
                expected(&dialect, unknown),
                "{name}:\n{text}"
            );
            assert!(report.calls <= verify::MAX_CALLS, "{name}");
            assert_eq!(
                app.sim.calls().total(),
                u64::from(report.calls),
                "{name}: every call counted"
            );
            let write = report.write.as_ref().unwrap();
            assert!(write.closed, "{name}: the test report was closed");
            assert_eq!(write.reference_found, Some(true), "{name}");
            assert_eq!(write.external_id_kept, Some(dialect.external_id), "{name}");
            assert_ne!(report.verdict, Verdict::NotReady, "{name}");
            // What the outbox will use from now on.
            let profile = app.state.store.profile("acct").await.unwrap().unwrap();
            assert_eq!(profile.external_id_kept, Some(dialect.external_id));
            app.stop().await;
        }
    }
    assert!(unknown_seen, "some sample held codes nobody knows");
}

#[tokio::test]
async fn without_readable_turvakielto_no_name_is_shown_and_the_check_says_why() {
    let mut dialect = Dialect::classic();
    // Every optional field left out: turvakielto among them.
    dialect.drop_optional = 1.0;
    let app = spawn_app_against(one_account(1).with_dialect("acct", dialect), |s| {
        s.rate_limit.enabled = false;
    })
    .await;
    let settings = app.state.settings.tampuuri.clone().unwrap();
    let report = verify::check_account(
        &settings,
        app.state.usage.clone(),
        &app.state.store,
        "acct",
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.privacy.turvakielto, "none");
    assert!(!report.privacy.names_shown);
    assert_eq!(report.verdict, Verdict::NotReady);
    assert!(report.privacy.explanation.contains("no names"));
    for building in crate::display::buildings(&app.sim.snapshot("acct").unwrap()) {
        let feed = app.feed(&crate::display::display(&app, building)).await;
        assert!(
            feed.staircases
                .iter()
                .flat_map(|s| &s.floors)
                .flat_map(|f| &f.apartments)
                .all(|a| a.names.is_empty())
        );
        assert!(feed.contacts.board_chair.is_none());
    }
    app.stop().await;
}

#[tokio::test]
async fn unreadable_rows_are_skipped_counted_and_shown_to_the_operator() {
    let app = spawn_app_against(
        one_account(2).with_dialect("acct", Dialect::damaged()),
        |s| {
            s.rate_limit.enabled = false;
        },
    )
    .await;
    let snapshot = app.sim.snapshot("acct").unwrap();
    // Every feed is served: a damaged announcement is left out, never the page.
    for building in crate::display::buildings(&snapshot) {
        app.feed(&crate::display::display(&app, building)).await;
    }
    let admin = app.token(rappu_shared::Grant::Admin);
    let view: serde_json::Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let skipped = view["skipped_rows"].as_array().unwrap();
    assert!(
        skipped.iter().any(|s| s["route"] == "POST uutiset/selaa"
            && s["field"] == "Id"
            && s["count"].as_u64() > Some(0)),
        "{view:#}"
    );
    assert!(
        !serde_json::to_string(&view)
            .unwrap()
            .contains("Vaurioitunut"),
        "paths, never values"
    );
    assert_eq!(view["paging"][0]["shape"], "nested");
    // The check from the admin API: read-only, recorded, not repeated within a minute.
    app.sim.reset_calls();
    let first: serde_json::Value = app
        .get("/api/v1/admin/upstream/verify", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(first["calls"].as_u64().unwrap() <= u64::from(verify::MAX_CALLS));
    assert!(first["write"].is_null());
    let codes: Vec<&str> = first["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"fields.other_type")
            || first["routes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["unreadable"].as_u64() > Some(0)),
        "{first:#}"
    );
    let calls = app.sim.calls().total();
    let again: serde_json::Value = app
        .get("/api/v1/admin/upstream/verify", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["checked_at"], first["checked_at"]);
    assert_eq!(app.sim.calls().total(), calls, "no calls for the repeat");
    let view: serde_json::Value = app
        .get("/api/v1/admin/upstream", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["last_check"]["checked_at"], first["checked_at"]);
    app.stop().await;
}
