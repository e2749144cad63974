//! `rappu verify-upstream`: the go-live check. Against the configured account it makes at
//! most [`MAX_CALLS`] read-only calls and reports what a person can act on: each route Rappu
//! uses (reachable, status, paging shape, time), each field Rappu reads (present, missing,
//! `null`, another type; the enum values seen), the privacy fields, and the differences from
//! what Rappu assumed. With a test object it also files a report there and closes it, to
//! prove the write path and choose the account's exactly-once scheme.
//!
//! - [`fields`]: what each field held, over every row seen.
//! - `probe`: the calls ([`run`]).
//! - [`render`]: the report as a table for people.

mod command;
pub mod fields;
mod probe;
pub mod render;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use command::command;
pub use probe::run;

use crate::upstream::tampuuri::paging::PagingShape;

/// Most calls one check makes (writes included).
pub const MAX_CALLS: u32 = 25;

/// One route as the check found it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RouteCheck {
    /// Route template, e.g. `POST osapuolet/yhteydet/selaa`.
    pub route: String,
    /// Whether it answered 2xx.
    pub reachable: bool,
    /// The status, when it answered; the error in words otherwise.
    pub outcome: String,
    /// The paging shape, for paged routes.
    #[schema(value_type = Option<String>)]
    pub paging: Option<PagingShape>,
    /// Rows in the answer.
    pub rows: Option<usize>,
    /// Rows Rappu could not read (skipped, never failing the page).
    pub unreadable: usize,
    /// Milliseconds.
    pub millis: u64,
}

/// Whether Rappu can apply its privacy rule on this account.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrivacyCheck {
    /// `Turvakielto` seen readable on every person (`all`), on some (`some`), on none (`none`).
    pub turvakielto: String,
    /// `PiilotaPorrasnaytolta` seen.
    pub hide_flag: String,
    /// Move-in and move-out dates (`Alkaa`, `Paattyy`) seen.
    pub dates: String,
    /// Whether any name can be shown at all.
    pub names_shown: bool,
    /// What follows, in words.
    pub explanation: String,
}

/// What the write test found.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WriteCheck {
    /// The test object the report was filed on.
    pub object: u64,
    /// The new report's id, when filed.
    pub report_id: Option<u64>,
    /// `{"Id": n}` (`object`) or a bare `n` (`bare`).
    pub answer: Option<String>,
    /// Found again by `UlkoinenTunniste`.
    pub external_id_kept: Option<bool>,
    /// Found again by Rappu's reference line.
    pub reference_found: Option<bool>,
    /// Received and marked done again.
    pub closed: bool,
    /// The exactly-once scheme the outbox will use on this account.
    pub scheme: String,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every route answered and every field Rappu needs was read.
    Ready,
    /// Usable; see the differences.
    ReadyWithDifferences,
    /// A route Rappu needs failed, or names cannot be shown.
    NotReady,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifyReport {
    /// The account checked.
    pub account: String,
    /// When.
    pub checked_at: DateTime<Utc>,
    /// Calls made (at most [`MAX_CALLS`]).
    pub calls: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// Each route.
    pub routes: Vec<RouteCheck>,
    /// Each field.
    pub fields: Vec<fields::FieldTally>,
    /// The privacy fields.
    pub privacy: PrivacyCheck,
    /// The write test, when asked for.
    pub write: Option<WriteCheck>,
    /// What differs from what Rappu assumed, each as a stable code and words
    /// (`paging.flat: ...`).
    pub differences: Vec<Difference>,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Difference {
    /// A stable code, e.g. `paging.flat`, `enums.numbers`, `fields.missing`.
    pub code: String,
    /// What it is and what Rappu does about it.
    pub detail: String,
}

/// Checks `account` with a client that never retries (so the call budget holds), records
/// what it found (the outbox reads the exactly-once scheme from it), and returns the report.
pub async fn check_account(
    settings: &crate::config::TampuuriSettings,
    usage: crate::usage::UsageRecorder,
    store: &crate::store::Store,
    account: &str,
    test_object: Option<u64>,
) -> anyhow::Result<VerifyReport> {
    let metrics = crate::metrics::UpstreamMetrics::detached();
    check_account_observed(settings, usage, metrics, store, account, test_object).await
}

/// [`check_account`] from a running gateway: its calls also count in the gateway's
/// metrics (calls by route and status, latency, the console's recent failures), as every
/// other call it makes.
pub async fn check_account_observed(
    settings: &crate::config::TampuuriSettings,
    usage: crate::usage::UsageRecorder,
    metrics: crate::metrics::UpstreamMetrics,
    store: &crate::store::Store,
    account: &str,
    test_object: Option<u64>,
) -> anyhow::Result<VerifyReport> {
    let mut settings = settings.clone();
    settings.max_retries = 0;
    let tampuuri = crate::upstream::tampuuri::Tampuuri::observed(&settings, usage, metrics)?;
    let client = tampuuri
        .account(account)
        .ok_or_else(|| anyhow::anyhow!("account {account:?} is not configured"))?;
    let report = run(client, test_object).await;
    let profile = crate::store::profiles::UpstreamProfile {
        external_id_kept: report.write.as_ref().and_then(|w| w.external_id_kept),
        checked_at: report.checked_at.timestamp(),
        report_json: serde_json::to_string(&report)?,
    };
    store.save_profile(account, profile).await?;
    Ok(report)
}

impl VerifyReport {
    /// The difference codes, for tests and scripts.
    pub fn codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.differences.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}
