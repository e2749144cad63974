use super::*;

fn report(json: serde_json::Value) -> model::FaultReport {
    serde_json::from_value(json).unwrap()
}

#[test]
fn history_becomes_the_timeline_with_reasons_and_summaries() {
    let r = report(serde_json::json!({
        "Id": 500031, "Ilmoitusnumero": "2026-000031", "Otsikko": "Hana", "Tila": "Tehty",
        "Tilahistoria": [
            {"Tila": "Avoin", "Aika": "2026-11-20T10:15:00+02:00", "Selite": null},
            {"Tila": "Vastaanotettu", "Aika": "2026-11-20T11:00:00+02:00"},
            {"Tila": "Odottaa", "Aika": "2026-11-20T12:00:00+02:00", "Selite": "Osat tilattu"},
            {"Tila": "Tehty", "Aika": "2026-11-21T09:00:00+02:00", "Selite": "Tiiviste vaihdettu", "Uusi": 1},
            {"Tila": "Tehty", "Aika": "eilen"}
        ],
        "Kasitelty": false
    }));
    let view = remote_view(&r);
    assert_eq!(view.status, ReportStatus::Done);
    assert_eq!(view.number.as_deref(), Some("2026-000031"));
    let steps: Vec<_> = view
        .timeline
        .iter()
        .map(|t| (t.status, t.note.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            (ReportStatus::Open, None),
            (ReportStatus::Received, None),
            (ReportStatus::Waiting, Some("Osat tilattu")),
            (ReportStatus::Done, Some("Tiiviste vaihdettu")),
        ]
    );
}

#[test]
fn a_report_passed_on_is_handled_until_completed() {
    let mut json = serde_json::json!({
        "Id": 1, "Tila": "Vastaanotettu", "Kasitelty": true,
        "Tilahistoria": [{"Tila": "Avoin", "Aika": "2026-11-20T10:15:00+02:00"}],
        "Muokattu": "2026-11-22T10:00:00+02:00"
    });
    let view = remote_view(&report(json.clone()));
    assert_eq!(view.status, ReportStatus::Handled);
    let last = view.timeline.last().unwrap();
    assert_eq!(last.status, ReportStatus::Handled);
    assert_eq!(last.at.to_rfc3339(), "2026-11-22T08:00:00+00:00");
    json["Tila"] = "Valmis".into();
    assert_eq!(remote_view(&report(json)).status, ReportStatus::Completed);
}

#[test]
fn unknown_states_read_as_unknown_and_filters_map_back() {
    let r = report(serde_json::json!({"Id": 1, "Tila": "Arkistoitu", "Luotu": "2026-11-20"}));
    let view = remote_view(&r);
    assert_eq!(view.status, ReportStatus::Unknown);
    assert_eq!(view.timeline.len(), 1);
    let r = report(serde_json::json!({"Id": 2, "Tila": 57}));
    assert_eq!(remote_view(&r).status, ReportStatus::Unknown);
    let r = report(serde_json::json!({"Id": 3, "Tila": 3}));
    assert_eq!(remote_view(&r).status, ReportStatus::Waiting);
    assert_eq!(state_of(ReportStatus::Waiting), Some(ReportState::Waiting));
    assert_eq!(state_of(ReportStatus::Handled), None);
    assert_eq!(
        topic_from_tampuuri(Some(&Topic::CommonAreas)),
        Some(ReportTopic::CommonAreas)
    );
    assert_eq!(
        topic_from_tampuuri(Some(&Topic::from_name("Pysakointi"))),
        None
    );
}
