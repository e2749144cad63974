//! What a simulator serves: its key, customer, accounts (each with its own generated data
//! set) and how it delivers webhooks.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;

use crate::dialect::Dialect;

/// The whole configuration of one simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The API key (`X-TampuuriAvain`) that reaches every account.
    pub api_key: String,
    /// The customer name every call must send as `X-AsiakasNimi`.
    pub customer_name: String,
    /// The accounts (`X-TiliNimi`), each with its own credentials and data set.
    pub accounts: Vec<AccountSpec>,
    /// Webhook delivery timing.
    pub webhook: WebhookConfig,
    /// The date the generated data treats as today (future move-ins, expired announcements).
    /// `None` = the real date in Finland when the simulator is built. Pin it for
    /// byte-identical data across days.
    pub today: Option<NaiveDate>,
    /// Seed of the random generator behind the `error_rate` fault switch.
    pub fault_seed: u64,
    /// The dialect of each account, by account name; an account not listed speaks
    /// [`Dialect::classic`]. Changeable at run time (`/_sim/accounts/{a}/dialect`).
    pub dialects: BTreeMap<String, Dialect>,
}

/// One Tampuuri account and the size and seed of its generated data.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    /// Account name (`X-TiliNimi`).
    pub name: String,
    /// API user (`X-Kayttajatunnus`).
    pub user: String,
    /// API password (`X-Salasana`).
    pub password: String,
    /// Seed of the data set: the same seed and size always give the same data.
    pub seed: u64,
    /// Number of properties (cost centres, housing companies) to generate.
    pub properties: usize,
    /// Buildings in every property; `None` = 1, 2 or 3 drawn per property (1.6 on
    /// average). Each building is made as usual (staircases, apartments, residents).
    pub buildings_per_property: Option<usize>,
}

/// How the simulator delivers webhook bundles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Delay before the first retry; it doubles before each further retry.
    pub backoff: Duration,
    /// Time limit of one delivery attempt.
    pub timeout: Duration,
    /// Attempts in all, the first included (Tampuuri: 5).
    pub max_attempts: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            max_attempts: 5,
        }
    }
}

impl AccountSpec {
    /// An account with the given name, credentials, seed and number of properties.
    pub fn new(name: &str, user: &str, password: &str, seed: u64, properties: usize) -> Self {
        Self {
            name: name.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            seed,
            properties,
            buildings_per_property: None,
        }
    }
}

impl SimConfig {
    /// The demo set-up: key `5A1B2C3D-4E5F-6789`, customer `Rappu Demo Oy`, accounts `demo`
    /// (user `rappu`, 3 properties, seed 1) and `toinen` (user `rappu2`, 2 properties, seed 2).
    pub fn demo() -> Self {
        Self {
            api_key: "5A1B2C3D-4E5F-6789".to_owned(),
            customer_name: "Rappu Demo Oy".to_owned(),
            accounts: vec![
                AccountSpec::new("demo", "rappu", "demo-salasana", 1, 3),
                AccountSpec::new("toinen", "rappu2", "toinen-salasana", 2, 2),
            ],
            webhook: WebhookConfig::default(),
            today: None,
            fault_seed: 0x5EED,
            dialects: BTreeMap::new(),
        }
    }

    /// The same configuration with `account` speaking `dialect`.
    pub fn with_dialect(mut self, account: &str, dialect: Dialect) -> Self {
        self.dialects.insert(account.to_owned(), dialect);
        self
    }

    /// The dialect `account` starts with.
    pub fn dialect(&self, account: &str) -> Dialect {
        self.dialects.get(account).cloned().unwrap_or_default()
    }

    /// The demo key and customer with exactly these accounts.
    pub fn with_accounts(accounts: Vec<AccountSpec>) -> Self {
        Self {
            accounts,
            ..Self::demo()
        }
    }

    /// The account with this name, if configured.
    pub fn account(&self, name: &str) -> Option<&AccountSpec> {
        self.accounts.iter().find(|a| a.name == name)
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self::demo()
    }
}

impl SimConfig {
    /// The demo configuration with `properties` per account (when given) and the first
    /// account's data generated from `seed` (the others from `seed + 1`, ...).
    pub fn demo_sized(properties: Option<usize>, seed: Option<u64>) -> Self {
        let mut config = Self::demo();
        for (i, account) in config.accounts.iter_mut().enumerate() {
            if let Some(n) = properties {
                account.properties = n;
            }
            if let Some(seed) = seed {
                account.seed = seed.wrapping_add(i as u64);
            }
        }
        config
    }

    /// The same configuration with `n` buildings in every property of every account
    /// (`rappu sim --buildings-per-property`), e.g. a fleet of 500 buildings in 250
    /// housing companies.
    pub fn with_buildings_per_property(mut self, n: Option<usize>) -> Self {
        for account in &mut self.accounts {
            account.buildings_per_property = n;
        }
        self
    }

    /// What a person needs to call a simulator listening on `addr`: URLs and credentials.
    pub fn banner(&self, addr: std::net::SocketAddr) -> String {
        use crate::auth;
        let mut out = format!(
            "Tampuuri simulator\n  API:   http://{addr}/v10/api/\n  admin: http://{addr}/_sim/  (calls, faults, webhooks, accounts/<name>/summary)\n  {}: {}\n  {}: {}\n  {}: any non-empty value\n",
            auth::API_KEY,
            self.api_key,
            auth::CUSTOMER,
            self.customer_name,
            auth::SOFTWARE
        );
        for a in &self.accounts {
            let dialect = self.dialect(&a.name);
            out.push_str(&format!(
                "  account {:<8} {}: {}  {}: {}  {}: {}  ({} properties, seed {}, dialect {})\n",
                a.name,
                auth::ACCOUNT,
                a.name,
                auth::USER,
                a.user,
                auth::PASSWORD,
                a.password,
                a.properties,
                a.seed,
                dialect.preset_name().unwrap_or("custom")
            ));
        }
        out
    }
}
