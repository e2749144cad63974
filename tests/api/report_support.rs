//! Helpers for the fault-report and work-order tests: a gateway against a one-property
//! simulator with a fast outbox, residents and partners from the simulated data, sample
//! reports and photos, and bounded polling.

use std::future::Future;
use std::time::Duration;

use base64::Engine as _;
use rappu_shared::Grant;
use rappu_shared::report::{FaultReport, ReportStatus};
use rappu_sim::Snapshot;
use serde_json::{Value, json};

use crate::helpers::{TestApp, one_account, spawn_app_against, uid};

/// A gateway whose outbox retries within milliseconds and whose reads are never cached
/// (so a test sees each change at once).
pub async fn report_app() -> TestApp {
    report_app_with(|_| {}).await
}

/// [`report_app`] with adjusted settings.
pub async fn report_app_with(adjust: impl FnOnce(&mut rappu_gateway::config::Settings)) -> TestApp {
    let app = spawn_app_against(one_account(1), |s| {
        s.reports.outbox_backoff_min_ms = 20;
        s.reports.outbox_backoff_max_ms = 200;
        s.reports.cache_ttl_secs = 0;
        // The tests poll fast while waiting for deliveries.
        s.rate_limit.token_per_minute = 100_000;
        s.rate_limit.token_burst = 10_000;
        // Tampuuri tells Rappu of every report change, as in production.
        s.webhooks.secret = Some(REPORT_WEBHOOK_SECRET.into());
        adjust(s);
    })
    .await;
    app.subscribe_webhooks(REPORT_WEBHOOK_SECRET);
    app
}

/// The webhook secret of [`report_app`].
pub const REPORT_WEBHOOK_SECRET: &str = "report-tests-webhook-secret";

/// A resident of the simulated data.
#[derive(Debug, Clone, Copy)]
pub struct Resident {
    pub party: u64,
    pub apartment: u64,
}

impl Resident {
    pub fn grant(self) -> Grant {
        Grant::Resident {
            party: self.party,
            apartment: self.apartment,
        }
    }
}

/// The `n`th plain resident (current, shown on displays).
pub fn resident(app: &TestApp, n: usize) -> Resident {
    let r = &app.summary().residents.plain[n];
    Resident {
        party: uid(r.party_id),
        apartment: uid(r.apartment_id),
    }
}

/// The maintenance company assigned to the first property's reports.
pub fn maintenance(app: &TestApp) -> u64 {
    uid(app.summary().properties[0].maintenance_company_id.unwrap())
}

/// A valid report body.
pub fn report_body(title: &str) -> Value {
    json!({
        "topic": "apartment",
        "title": title,
        "description": "Hana tippuu jatkuvasti.\nMyös yöllä.",
        "location": "Keittiö",
        "master_key_allowed": true,
        "pets": "Kissa",
        "contact_phone": "040 123 4567",
        "photos": []
    })
}

/// POSTs `body` as a fault report with `key`.
pub async fn post_report(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/fault-reports", app.url))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// Files a report and returns the answer, asserting 201.
pub async fn file(app: &TestApp, token: &str, title: &str) -> FaultReport {
    let key = uuid::Uuid::new_v4().to_string();
    let response = post_report(app, token, &key, &report_body(title)).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.expect("report")
}

/// GETs a resident's report.
pub async fn resident_report(app: &TestApp, token: &str, id: &str) -> FaultReport {
    let response = app
        .get(&format!("/api/v1/fault-reports/{id}"), Some(token))
        .await;
    let status = response.status();
    assert_eq!(status, 200, "{:?}", response.text().await);
    response.json().await.expect("report")
}

/// Polls `check` every 20 ms until it yields a value, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the resident sees `status` on report `id`.
pub async fn until_status(
    app: &TestApp,
    token: &str,
    id: &str,
    status: ReportStatus,
) -> FaultReport {
    eventually(10, "a report status", || async {
        let report = resident_report(app, token, id).await;
        (report.status == status).then_some(report)
    })
    .await
}

/// Tampuuri reports Rappu filed as `id` (its reference line ends the description; accounts
/// that keep `UlkoinenTunniste` have it there too), from the simulator's own data.
pub fn in_tampuuri<'a>(
    snapshot: &'a Snapshot,
    id: &str,
) -> Vec<&'a rappu_sim::report::FaultReport> {
    let line = format!("Rappu-viite: {id}");
    snapshot
        .reports
        .iter()
        .filter(|r| {
            r.kuvaus
                .as_deref()
                .is_some_and(|k| k.lines().any(|l| l.trim() == line))
        })
        .collect()
}

/// The Tampuuri report Rappu delivered as `id`, once there is exactly one.
pub fn delivered_as(app: &TestApp, id: &str) -> rappu_sim::report::FaultReport {
    let snapshot = app.sim.snapshot(&app.account()).expect("snapshot");
    let found = in_tampuuri(&snapshot, id);
    assert_eq!(found.len(), 1, "reports in Tampuuri for {id}");
    found[0].clone()
}

pub const GPS: &[u8] = b"GPSLatitude 60.1699 N";

/// A small JPEG as a phone writes it: JFIF, EXIF with a GPS position, XMP, a comment, the
/// image data and the end marker.
pub fn phone_jpeg() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, contents: &[u8]| {
        j.extend_from_slice(&[0xFF, marker]);
        j.extend_from_slice(&u16::try_from(contents.len() + 2).unwrap().to_be_bytes());
        j.extend_from_slice(contents);
    };
    segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    segment(0xE1, &[b"Exif\0\0MM\0*".as_slice(), GPS].concat());
    segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Koivukuja 3</x:xmpmeta>",
    );
    segment(0xFE, b"kommentti");
    segment(0xDB, &[0u8; 65]);
    segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
    segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]);
    j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]);
    j
}

/// `bytes` as a photo upload.
pub fn photo(name: &str, bytes: &[u8]) -> Value {
    json!({"name": name, "data": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
