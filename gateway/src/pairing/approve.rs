//! Entering a code: who may ([`Approver`]), the checks (the code's shape, the building and
//! staircase in Tampuuri, a caretaker's buildings) and the approval itself.

use chrono::Utc;
use rappu_shared::pairing::{ApprovePairing, PairedDisplay, normalize_user_code};

use super::db::{self, CaretakerRow, DisplayRow};
use super::{Displays, PairingError, at, check, invalid};
use crate::upstream::tampuuri::UpstreamError;

/// Who enters a code.
#[derive(Debug, Clone)]
pub enum Approver {
    /// An operator with an admin token.
    Admin {
        /// Tampuuri account.
        account: String,
        /// The token's subject.
        subject: String,
    },
    /// A caretaker's phone, for the buildings of its link.
    Caretaker(CaretakerRow),
}

impl Approver {
    fn account(&self) -> &str {
        match self {
            Approver::Admin { account, .. } => account,
            Approver::Caretaker(c) => &c.account,
        }
    }

    /// Recorded as who paired a display.
    fn name(&self) -> String {
        match self {
            Approver::Admin { subject, .. } => format!("admin:{subject}"),
            Approver::Caretaker(c) => format!(
                "caretaker:{}",
                c.label.clone().unwrap_or_else(|| c.id.clone())
            ),
        }
    }

    /// Keys the wrong-code limit.
    fn key(&self) -> String {
        match self {
            Approver::Admin { account, subject } => format!("admin:{account}:{subject}"),
            Approver::Caretaker(c) => format!("caretaker:{}", c.id),
        }
    }
}

impl Displays {
    /// Pairs the screen showing `body.code` as a display of `body.building` (and
    /// staircase), after checking both in Tampuuri with `client`.
    pub async fn approve(
        &self,
        approver: &Approver,
        body: &ApprovePairing,
        mirror: &crate::mirror::Mirror,
    ) -> Result<PairedDisplay, PairingError> {
        body.validate().map_err(PairingError::Invalid)?;
        let code = normalize_user_code(&body.code)
            .ok_or_else(|| invalid("code", "is not a pairing code"))?;
        if let Approver::Caretaker(c) = approver
            && !c.buildings.contains(&body.building)
        {
            return Err(PairingError::OutOfScope(
                "this caretaker link does not cover that building".into(),
            ));
        }
        check_place(mirror, approver.account(), body.building, body.staircase).await?;
        let now = Utc::now().timestamp();
        let display = DisplayRow {
            id: uuid::Uuid::now_v7().to_string(),
            account: approver.account().to_owned(),
            building: body.building,
            staircase: body.staircase,
            label: clean_label(body.label.as_deref()),
            paired_at: now,
            paired_by: approver.name(),
            last_seen_at: None,
        };
        let row = display.clone();
        let approved = self
            .store()
            .call(move |c| db::approve(c, &code, &row, now))
            .await?;
        if !approved {
            check(&self.inner.wrong_codes, &approver.key())?;
            return Err(invalid(
                "code",
                "no display shows this code now (a code works 15 minutes; the display then shows a new one)",
            ));
        }
        self.inner.approvals.send_modify(|n| *n = n.wrapping_add(1));
        let (id, building, by) = (&display.id, display.building, &display.paired_by);
        tracing::info!(display = %id, building, by = %by, "display paired");
        Ok(view(&display))
    }
}

/// A label as stored: trimmed, `None` when empty.
pub(super) fn clean_label(label: Option<&str>) -> Option<String> {
    label
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
}

/// Checks that `building` is a building and `staircase` one of its staircases.
pub(super) async fn check_place(
    mirror: &crate::mirror::Mirror,
    account: &str,
    building: u64,
    staircase: Option<u64>,
) -> Result<rappu_shared::Building, PairingError> {
    let found = match crate::property::building(mirror, account, building).await {
        Err(UpstreamError::NotFound { .. }) => return Err(invalid("building", "no such building")),
        other => other?,
    };
    if let Some(staircase) = staircase
        && !found.staircases.iter().any(|s| s.id == staircase)
    {
        return Err(invalid("staircase", "not a staircase of this building"));
    }
    Ok(found)
}

/// The operator's view of a display.
pub fn view(row: &DisplayRow) -> PairedDisplay {
    PairedDisplay {
        id: row.id.clone(),
        label: row.label.clone(),
        building: row.building,
        staircase: row.staircase,
        paired_at: at(row.paired_at),
        paired_by: row.paired_by.clone(),
        last_seen_at: row.last_seen_at.map(at),
    }
}
