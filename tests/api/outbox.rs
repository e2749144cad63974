//! The outbox: reports survive a Tampuuri outage and a lost answer, and are delivered
//! exactly once; a report Tampuuri refuses for good is shown as failed.

use rappu_shared::report::{FaultReport, ReportPage, ReportStatus};
use rappu_sim::Faults;

use crate::report_support::*;

const CREATE: &str = "POST ilmoitukset/lisaa";

fn creates(app: &crate::helpers::TestApp) -> u64 {
    app.sim.calls().get(&app.account(), CREATE)
}

#[tokio::test]
async fn reports_wait_out_an_outage_and_are_then_delivered_once() {
    let app = report_app().await;
    let token = app.token(resident(&app, 0).grant());
    app.sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    let mut filed = Vec::new();
    for title in ["Hissi jumissa", "Rappuvalo rikki", "Ulko-ovi ei lukitu"] {
        filed.push(file(&app, &token, title).await);
    }
    // The worker has tried (and Tampuuri answered 503) ...
    eventually(10, "a failed delivery attempt", || async {
        (app.sim.calls().total() >= 1).then_some(())
    })
    .await;
    // ... and every report is listed, received by Rappu, waiting for delivery.
    let page: ReportPage<FaultReport> = app
        .get("/api/v1/fault-reports", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    for report in &page.items {
        assert_eq!(report.status, ReportStatus::Pending);
        assert_eq!(report.timeline.len(), 1);
        assert_eq!(report.timeline[0].status, ReportStatus::Pending);
    }
    let snapshot = app.sim.snapshot(&app.account()).unwrap();
    assert!(
        filed
            .iter()
            .all(|r| in_tampuuri(&snapshot, &r.id).is_empty())
    );

    app.sim.set_faults(Faults::default());
    for report in &filed {
        let seen = until_status(&app, &token, &report.id, ReportStatus::Open).await;
        let delivered = delivered_as(&app, &report.id);
        assert_eq!(
            seen.number.as_deref(),
            Some(delivered.ilmoitusnumero.as_str())
        );
        assert_eq!(delivered.otsikko, report.title);
        assert_eq!(delivered.sisaanpaasy, report.master_key_allowed);
        assert_eq!(delivered.kotielaimet, report.pets);
        assert_eq!(
            delivered.ilmoittajan_puhelin.as_deref(),
            Some(report.contact_phone.as_str())
        );
        let steps: Vec<_> = seen.timeline.iter().map(|t| t.status).collect();
        assert_eq!(steps, [ReportStatus::Pending, ReportStatus::Open]);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_lost_answer_is_not_a_second_report() {
    let app = report_app().await;
    let token = app.token(resident(&app, 0).grant());
    // A first report: where the apartment's reports go is read (and kept) on the way.
    let first = file(&app, &token, "Ikkuna vetää").await;
    until_status(&app, &token, &first.id, ReportStatus::Open).await;
    // Tampuuri makes the report but its answer comes after the client's 5 s timeout.
    app.sim.set_faults(Faults {
        response_delay_ms: 7_000,
        ..Faults::default()
    });
    let filed = file(&app, &token, "Patteri kylmä").await;
    eventually(10, "the report in Tampuuri", || async {
        let snapshot = app.sim.snapshot(&app.account()).unwrap();
        (!in_tampuuri(&snapshot, &filed.id).is_empty()).then_some(())
    })
    .await;
    app.sim.set_faults(Faults::default());
    assert_eq!(
        resident_report(&app, &token, &filed.id).await.status,
        ReportStatus::Pending
    );

    // The retry looks for the report by its id, finds it, and adopts it.
    until_status(&app, &token, &filed.id, ReportStatus::Open).await;
    delivered_as(&app, &filed.id);
    assert_eq!(creates(&app), 2, "each report was created once");
    app.stop().await;
}

#[tokio::test]
async fn a_report_tampuuri_refuses_for_good_is_shown_failed_not_retried_forever() {
    let app = report_app().await;
    let token = app.token(resident(&app, 0).grant());
    // The session's residency check (its first request) must not take the failure.
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    app.sim.set_faults(Faults {
        fail_next: 1,
        fail_status: 400,
        ..Faults::default()
    });
    let filed = file(&app, &token, "Kylpyhuoneen kaakeli irti").await;
    let seen = until_status(&app, &token, &filed.id, ReportStatus::Failed).await;
    let last = seen.timeline.last().unwrap();
    assert_eq!(last.status, ReportStatus::Failed);
    assert!(last.note.as_deref().unwrap().contains("operator"));
    let attempts = creates(&app);
    // Another report goes through: the outbox was not blocked by the refused one.
    let next = file(&app, &token, "Ovikello ei soi").await;
    until_status(&app, &token, &next.id, ReportStatus::Open).await;
    assert_eq!(creates(&app), attempts + 1);
    assert_eq!(
        resident_report(&app, &token, &filed.id).await.status,
        ReportStatus::Failed
    );
    app.stop().await;
}
