//! The calls of the go-live check, in order: the cost centres, one property's objects, a
//! building, its residents and its property's staff, its announcements and open reports,
//! one report, a few parties in one call, one call asking for XML (does the account go by
//! `Accept`?); and
//! with a test object, a report filed there, found again both ways, and closed.

use std::time::Instant;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use super::fields::Tallies;
use super::{
    Difference, MAX_CALLS, PrivacyCheck, RouteCheck, Verdict, VerifyReport, WriteCheck, fields,
};
use crate::upstream::tampuuri::TampuuriClient;
use crate::upstream::tampuuri::model::{
    Announcement, AnnouncementQuery, Connection, ConnectionQuery, ConnectionRole, DescendantQuery,
    FaultReport, Object, PartiesQuery, PartySummary, ReportQuery,
};
use crate::upstream::tampuuri::paging::{PagingShape, RawPage};
use crate::upstream::tampuuri::report_body::{NewFaultReportBody, reference_line};
use crate::upstream::tampuuri::routes::{self, Route};

const NO_BODY: Option<&()> = None;

struct Run<'a> {
    client: &'a TampuuriClient,
    calls: u32,
    routes: Vec<RouteCheck>,
    tallies: Tallies,
}

/// Whether a raw row of `kind` decodes as Rappu reads it.
fn readable(kind: &str, row: &str) -> bool {
    match kind {
        "Object" => serde_json::from_str::<Object>(row).is_ok(),
        "Connection" => serde_json::from_str::<Connection>(row).is_ok(),
        "Announcement" => serde_json::from_str::<Announcement>(row).is_ok(),
        "FaultReport" => serde_json::from_str::<FaultReport>(row).is_ok(),
        "PartySummary" => serde_json::from_str::<PartySummary>(row).is_ok(),
        _ => true,
    }
}

impl Run<'_> {
    fn budget(&self, needed: u32) -> bool {
        self.calls + needed <= MAX_CALLS
    }

    /// One page of `route` with no object named: the whole account's rows.
    async fn account_wide(&mut self, route: &Route, body: &impl Serialize, kind: &'static str) {
        let before = self.routes.len();
        self.rows(route, None, Some(body), true, kind).await;
        if self.routes.len() > before
            && let Some(check) = self.routes.last_mut()
        {
            check.route.push_str(ACCOUNT_WIDE);
        }
    }

    /// One call of `route`; its rows (paged or single) tallied as `kind`.
    async fn rows(
        &mut self,
        route: &Route,
        id: Option<u64>,
        body: Option<&impl Serialize>,
        paged: bool,
        kind: &'static str,
    ) -> Vec<Value> {
        if !self.budget(1) {
            return Vec::new();
        }
        self.calls += 1;
        let started = Instant::now();
        let answer = self.client.raw(route, id, body, paged).await;
        let millis = started.elapsed().as_millis() as u64;
        let mut check = RouteCheck {
            route: route.label.to_owned(),
            reachable: false,
            outcome: String::new(),
            paging: None,
            rows: None,
            unreadable: 0,
            millis,
        };
        let rows = match answer {
            Err(e) => {
                check.outcome = e.to_string();
                Vec::new()
            }
            Ok(bytes) => {
                check.reachable = true;
                check.outcome = "200".into();
                let raw: Vec<Box<serde_json::value::RawValue>> =
                    if paged || route == &routes::PARTIES {
                        match serde_json::from_slice::<RawPage>(&bytes) {
                            Ok(page) => {
                                if paged {
                                    check.paging = Some(page.shape);
                                }
                                page.items
                            }
                            Err(e) => {
                                check.outcome = format!("200, but not a page Rappu can read ({e})");
                                Vec::new()
                            }
                        }
                    } else {
                        serde_json::from_slice(&bytes)
                            .map(|r| vec![r])
                            .unwrap_or_default()
                    };
                check.rows = Some(raw.len());
                check.unreadable = raw.iter().filter(|r| !readable(kind, r.get())).count();
                raw.iter()
                    .filter_map(|r| serde_json::from_str::<Value>(r.get()).ok())
                    .collect()
            }
        };
        for row in &rows {
            self.tallies.add(kind, row);
        }
        self.routes.push(check);
        rows
    }
}

fn id_of(row: &Value) -> Option<u64> {
    match row.get("Id")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn kind_is(row: &Value, name: &str, code: i64) -> bool {
    match row.get("KohdeMetatyyppi") {
        Some(Value::String(s)) => s == name,
        Some(Value::Number(n)) => n.as_i64() == Some(code),
        _ => false,
    }
}

/// Runs the check of `client`'s account; with `test_object`, files and closes one report
/// there. The client should not retry (the call budget counts every call).
pub async fn run(client: &TampuuriClient, test_object: Option<u64>) -> VerifyReport {
    let mut run = Run {
        client,
        calls: 0,
        routes: Vec::new(),
        tallies: Tallies::default(),
    };
    let centres = run
        .rows(&routes::COST_CENTRES, None, NO_BODY, true, "Object")
        .await;
    let property = centres
        .iter()
        .find(|r| kind_is(r, "Kustannuspaikka", 1))
        .or(centres.first())
        .and_then(id_of);
    let objects = match property {
        Some(p) => {
            let all = DescendantQuery { kinds: Vec::new() };
            run.rows(
                &routes::OBJECT_DESCENDANTS,
                Some(p),
                Some(&all),
                true,
                "Object",
            )
            .await
        }
        None => Vec::new(),
    };
    let building = objects
        .iter()
        .find(|r| kind_is(r, "Rakennus", 2))
        .and_then(id_of);
    let mut party_ids = Vec::new();
    if let Some(b) = building {
        run.rows(&routes::OBJECT, Some(b), NO_BODY, false, "Object")
            .await;
        // Every role, not only residents: the check lists the role values the account sends.
        let residents = ConnectionQuery {
            object_id: Some(b),
            include_descendants: true,
            ..ConnectionQuery::default()
        };
        let connections = run
            .rows(
                &routes::CONNECTIONS,
                None,
                Some(&residents),
                true,
                "Connection",
            )
            .await;
        party_ids = connections
            .iter()
            .filter_map(|c| c.get("Osapuoli").and_then(id_of))
            .take(10)
            .collect();
    }
    if let Some(p) = property {
        let staff = ConnectionQuery {
            object_id: Some(p),
            roles: vec![
                ConnectionRole::Manager,
                ConnectionRole::Maintenance,
                ConnectionRole::BoardChair,
            ],
            ..ConnectionQuery::default()
        };
        run.rows(&routes::CONNECTIONS, None, Some(&staff), true, "Connection")
            .await;
    }
    // The account mirror reconciles with account-wide reads (no `KohdeId`): people and
    // announcements. Whether Tampuuri answers them is an assumption the check tests.
    if building.is_some() {
        let everyone = ConnectionQuery {
            roles: crate::mirror::sync::kept_roles(),
            ..ConnectionQuery::default()
        };
        run.account_wide(&routes::CONNECTIONS, &everyone, "Connection")
            .await;
        let all_news = AnnouncementQuery { object_id: None };
        run.account_wide(&routes::ANNOUNCEMENTS, &all_news, "Announcement")
            .await;
    }
    let mut report_id = None;
    if let Some(b) = building {
        let news = AnnouncementQuery { object_id: Some(b) };
        run.rows(
            &routes::ANNOUNCEMENTS,
            None,
            Some(&news),
            true,
            "Announcement",
        )
        .await;
        let query = ReportQuery {
            object_id: Some(b),
            ..ReportQuery::default()
        };
        let reports = run
            .rows(
                &routes::FAULT_REPORTS,
                None,
                Some(&query),
                true,
                "FaultReport",
            )
            .await;
        report_id = reports.first().and_then(id_of);
    }
    if let Some(r) = report_id {
        run.rows(
            &routes::FAULT_REPORT,
            Some(r),
            NO_BODY,
            false,
            "FaultReport",
        )
        .await;
    }
    if !party_ids.is_empty() {
        let query = PartiesQuery { ids: party_ids };
        run.rows(&routes::PARTIES, None, Some(&query), false, "PartySummary")
            .await;
    }
    let accept = match building.or(property) {
        Some(id) if run.budget(1) => {
            run.calls += 1;
            client
                .probe_accept_xml(&routes::OBJECT, Some(id))
                .await
                .ok()
        }
        _ => None,
    };
    let write = match test_object {
        Some(object) => Some(write_test(&mut run, object).await),
        None => None,
    };
    assemble(client.account(), run, accept, write)
}

/// Files a report on `object`, finds it again by `UlkoinenTunniste` and by Rappu's
/// reference line, then receives it and marks it done.
async fn write_test(run: &mut Run<'_>, object: u64) -> WriteCheck {
    let mut check = WriteCheck {
        object,
        report_id: None,
        answer: None,
        external_id_kept: None,
        reference_found: None,
        closed: false,
        scheme: "reference".into(),
        error: None,
    };
    if !run.budget(7) {
        check.error = Some("not enough calls left in the check's budget".into());
        return check;
    }
    let client = run.client;
    run.calls += 1;
    let target = match client.object(object).await {
        Ok(o) => o,
        Err(e) => {
            check.error = Some(format!("cannot read the test object: {e}"));
            return check;
        }
    };
    let Some(cost_centre) = target.cost_centre_id.or((target.kind
        == crate::upstream::tampuuri::model::ObjectKind::CostCentre)
        .then_some(object))
    else {
        check.error = Some("the test object names no property (KustannuspaikkaId)".into());
        return check;
    };
    let reference = uuid::Uuid::new_v4().to_string();
    let settings = client.settings();
    let body = NewFaultReportBody {
        title: "Rappu: käyttöönoton tarkistus".into(),
        description: format!(
            "Rappu tarkistaa ilmoitusten kirjaamisen. Ilmoitus suljetaan heti.\n\n{}",
            reference_line(&reference)
        ),
        extra: None,
        cost_centre_id: cost_centre,
        space_id: (cost_centre != object).then_some(object),
        entry: settings.entry_denied_value.clone(),
        pets: None,
        reporter: None,
        external_id: reference.clone(),
        attachments: Vec::new(),
    };
    let since = Utc::now();
    run.calls += 1;
    let answer = client
        .raw(&routes::FAULT_REPORT_CREATE, None, Some(&body), false)
        .await;
    let id = match answer {
        Ok(bytes) => {
            let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
            check.answer = parsed
                .as_ref()
                .map(|v| if v.is_object() { "object" } else { "bare" }.to_owned());
            parsed.and_then(|v| {
                serde_json::from_value::<crate::upstream::tampuuri::model::CreatedId>(v).ok()
            })
        }
        Err(e) => {
            check.error = Some(format!("cannot file the test report: {e}"));
            return check;
        }
    };
    let Some(crate::upstream::tampuuri::model::CreatedId(id)) = id else {
        check.error = Some("the create call answered no id Rappu can read".into());
        return check;
    };
    check.report_id = Some(id);
    let place = body.space_id.or(Some(cost_centre));
    run.calls += 2;
    // Kept means the filter found ours and only ours (an account that ignores it answers
    // every report, and a row may leave the field itself out).
    let by_id = client
        .fault_reports(&ReportQuery {
            external_id: Some(reference.clone()),
            ..ReportQuery::default()
        })
        .await;
    let by_reference = client
        .find_fault_report(&reference, false, None, place, since)
        .await;
    check.external_id_kept = by_id
        .ok()
        .map(|rows| !rows.is_empty() && rows.iter().all(|r| r.id == id));
    check.reference_found = by_reference.ok().map(|r| r.is_some_and(|r| r.id == id));
    if check.external_id_kept == Some(true) {
        check.scheme = "external-id".into();
    }
    run.calls += 2;
    let closed = match client.receive_report(id).await {
        Ok(_) => client
            .mark_report_done(id, "Rappu: käyttöönoton tarkistus, ei toimenpiteitä.")
            .await
            .is_ok(),
        Err(_) => false,
    };
    check.closed = closed;
    check
}

fn share(present: u64, absent: u64) -> String {
    match (present, absent) {
        (0, _) => "none".into(),
        (_, 0) => "all".into(),
        _ => "some".into(),
    }
}

fn assemble(
    account: &str,
    run: Run<'_>,
    accept: Option<(u16, Option<String>)>,
    write: Option<WriteCheck>,
) -> VerifyReport {
    let calls = run.calls;
    let routes = run.routes;
    let fields = run.tallies.into_vec();
    let get = |row: &str, field: &str| {
        fields
            .iter()
            .find(|f| f.row == row && f.field == field)
            .cloned()
            .unwrap_or_default()
    };
    let t = get("Party", "Turvakielto");
    let h = get("Connection", "PiilotaPorrasnaytolta");
    let (a, e) = (get("Connection", "Alkaa"), get("Connection", "Paattyy"));
    let turvakielto = share(t.present, t.missing + t.null + t.other_type);
    let names_shown = turvakielto != "none";
    let explanation = match turvakielto.as_str() {
        "all" => "Every person's turvakielto was readable: names are shown where the rule allows.".to_owned(),
        "some" => format!(
            "Turvakielto was not readable on {} of {} persons: those are never named (a missing flag counts as protected); the others are.",
            t.missing + t.null + t.other_type,
            t.present + t.missing + t.null + t.other_type
        ),
        _ => "Rappu cannot see turvakielto on this account: it shows no names at all, only apartment numbers, until the field is readable.".to_owned(),
    };
    let privacy = PrivacyCheck {
        turvakielto,
        hide_flag: share(h.present, h.missing + h.null + h.other_type),
        dates: share(
            a.present + e.present,
            a.missing + a.other_type + e.missing + e.other_type,
        ),
        names_shown,
        explanation,
    };
    let differences = differences(&routes, &fields, accept.as_ref(), write.as_ref());
    let failed =
        routes.iter().any(|r| !r.reachable) || write.as_ref().is_some_and(|w| w.error.is_some());
    let verdict = if failed || !names_shown {
        Verdict::NotReady
    } else if differences.is_empty() {
        Verdict::Ready
    } else {
        Verdict::ReadyWithDifferences
    };
    VerifyReport {
        account: account.to_owned(),
        checked_at: Utc::now(),
        calls,
        verdict,
        routes,
        fields,
        privacy,
        write,
        differences,
    }
}

/// Marks a route check of an account-wide read.
const ACCOUNT_WIDE: &str = " (account-wide)";

/// Fields that a well-formed row of the assumed wire may hold as `null` (an end not set, a
/// company's first name, a building's floor): not a difference when they do.
const NULLABLE: &[&str] = &[
    "Paattyy",
    "Arkistoitu",
    "VoimassaAsti",
    "VoimassaAlkaen",
    "Etunimi",
    "Sukunimi",
    "Puhelin",
    "Matkapuhelin",
    "Sahkoposti",
    "YlaKohdeId",
    "Porras",
    "Kerros",
    "Huoneistonumero",
    "Tunnus",
    "IlmoittajaId",
    "TyonsuorittajaId",
    "UlkoinenTunniste",
    "Kuvaus",
    "KohdeId",
    "Katuosoite",
    "Aihe",
    "Sisalto",
    "Sisaanpaasy",
];

fn differences(
    routes: &[RouteCheck],
    fields: &[fields::FieldTally],
    accept: Option<&(u16, Option<String>)>,
    write: Option<&WriteCheck>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut add = |code: &str, detail: String| {
        out.push(Difference {
            code: code.to_owned(),
            detail,
        })
    };
    let refused: Vec<&str> = routes
        .iter()
        .filter(|r| r.route.ends_with(ACCOUNT_WIDE) && (!r.reachable || r.rows == Some(0)))
        .map(|r| r.route.as_str())
        .collect();
    if !refused.is_empty() {
        add(
            "mirror.account_wide",
            format!(
                "no rows from an account-wide read on {}: the account mirror reconciles with these; \
                 ask the vendor, or Rappu's reconciliation will find nothing",
                refused.join(", ")
            ),
        );
    }
    let flat: Vec<&str> = routes
        .iter()
        .filter(|r| r.paging == Some(PagingShape::Flat))
        .map(|r| r.route.as_str())
        .collect();
    if !flat.is_empty() {
        add(
            "paging.flat",
            format!(
                "flat paging ({{Offset, Limit, Total, Items}}) on {}: read as such",
                flat.join(", ")
            ),
        );
    }
    let list = |pick: &dyn Fn(&fields::FieldTally) -> bool| -> Vec<String> {
        fields
            .iter()
            .filter(|f| pick(f))
            .map(|f| format!("{}.{}", f.row, f.field))
            .collect()
    };
    let numbers = list(&|f| f.as_number > 0);
    if !numbers.is_empty() {
        add(
            "enums.numbers",
            format!(
                "enums as numbers: {} (codes read with Rappu's assumed tables; check them)",
                numbers.join(", ")
            ),
        );
    }
    let unknown: Vec<String> = fields
        .iter()
        .filter(|f| !f.unknown.is_empty())
        .map(|f| format!("{}.{} = {}", f.row, f.field, f.unknown.join("/")))
        .collect();
    if !unknown.is_empty() {
        add(
            "enums.unknown",
            format!(
                "values Rappu does not know: {} (shown as unknown, never dropped silently)",
                unknown.join(", ")
            ),
        );
    }
    let missing = list(&|f| f.missing > 0 && f.field != "Kuvaus" && f.field != "TyotehtavanKuvaus");
    if !missing.is_empty() {
        add(
            "fields.missing",
            format!(
                "fields absent from some rows: {} (read as not set)",
                missing.join(", ")
            ),
        );
    }
    let nulls = list(&|f| f.null > 0 && !NULLABLE.contains(&f.field.as_str()));
    if !nulls.is_empty() {
        add(
            "fields.null",
            format!(
                "fields null in some rows: {} (read as not set)",
                nulls.join(", ")
            ),
        );
    }
    let other = list(&|f| f.other_type > 0);
    if !other.is_empty() {
        add(
            "fields.other_type",
            format!(
                "fields of another type than expected: {} (read as not set)",
                other.join(", ")
            ),
        );
    }
    if fields.iter().any(|f| f.seven_digits > 0) {
        add(
            "timestamps.seven_digits",
            "timestamps with seven fractional digits: read".into(),
        );
    }
    if fields.iter().any(|f| f.no_offset > 0) {
        add(
            "timestamps.no_offset",
            "timestamps without an offset: read as Finnish time (assumed)".into(),
        );
    }
    if fields.iter().any(|f| f.date_as_timestamp > 0) {
        add(
            "dates.as_timestamps",
            "dates as full timestamps: their date is used".into(),
        );
    }
    let report = |field: &str| {
        fields
            .iter()
            .find(|f| f.row == "FaultReport" && f.field == field)
    };
    if report("Kuvaus").is_some_and(|k| k.present == 0 && k.missing > 0)
        && report("TyotehtavanKuvaus").is_some_and(|t| t.present > 0)
    {
        add(
            "reports.description_field",
            "reports describe the work in TyotehtavanKuvaus only (no Kuvaus): read".into(),
        );
    }
    if let Some(entry) = report("Sisaanpaasy")
        && !entry.values.is_empty()
        && entry.values.iter().any(|v| v != "true" && v != "false")
    {
        add(
            "reports.entry_pick_list",
            format!(
                "Sisaanpaasy as pick-list values ({}): set tampuuri.accounts.entry_allowed_value / entry_denied_value to match",
                entry.values.join(", ")
            ),
        );
    }
    if let Some((status, content_type)) = accept {
        let json = content_type.as_deref().is_some_and(|c| c.contains("json"));
        if *status == 406 || !json {
            add(
                "accept.required",
                format!(
                    "asked for XML, the account answers {status} {}: it negotiates by Accept (Rappu always sends Accept: application/json)",
                    content_type.as_deref().unwrap_or("")
                ),
            );
        }
    }
    if let Some(w) = write {
        if w.external_id_kept == Some(false) {
            add("external_id.not_kept", "UlkoinenTunniste is not kept or not searchable: exactly once rests on Rappu's reference line".into());
        }
        if w.answer.as_deref() == Some("bare") {
            add(
                "create.bare_id",
                "ilmoitukset/lisaa answers a bare id: read".into(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_recognised_by_name_or_code() {
        assert!(kind_is(
            &serde_json::json!({"KohdeMetatyyppi": "Rakennus"}),
            "Rakennus",
            2
        ));
        assert!(kind_is(
            &serde_json::json!({"KohdeMetatyyppi": 2}),
            "Rakennus",
            2
        ));
        assert!(!kind_is(
            &serde_json::json!({"KohdeMetatyyppi": 3}),
            "Rakennus",
            2
        ));
        assert_eq!(id_of(&serde_json::json!({"Id": "7"})), Some(7));
    }
}
