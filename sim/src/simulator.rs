//! The simulator: per-account worlds behind locks, the call counter, the fault switches
//! and the webhook hub, shared by every request through one `Arc`.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::NaiveDate;

use crate::config::SimConfig;
use crate::counter::{CallCounter, CallCounts};
use crate::dialect::Dialect;
use crate::faults::{FaultSwitch, Faults};
use crate::webhooks::hub::Hub;
use crate::webhooks::{Delivery, RegisteredListener, WebhookListener};
use crate::world::{AccountSummary, Change, Snapshot, World};
use crate::{data, time};

/// One account: credentials and data.
pub(crate) struct Account {
    pub(crate) name: String,
    pub(crate) user: String,
    pub(crate) password: String,
    /// The data seed (dialects derive their per-row choices from it).
    pub(crate) seed: u64,
    dialect: RwLock<Dialect>,
    world: RwLock<World>,
}

impl Account {
    /// Read the data. A panic while holding the lock cannot leave the data half-changed
    /// (changes are validated first), so a poisoned lock is still usable.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Change the data.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The dialect the account speaks now.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_dialect(&self, dialect: Dialect) {
        *self.dialect.write().unwrap_or_else(|e| e.into_inner()) = dialect;
    }
}

struct Inner {
    config: SimConfig,
    today: NaiveDate,
    accounts: BTreeMap<String, Arc<Account>>,
    calls: CallCounter,
    faults: FaultSwitch,
    hub: Hub,
}

/// A Tampuuri simulator. Cheap to clone: every clone shares the same state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("accounts", &self.inner.accounts.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// reqwest is built without a default TLS crypto provider; install ring's once per
/// process (an already installed provider wins).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Simulator {
    /// Build a simulator and generate every account's data (accounts in parallel).
    pub fn new(config: SimConfig) -> Self {
        install_crypto_provider();
        let today = config.today.unwrap_or_else(time::today);
        let worlds: Vec<World> = std::thread::scope(|s| {
            let handles: Vec<_> = config
                .accounts
                .iter()
                .map(|spec| s.spawn(move || data::generate(spec, today)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let accounts = config
            .accounts
            .iter()
            .zip(worlds)
            .map(|(spec, world)| {
                let account = Account {
                    name: spec.name.clone(),
                    user: spec.user.clone(),
                    password: spec.password.clone(),
                    seed: spec.seed,
                    dialect: RwLock::new(config.dialect(&spec.name)),
                    world: RwLock::new(world),
                };
                (spec.name.clone(), Arc::new(account))
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                today,
                accounts,
                calls: CallCounter::default(),
                faults: FaultSwitch::new(config.fault_seed),
                hub: Hub::new(config.webhook),
                config,
            }),
        }
    }

    /// The configuration the simulator was built with.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The date the generated data treats as today.
    pub fn today(&self) -> NaiveDate {
        self.inner.today
    }

    /// The account names.
    pub fn account_names(&self) -> Vec<String> {
        self.inner.accounts.keys().cloned().collect()
    }

    pub(crate) fn account(&self, name: &str) -> Option<Arc<Account>> {
        self.inner.accounts.get(name).cloned()
    }

    /// The dialect `account` speaks now; `None` for an unknown account.
    pub fn dialect(&self, account: &str) -> Option<Dialect> {
        Some(self.account(account)?.dialect())
    }

    /// Make `account` speak `dialect` from its next call on. Refused for an unknown
    /// account or an invalid dialect.
    pub fn set_dialect(&self, account: &str, dialect: Dialect) -> Result<(), String> {
        dialect.validate()?;
        let found = self
            .account(account)
            .ok_or_else(|| format!("unknown account {account}"))?;
        found.set_dialect(dialect);
        Ok(())
    }

    /// The whole HTTP surface: `/v10/api/...` and `/_sim/...`.
    pub fn router(&self) -> axum::Router {
        crate::routes::router(self.clone())
    }

    /// The call counts so far.
    pub fn calls(&self) -> CallCounts {
        self.inner.calls.snapshot()
    }

    /// Forget the call counts.
    pub fn reset_calls(&self) {
        self.inner.calls.reset();
    }

    pub(crate) fn count(&self, account: &str, route: &str) {
        self.inner.calls.count(account, route);
    }

    pub(crate) fn count_scope(&self, account: &str, route: &str, scope: &str) {
        self.inner.calls.count_scope(account, route, scope);
    }

    /// The fault switches now (`fail_next` counts down as calls fail).
    pub fn faults(&self) -> Faults {
        self.inner.faults.get()
    }

    /// Set every fault switch.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.faults.set(faults);
    }

    pub(crate) fn fault_switch(&self) -> &FaultSwitch {
        &self.inner.faults
    }

    /// The ids worth knowing in one account.
    pub fn summary(&self, account: &str) -> Option<AccountSummary> {
        Some(self.account(account)?.read().summary(account))
    }

    /// A full copy of one account's data.
    pub fn snapshot(&self, account: &str) -> Option<Snapshot> {
        Some(self.account(account)?.read().snapshot())
    }

    /// Register a webhook listener; returns its id.
    pub fn add_listener(&self, listener: WebhookListener) -> u64 {
        self.inner.hub.add(listener)
    }

    /// The registered listeners.
    pub fn listeners(&self) -> Vec<RegisteredListener> {
        self.inner.hub.listeners()
    }

    /// Every webhook delivery attempt so far, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.hub.deliveries()
    }

    /// Send the notifications of a change to the listeners.
    pub(crate) fn publish(&self, account: &str, changes: &[Change]) {
        self.inner.hub.publish(account, changes);
    }

    /// Stop webhook delivery: abort running deliveries and queue no more.
    pub fn stop_webhooks(&self) {
        self.inner.hub.stop();
    }
}
