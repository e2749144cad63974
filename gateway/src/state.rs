//! Application state: everything handlers share, built once at start.

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::Tokens;
use crate::config::Settings;
use crate::reports::FaultReports;
use crate::store::Store;
use crate::upstream::tampuuri::{Tampuuri, TampuuriClient, UpstreamError};
use crate::usage::UsageRecorder;
use crate::work_orders::WorkOrders;

/// Where Tampuuri calls go.
#[derive(Debug, Clone)]
pub enum UpstreamMode {
    /// The configured Tampuuri API.
    Tampuuri,
    /// The simulator running inside this process (no Tampuuri configured).
    Embedded(rappu_sim::Simulator),
}

/// Shared state; handlers receive it through axum's `State`.
pub struct App {
    /// Validated settings.
    pub settings: Settings,
    /// SQLite.
    pub store: Store,
    /// Tampuuri clients by account.
    pub tampuuri: Tampuuri,
    /// Token minting and verification.
    pub tokens: Tokens,
    /// Upstream call counting.
    pub usage: UsageRecorder,
    /// Real Tampuuri or the embedded simulator.
    pub mode: UpstreamMode,
    /// Resident fault reports and their delivery outbox.
    pub reports: FaultReports,
    /// The maintenance partners' work orders.
    pub work_orders: WorkOrders,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A cheap handle to [`App`].
#[derive(Clone, Debug)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl App {
    /// Tampuuri says fault report `report_id` of `account` changed (webhooks
    /// `IlmoitusUusi`, `IlmoitusTilamuutos`, `IlmoitusMuokkaa`): residents and partners read
    /// it fresh next time.
    pub async fn on_report_changed(&self, account: &str, report_id: u64) {
        self.reports.on_report_changed(account, report_id).await;
        self.work_orders.on_report_changed(account, report_id).await;
    }

    /// The Tampuuri client of `account`. Tokens are only minted and accepted for configured
    /// accounts, so a miss means the configuration changed under a live token.
    pub fn upstream(&self, account: &str) -> Result<&TampuuriClient, UpstreamError> {
        self.tampuuri
            .account(account)
            .ok_or_else(|| UpstreamError::Unauthorized {
                account: account.to_owned(),
            })
    }
}
