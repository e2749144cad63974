//! Receive, hold, done: the partner moves a report through its lifecycle.
//!
//! Each transition reads the report fresh from Tampuuri (never from cache: ownership and
//! state must be current), refuses another assignee's report as not found, refuses an
//! illegal move locally with 409, then calls Tampuuri's route once (these calls are never
//! retried: a retry could apply a change twice). Tampuuri's own 409 is a 409 too.

use futures::future::BoxFuture;
use rappu_shared::report::{WorkOrder, validate_note};

use super::{Assignee, WorkOrders};
use crate::mirror::Origin;
use crate::reports::ReportError;
use crate::upstream::tampuuri::model::{FaultReport, ReportState};
use crate::upstream::tampuuri::{TampuuriClient, UpstreamError};

/// Whether the caller may change a report, asked of the report as read at the time (a
/// boxed future: the check of a third-party app's scope reads the object registry).
pub type MayChange<'a> =
    &'a (dyn for<'r> Fn(&'r FaultReport) -> BoxFuture<'r, Result<bool, ReportError>> + Send + Sync);

/// `check` as a [`MayChange`] (a closure's signature is inferred from this bound).
pub fn may_change<F>(check: F) -> F
where
    F: for<'r> Fn(&'r FaultReport) -> BoxFuture<'r, Result<bool, ReportError>> + Send + Sync,
{
    check
}

/// A lifecycle step a partner may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Take the job: open or waiting → received.
    Receive,
    /// Put it on hold with a reason the resident sees: received → waiting.
    Hold(String),
    /// The work is done, with a summary the resident sees: received or waiting → done.
    Done(String),
}

impl Transition {
    fn verb(&self) -> &'static str {
        match self {
            Self::Receive => "received",
            Self::Hold(_) => "put on hold",
            Self::Done(_) => "marked done",
        }
    }

    /// Whether the move is allowed from `state`; `None` for a state Rappu does not know
    /// (then Tampuuri decides).
    pub fn allowed_from(&self, state: &ReportState) -> Option<bool> {
        use ReportState as S;
        if let S::Other(_) = state {
            return None;
        }
        Some(match self {
            Self::Receive => matches!(state, S::Open | S::Waiting),
            Self::Hold(_) => matches!(state, S::Received),
            Self::Done(_) => matches!(state, S::Received | S::Waiting),
        })
    }
}

fn state_name(state: &ReportState) -> &str {
    match state {
        ReportState::Open => "open",
        ReportState::Received => "received",
        ReportState::Waiting => "waiting",
        ReportState::Done => "done",
        ReportState::Completed => "completed",
        ReportState::Other(s) => s,
    }
}

impl WorkOrders {
    /// Applies `step` to work order `id` of `who`; answers the work order as it is now.
    pub async fn transition(
        &self,
        who: &Assignee,
        id: u64,
        step: Transition,
    ) -> Result<WorkOrder, ReportError> {
        let party = who.party;
        let mine = may_change(move |report| {
            Box::pin(std::future::ready(Ok(report.assignee_id == Some(party))))
        });
        self.transition_where(&who.account, id, step, &mine).await
    }

    /// Applies `step` to report `id` of `account` if `may` says the caller may change it
    /// (a third-party app whose scope covers its building); otherwise the report answers
    /// as not found.
    pub async fn transition_where(
        &self,
        account: &str,
        id: u64,
        step: Transition,
        may: MayChange<'_>,
    ) -> Result<WorkOrder, ReportError> {
        match &step {
            Transition::Receive => {}
            Transition::Hold(reason) => {
                validate_note("reason", reason).map_err(ReportError::Invalid)?
            }
            Transition::Done(summary) => {
                validate_note("summary", summary).map_err(ReportError::Invalid)?
            }
        }
        let client = self.client(account)?;
        // The state as the mirror has it; Tampuuri has the last word (its 409 is ours).
        let current = match self
            .inner
            .mirror
            .report(account, id)
            .await
            .map_err(|e| ReportError::Upstream(e.into()))?
        {
            Some(report) => report,
            // Not in the mirror yet (filed a moment ago, its webhook still on its way): a
            // write calls Tampuuri anyway, so read it there first.
            None => self.read_through(&client, id).await?,
        };
        if !may(&current).await? {
            return Err(ReportError::NotFound);
        }
        // The mirror may be a moment behind (this partner's previous step, its webhook
        // still on its way): before refusing a move, ask Tampuuri.
        let current = if step.allowed_from(&current.state) == Some(false) {
            self.read_through(&client, id).await?
        } else {
            current
        };
        if !may(&current).await? {
            return Err(ReportError::NotFound);
        }
        if step.allowed_from(&current.state) == Some(false) {
            return Err(ReportError::Conflict(format!(
                "work order {id} is {}; it cannot be {}",
                state_name(&current.state),
                step.verb()
            )));
        }
        let result = match &step {
            Transition::Receive => client.receive_report(id).await,
            Transition::Hold(reason) => client.hold_report(id, reason.trim()).await,
            Transition::Done(summary) => client.mark_report_done(id, summary.trim()).await,
        };
        let updated = match result {
            Ok(report) => report,
            Err(UpstreamError::Conflict { .. }) => {
                self.changed(account, &current).await;
                return Err(ReportError::Conflict(format!(
                    "work order {id} changed meanwhile; it cannot be {} now",
                    step.verb()
                )));
            }
            Err(e) => {
                // The change may or may not have happened: read it fresh next time.
                self.changed(account, &current).await;
                return Err(e.into());
            }
        };
        tracing::info!(report = id, step = step.verb(), "work order changed");
        if let Err(e) = self
            .inner
            .mirror
            .put_report(account, updated.clone(), Origin::Answer)
            .await
        {
            tracing::warn!(report = id, error = %e, "cannot keep the changed work order in the mirror");
        }
        self.changed(account, &updated).await;
        Ok(self.work_order(account, &updated).await)
    }

    /// Reads report `id` from Tampuuri and keeps it in the mirror (as a fetch that began
    /// before the read: a write of Rappu's answered meanwhile keeps its newer version).
    async fn read_through(
        &self,
        client: &TampuuriClient,
        id: u64,
    ) -> Result<FaultReport, ReportError> {
        let account = client.account();
        let began = self.inner.mirror.fetch_begins(account);
        match client.fault_report(id).await {
            Ok(report) => {
                let read = Origin::Fetched { began };
                if let Err(e) = self
                    .inner
                    .mirror
                    .put_report(account, report.clone(), read)
                    .await
                {
                    tracing::warn!(report = id, error = %e, "cannot keep the work order in the mirror");
                }
                Ok(report)
            }
            Err(UpstreamError::NotFound { .. }) => Err(ReportError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Drops cached views of `report`: the partner's lists and the resident's reports.
    async fn changed(&self, account: &str, report: &FaultReport) {
        self.on_report_changed(account, report.id);
        if let Some(reporter) = report.reporter_id {
            self.inner.reports.forget_party(account, reporter).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_is_checked_locally() {
        use ReportState as S;
        let hold = Transition::Hold("osat".into());
        let done = Transition::Done("tehty".into());
        assert_eq!(Transition::Receive.allowed_from(&S::Open), Some(true));
        assert_eq!(Transition::Receive.allowed_from(&S::Waiting), Some(true));
        assert_eq!(Transition::Receive.allowed_from(&S::Done), Some(false));
        assert_eq!(hold.allowed_from(&S::Open), Some(false));
        assert_eq!(hold.allowed_from(&S::Received), Some(true));
        assert_eq!(done.allowed_from(&S::Waiting), Some(true));
        assert_eq!(done.allowed_from(&S::Completed), Some(false));
        assert_eq!(done.allowed_from(&S::Other("Uusi".into())), None);
    }
}
