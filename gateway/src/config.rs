//! Settings: defaults, then a TOML file, then `RAPPU_*` environment variables, then flags.
//!
//! Everything is validated once at start ([`Settings::validate`]) with messages that name the
//! setting at fault, so a misconfigured deployment fails before it serves anything. Secrets
//! (the Tampuuri key and passwords) are [`SecretString`]s: they cannot be printed by accident.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

/// The environment variable prefix: `RAPPU_SERVER__ADDR` sets `server.addr`.
pub const ENV_PREFIX: &str = "RAPPU_";

/// All of Rappu's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The HTTP server.
    pub server: ServerSettings,
    /// Where Rappu keeps its SQLite database and signing keys.
    pub data_dir: PathBuf,
    /// `postgres://user:password@host:port/db`: keep everything durable in PostgreSQL, so
    /// several replicas can share it. Absent: the SQLite file in `data_dir`. A secret (it
    /// may hold the password): never printed or logged.
    #[serde(default, serialize_with = "redacted_opt")]
    pub database_url: Option<SecretString>,
    /// Connections in the PostgreSQL pool of one replica.
    #[serde(default = "default_pool_size")]
    pub database_pool_size: u32,
    /// The built web app (`scripts/build-web` writes `web/dist`).
    pub web_dir: PathBuf,
    /// Logging.
    pub log: LogSettings,
    /// The real Tampuuri API. Absent: Rappu runs its simulator in-process.
    #[serde(default)]
    pub tampuuri: Option<TampuuriSettings>,
    /// The embedded simulator, used only when `tampuuri` is absent.
    pub simulator: SimulatorSettings,
    /// Token verification and minting.
    pub auth: AuthSettings,
    /// Display feeds and their cache.
    pub feeds: FeedSettings,
    /// Tampuuri webhooks in.
    pub webhooks: WebhookSettings,
    /// Request rate limits.
    pub rate_limit: RateLimitSettings,
    /// The Tampuuri API package, to price the calls Rappu makes.
    #[serde(default)]
    pub usage: UsageSettings,
    /// Resident fault reports: upload size, delivery outbox, idempotency, read cache.
    #[serde(default)]
    pub reports: ReportSettings,
    /// Prometheus metrics (`GET /metrics` on their own listener).
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// Outgoing mail (resident sign-in links).
    #[serde(default)]
    pub email: crate::signin::settings::EmailSettings,
    /// Residents signing in with their email address.
    #[serde(default)]
    pub signin: crate::signin::settings::SignInSettings,
    /// Third-party apps: OAuth 2.0 client credentials.
    #[serde(default)]
    pub oauth: crate::apps::settings::OAuthSettings,
    /// The account mirror: how often it is reconciled with Tampuuri.
    #[serde(default)]
    pub mirror: MirrorSettings,
}

/// Prometheus metrics.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Serve `GET /metrics` at all.
    pub enabled: bool,
    /// The metrics listener's own address, apart from `server.addr` (port 0 picks one).
    pub addr: SocketAddr,
    /// Also serve `GET /metrics` on `server.addr`, to admin tokens only. Off by default:
    /// metrics say how busy and how healthy the gateway is, which is nobody else's business.
    pub public: bool,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            addr: SocketAddr::from(([127, 0, 0, 1], 9464)),
            public: false,
        }
    }
}

/// How often the account mirror is reconciled with Tampuuri (`crate::mirror`). With
/// webhooks a reconciliation is a safety net for a lost notification; without them it is
/// how changes are found, so its cadence sets the bill (`rappu plan` prints it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MirrorSettings {
    /// With webhooks: seconds between reconciliations of people (connections) and open
    /// fault reports; a lost webhook is repaired within this.
    pub reconcile_secs: u64,
    /// Without webhooks: seconds between reconciliations of people and open reports (how
    /// soon a change shows).
    pub poll_secs: u64,
    /// Seconds between reads of the announcements (Tampuuri documents no webhook for news).
    pub news_secs: u64,
    /// Seconds between reconciliations of the registry (properties, buildings, staircases,
    /// apartments), which object webhooks otherwise keep current.
    pub registry_secs: u64,
    /// How long a request waits for an account's first load before answering 503.
    pub load_wait_secs: u64,
    /// Notifications arriving within this many milliseconds are fetched together (several
    /// parties in one call).
    pub batch_ms: u64,
    /// Days a closed fault report is kept for residents' and partners' views.
    pub closed_report_days: u64,
}

impl Default for MirrorSettings {
    fn default() -> Self {
        Self {
            reconcile_secs: 86_400,
            poll_secs: 900,
            news_secs: 3_600,
            registry_secs: 7 * 86_400,
            load_wait_secs: 20,
            batch_ms: 100,
            closed_report_days: 400,
        }
    }
}

impl MirrorSettings {
    /// Between reconciliations of people and open reports.
    pub fn people_every(&self, webhooks: bool) -> Duration {
        Duration::from_secs(if webhooks {
            self.reconcile_secs
        } else {
            self.poll_secs
        })
    }

    /// Between reads of the announcements.
    pub fn news_every(&self, webhooks: bool) -> Duration {
        Duration::from_secs(if webhooks {
            self.news_secs
        } else {
            self.news_secs.min(self.poll_secs)
        })
    }

    /// Between reconciliations of the registry.
    pub fn registry_every(&self) -> Duration {
        Duration::from_secs(self.registry_secs)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        // Low minimums: the benchmark runs a month of cadences in minutes (`scripts/bench`
        // part 2 divides each by its time compression: a day's reconciliation every 24 s,
        // the hourly news every second). A deployment's cost at its cadences is what
        // `rappu plan --config` prints.
        for (name, value, min) in [
            ("mirror.reconcile_secs", self.reconcile_secs, 10),
            ("mirror.poll_secs", self.poll_secs, 1),
            ("mirror.news_secs", self.news_secs, 1),
            ("mirror.registry_secs", self.registry_secs, 10),
            ("mirror.load_wait_secs", self.load_wait_secs, 1),
            ("mirror.closed_report_days", self.closed_report_days, 1),
        ] {
            if value < min {
                return Err(invalid(name, format!("must be at least {min}")));
            }
        }
        if self.batch_ms > 10_000 {
            return Err(invalid("mirror.batch_ms", "must be at most 10000"));
        }
        Ok(())
    }
}

/// The Tampuuri API package of the account(s); prices default to the package's list prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSettings {
    /// `standard`, `normal` or `business`.
    pub package: crate::pricing::Package,
    /// Fixed monthly price, euros (default: the package's).
    #[serde(default)]
    pub fixed_eur: Option<f64>,
    /// Calls included per month (default: the package's).
    #[serde(default)]
    pub included_calls: Option<u64>,
    /// Price per extra call, euros (default: the package's).
    #[serde(default)]
    pub extra_call_eur: Option<f64>,
    /// Calls a month per account before Rappu holds back everything but writes and privacy
    /// changes (default: the package's included calls). Past 80 % of the month's pace the
    /// admin view and the log warn.
    #[serde(default)]
    pub monthly_budget_calls: Option<u64>,
}

impl Default for UsageSettings {
    fn default() -> Self {
        Self {
            package: crate::pricing::Package::Normal,
            fixed_eur: None,
            included_calls: None,
            extra_call_eur: None,
            monthly_budget_calls: None,
        }
    }
}

impl UsageSettings {
    /// The prices in force.
    pub fn prices(&self) -> crate::pricing::Prices {
        let list = self.package.prices();
        crate::pricing::Prices {
            fixed_eur: self.fixed_eur.unwrap_or(list.fixed_eur),
            included_calls: self.included_calls.unwrap_or(list.included_calls),
            extra_call_eur: self.extra_call_eur.unwrap_or(list.extra_call_eur),
        }
    }

    /// Calls a month per account before background work is held back.
    pub fn budget_calls(&self) -> u64 {
        self.monthly_budget_calls
            .unwrap_or_else(|| self.prices().included_calls)
    }
}

/// Display feeds and the cache of the Tampuuri data they are built from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// How long fetched Tampuuri data counts as fresh when webhooks are off: the polling
    /// fallback's refresh interval.
    pub refresh_secs: u64,
    /// How long data counts as fresh when webhooks keep it current (a safety net).
    pub refresh_with_webhooks_secs: u64,
    /// How long the registry tree (buildings, staircases, apartments) counts as fresh; it
    /// almost never changes, and webhooks invalidate it when it does.
    pub structure_refresh_secs: u64,
    /// Longest time old data is served while Tampuuri fails (stale-if-error).
    pub max_stale_secs: u64,
    /// `Cache-Control: max-age` for displays.
    pub client_max_age_secs: u64,
    /// Most feeds kept (one per building or staircase display).
    pub capacity: u64,
    /// SSE heartbeat interval.
    pub heartbeat_secs: u64,
    /// Show the titles of ongoing work the property manager or the maintenance company
    /// entered. Off (the default): a display shows only each job's place, category and
    /// state, never a title (a resident's title can name a neighbour; those are never
    /// shown either way).
    pub show_staff_work_titles: bool,
}

/// Tampuuri webhooks (a separately priced Tampuuri product).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Shared secret Tampuuri sends in `X-Rappu-Webhook-Secret` (or `?secret=`). Absent:
    /// webhooks are off and feeds refresh every `feeds.refresh_secs` (polling fallback).
    /// In demo mode a secret is generated and the simulator is subscribed automatically.
    #[serde(default, serialize_with = "redacted_opt")]
    pub secret: Option<SecretString>,
    /// Days a notification id is remembered for de-duplication.
    pub dedupe_days: u64,
    /// Deliveries with a wrong secret allowed per account and minute before further wrong
    /// ones get `429`. A delivery with the right secret is never refused for quota.
    pub wrong_secret_per_minute: u32,
    /// Burst of wrong-secret deliveries.
    pub wrong_secret_burst: u32,
}

/// Request rate limits (token bucket: a sustained rate and a burst).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Off: no limits (not for production).
    pub enabled: bool,
    /// Per display token: requests per minute.
    pub display_per_minute: u32,
    /// Per display token: burst.
    pub display_burst: u32,
    /// Per token of other roles: requests per minute.
    pub token_per_minute: u32,
    /// Per token of other roles: burst.
    pub token_burst: u32,
    /// Per client IP on routes without a token: requests per minute.
    pub ip_per_minute: u32,
    /// Per client IP: burst.
    pub ip_burst: u32,
}

/// The HTTP server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The URL people reach Rappu at (links, QR codes, cookies' `Secure`). Default: from `addr`.
    #[serde(default)]
    pub public_url: Option<Url>,
    /// Longest time a request may take before it answers 408.
    pub request_timeout_secs: u64,
    /// Largest JSON body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace_secs: u64,
    /// Seconds a connection may take to send a whole request head. The clock starts when the
    /// server begins waiting for a head, so this is also how long a kept-alive connection
    /// may sit idle between requests; a slow or silent client is disconnected after it.
    pub header_read_timeout_secs: u64,
    /// Most connections open at once. At the cap the server stops accepting (new clients
    /// wait in the kernel's queue) until one closes.
    pub max_connections: usize,
    /// Largest request head (request line and headers), in bytes; a larger one is refused
    /// with `431`. (hyper also refuses a head with more than 100 header lines.)
    pub max_header_bytes: usize,
    /// Reverse proxies whose word on the client's address is taken (CIDRs, e.g.
    /// `["10.0.0.0/8", "127.0.0.1/32"]`). Empty (the default): the connection's peer is
    /// the client, and forwarding headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Which header the trusted proxies set: `x-forwarded-for` (nginx's
    /// `$proxy_add_x_forwarded_for`, the default) or `forwarded` (RFC 7239). Only that one
    /// is read, so a client cannot slip its own in through a proxy that sets the other.
    pub forwarded_header: ForwardedHeader,
    /// How connections are served: by the multi-threaded runtime that also runs the
    /// background work (`"shared"`), or by single-threaded event loops, each with its own
    /// listening socket on `addr` (`SO_REUSEPORT`): `"auto"` (one per CPU the process may use)
    /// or a number. The default, `"one-cpu"`, is one event loop when the process may use only
    /// one CPU and the shared runtime otherwise. On one CPU a loop serves busy connections
    /// strictly in turn and there is no other worker to steal work anyway (pinned to one CPU,
    /// loops answered 1.01-1.07x the shared runtime's requests/s with 0.8x its p99 at 512
    /// connections, README "Benchmark"); on several, a loop cannot hand its connections to
    /// another CPU when it is preempted, so the tail at 64 connections grows when other
    /// processes share the CPUs.
    #[serde(default)]
    pub event_loops: EventLoops,
}

/// `[server] event_loops`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventLoops {
    /// One event loop when the process may run on one CPU only; else [`EventLoops::Shared`].
    #[default]
    OneCpu,
    /// One per CPU the process may run on.
    Auto,
    /// This many.
    Count(std::num::NonZeroUsize),
    /// None: the process's multi-threaded runtime serves connections.
    Shared,
}

impl Serialize for EventLoops {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::OneCpu => serializer.serialize_str("one-cpu"),
            Self::Auto => serializer.serialize_str("auto"),
            Self::Shared => serializer.serialize_str("shared"),
            Self::Count(n) => serializer.serialize_u64(n.get() as u64),
        }
    }
}

impl<'de> Deserialize<'de> for EventLoops {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = EventLoops;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "\"one-cpu\", \"auto\", \"shared\" or a number of event loops from 1 to 1024",
                )
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<EventLoops, E> {
                usize::try_from(n)
                    .ok()
                    .filter(|n| *n <= 1024)
                    .and_then(std::num::NonZeroUsize::new)
                    .map(EventLoops::Count)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<EventLoops, E> {
                u64::try_from(n)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
                    .and_then(|n| self.visit_u64(n))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<EventLoops, E> {
                match s.trim() {
                    "one-cpu" => Ok(EventLoops::OneCpu),
                    "auto" => Ok(EventLoops::Auto),
                    "shared" => Ok(EventLoops::Shared),
                    other => other
                        .parse::<u64>()
                        .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(s), &self))
                        .and_then(|n| self.visit_u64(n)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The header a trusted reverse proxy records the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A `tracing` filter such as `info,rappu_gateway=debug`; `RUST_LOG` overrides it.
    pub filter: String,
    /// One line per request (target `rappu::access`, INFO): request id, route template,
    /// status, latency and the kind of caller. Off by default: at display-poll rates a line
    /// per request costs more than the request (errors are logged either way).
    #[serde(default)]
    pub access: bool,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The real Tampuuri API: one API key, one or more customer accounts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TampuuriSettings {
    /// Base URL, e.g. `https://qa-api.tampuuri.fi/v10/api/`.
    pub base_url: Url,
    /// `X-TampuuriAvain`.
    #[serde(serialize_with = "redacted")]
    pub api_key: SecretString,
    /// `X-AsiakasNimi`: the customer the key was issued to.
    pub customer_name: String,
    /// `X-Ohjelmistoversio`. Default `Rappu/<version>`.
    #[serde(default = "default_software_version")]
    pub software_version: String,
    /// The customer accounts (`X-TiliNimi`) this gateway serves, each with its own user.
    pub accounts: Vec<AccountSettings>,
    /// Whole-call timeout, seconds.
    #[serde(default = "default_upstream_timeout")]
    pub timeout_secs: u64,
    /// Connect timeout, seconds.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Retries after the first attempt, for safe calls only.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// Upstream calls in flight at once, over all accounts.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Most calls a second to Tampuuri per account; a call over it waits its turn (up to
    /// `timeout_secs`). Protects Tampuuri from a burst of Rappu's own making.
    #[serde(default = "default_calls_per_second")]
    pub calls_per_second: u32,
    /// Calls per account that may go at once before `calls_per_second` paces them.
    #[serde(default = "default_calls_burst")]
    pub calls_burst: u32,
    /// Calls in a row that find Tampuuri unavailable before the account's circuit opens
    /// (calls then fail at once and cached data is served).
    #[serde(default = "default_circuit_failures")]
    pub circuit_failures: u32,
    /// Seconds the circuit stays open before one probe call; doubles while probes fail,
    /// up to 8 ×.
    #[serde(default = "default_circuit_open_secs")]
    pub circuit_open_secs: u64,
}

/// One Tampuuri customer account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// `X-TiliNimi`; tokens name the account they belong to.
    pub name: String,
    /// `X-Kayttajatunnus`.
    pub user: String,
    /// `X-Salasana`.
    #[serde(serialize_with = "redacted")]
    pub password: SecretString,
    /// How a fault report is found again after a lost answer (exactly once):
    /// `reference` (the default: Rappu's reference line in the description, searched by
    /// reporter, place and time; works on every account), `external-id` (Tampuuri's
    /// `UlkoinenTunniste` filter, only where `rappu verify-upstream --write-test-object`
    /// showed the account keeps it), or `auto` (what the go-live check recorded, else
    /// `reference`).
    #[serde(default)]
    pub exactly_once: ExactlyOnce,
    /// The account's `Sisaanpaasy` pick-list value for "the worker may enter with a master
    /// key" (*assumed* default `Yleisavaimella`; `rappu verify-upstream` lists the values seen).
    #[serde(default = "default_entry_allowed")]
    pub entry_allowed_value: String,
    /// The pick-list value for "agree on entry separately" (*assumed* default
    /// `Sovittava erikseen`).
    #[serde(default = "default_entry_denied")]
    pub entry_denied_value: String,
}

impl AccountSettings {
    /// The defaults for an account that is not configured (no credentials).
    pub fn unknown(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            user: String::new(),
            password: SecretString::from(String::new()),
            exactly_once: ExactlyOnce::Auto,
            entry_allowed_value: default_entry_allowed(),
            entry_denied_value: default_entry_denied(),
        }
    }
}

/// How the outbox finds a report it may already have delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExactlyOnce {
    /// What `rappu verify-upstream --write-test-object` recorded for the account, else
    /// `reference`.
    #[default]
    Auto,
    /// The reference line in the description, searched by reporter, place and time.
    Reference,
    /// Tampuuri's `UlkoinenTunniste` search filter.
    ExternalId,
}

fn default_entry_allowed() -> String {
    "Yleisavaimella".to_owned()
}

fn default_entry_denied() -> String {
    "Sovittava erikseen".to_owned()
}

/// The embedded simulator (demo mode).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSettings {
    /// Properties (housing companies) generated per account.
    pub properties: usize,
    /// Listen address of the simulator; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The dialect every simulated account speaks: `classic` (the simulator's first
    /// guesses), `vendor_help` (flat paging, enums as numbers, sparse rows, no
    /// `UlkoinenTunniste`: what the vendor's public help shows) or `mixed`.
    pub dialect: String,
}

/// Token verification and minting.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `iss` of minted tokens, and the only issuer accepted.
    pub issuer: String,
    /// `aud` of minted tokens, and the only audience accepted.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, seconds.
    pub leeway_secs: u64,
    /// Directory of Ed25519 keys (`<kid>.pem` private, `<kid>.pub.pem` verify-only).
    /// Default `<data_dir>/keys`; a key is generated there on first start when it is empty.
    #[serde(default)]
    pub keys_dir: Option<PathBuf>,
    /// The key that signs new tokens. Default: the newest private key by name.
    #[serde(default)]
    pub signing_kid: Option<String>,
    /// How often revocations made by other processes (`rappu token revoke`) are picked up.
    pub revocation_refresh_secs: u64,
}

/// Resident fault reports and their delivery to Tampuuri.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Largest `POST /api/v1/fault-reports` body, in bytes (photos travel base64 in it).
    /// Only that route gets this limit; every other route keeps `server.body_limit_bytes`.
    /// The default fits five photos of the largest allowed size.
    pub max_body_bytes: usize,
    /// First wait before retrying a delivery that failed for a transient reason, ms.
    pub outbox_backoff_min_ms: u64,
    /// Longest wait between delivery attempts, ms (the wait doubles up to this, jittered).
    pub outbox_backoff_max_ms: u64,
    /// How long an `Idempotency-Key` is remembered, seconds.
    pub idempotency_key_ttl_secs: u64,
    /// How long a replica's claim on a report it is delivering lasts, seconds; renewed every
    /// third of it while the delivery runs. A replica that dies leaves the report to another
    /// after this long.
    pub outbox_lease_secs: u64,
    /// How long Tampuuri's view of a report is reused before it is read again, seconds.
    /// Webhooks (`IlmoitusTilamuutos`, `IlmoitusMuokkaa`) drop it sooner.
    pub cache_ttl_secs: u64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 36 * 1024 * 1024,
            outbox_backoff_min_ms: 1_000,
            outbox_backoff_max_ms: 300_000,
            idempotency_key_ttl_secs: 24 * 3600,
            outbox_lease_secs: 60,
            cache_ttl_secs: 15,
        }
    }
}

impl ReportSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_body_bytes < 64 * 1024 {
            return Err(invalid("reports.max_body_bytes", "must be at least 65536"));
        }
        if self.max_body_bytes > 256 * 1024 * 1024 {
            return Err(invalid(
                "reports.max_body_bytes",
                "must be at most 268435456 (256 MiB)",
            ));
        }
        if self.outbox_backoff_min_ms == 0 {
            return Err(invalid(
                "reports.outbox_backoff_min_ms",
                "must be at least 1",
            ));
        }
        if self.outbox_backoff_max_ms < self.outbox_backoff_min_ms {
            return Err(invalid(
                "reports.outbox_backoff_max_ms",
                "must be at least reports.outbox_backoff_min_ms",
            ));
        }
        if self.outbox_backoff_max_ms > 24 * 3600 * 1000 {
            return Err(invalid(
                "reports.outbox_backoff_max_ms",
                "must be at most 86400000 (a day)",
            ));
        }
        if !(3..=3600).contains(&self.outbox_lease_secs) {
            return Err(invalid(
                "reports.outbox_lease_secs",
                "must be between 3 and 3600",
            ));
        }
        if !(60..=30 * 86_400).contains(&self.idempotency_key_ttl_secs) {
            return Err(invalid(
                "reports.idempotency_key_ttl_secs",
                "must be between 60 and 2592000 (30 days)",
            ));
        }
        if self.cache_ttl_secs > 300 {
            return Err(invalid(
                "reports.cache_ttl_secs",
                "must be at most 300: residents must see changes within minutes",
            ));
        }
        Ok(())
    }
}

fn redacted<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("[redacted]")
}

pub(crate) fn redacted_opt<S: serde::Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

fn default_software_version() -> String {
    format!("Rappu/{}", env!("CARGO_PKG_VERSION"))
}
fn default_upstream_timeout() -> u64 {
    10
}
fn default_connect_timeout() -> u64 {
    3
}
fn default_retries() -> u32 {
    2
}
fn default_max_concurrent() -> usize {
    8
}
pub(crate) fn default_calls_per_second() -> u32 {
    20
}
pub(crate) fn default_calls_burst() -> u32 {
    40
}
pub(crate) fn default_circuit_failures() -> u32 {
    5
}
pub(crate) fn default_circuit_open_secs() -> u64 {
    15
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: ServerSettings {
                addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
                public_url: None,
                request_timeout_secs: 30,
                body_limit_bytes: 64 * 1024,
                shutdown_grace_secs: 10,
                header_read_timeout_secs: 20,
                max_connections: 4096,
                max_header_bytes: 16 * 1024,
                trusted_proxies: Vec::new(),
                forwarded_header: ForwardedHeader::XForwardedFor,
                event_loops: EventLoops::OneCpu,
            },
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_pool_size: default_pool_size(),
            web_dir: PathBuf::from("web/dist"),
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info".into(),
                access: false,
            },
            tampuuri: None,
            simulator: SimulatorSettings {
                properties: 3,
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                dialect: "classic".into(),
            },
            auth: AuthSettings {
                issuer: "rappu".into(),
                audience: "rappu-api".into(),
                leeway_secs: 30,
                keys_dir: None,
                signing_kid: None,
                revocation_refresh_secs: 5,
            },
            feeds: FeedSettings {
                refresh_secs: 300,
                refresh_with_webhooks_secs: 21_600,
                structure_refresh_secs: 86_400,
                max_stale_secs: 86_400,
                client_max_age_secs: 5,
                capacity: 50_000,
                heartbeat_secs: 15,
                show_staff_work_titles: false,
            },
            webhooks: WebhookSettings {
                secret: None,
                dedupe_days: 14,
                wrong_secret_per_minute: 30,
                wrong_secret_burst: 10,
            },
            rate_limit: RateLimitSettings {
                enabled: true,
                display_per_minute: 120,
                display_burst: 30,
                token_per_minute: 600,
                token_burst: 100,
                ip_per_minute: 120,
                ip_burst: 60,
            },
            reports: ReportSettings::default(),
            usage: UsageSettings::default(),
            metrics: MetricsSettings::default(),
            email: Default::default(),
            signin: Default::default(),
            oauth: Default::default(),
            mirror: MirrorSettings::default(),
        }
    }
}

fn default_pool_size() -> u32 {
    8
}

/// The top-level settings `RAPPU_*` variables may set. Other `RAPPU_*` variables belong to
/// the scripts (`RAPPU_PROFILE`, `RAPPU_WASM_TOOLCHAIN`, `RAPPU_CONFIG`, ...) and are left
/// alone; a misspelt key *inside* a section is still an error.
const SECTIONS: &[&str] = &[
    "metrics",
    "email",
    "signin",
    "oauth",
    "usage",
    "reports",
    "mirror",
    "server",
    "data_dir",
    "database_url",
    "database_pool_size",
    "web_dir",
    "log",
    "tampuuri",
    "simulator",
    "auth",
    "feeds",
    "webhooks",
    "rate_limit",
];

fn section_of(key: &str) -> &str {
    key.split("__").next().unwrap_or(key)
}

fn settings_env() -> Env {
    Env::prefixed(ENV_PREFIX)
        .filter(|key| {
            let section = section_of(key.as_str());
            SECTIONS.iter().any(|s| section.eq_ignore_ascii_case(s))
        })
        .split("__")
}

/// `RAPPU_*` variables that are not settings (shown by `rappu check-config`, so a misspelt
/// section name does not go unnoticed).
pub fn ignored_env_vars() -> Vec<String> {
    std::env::vars()
        .filter_map(|(name, _)| {
            let key = name.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
            (!SECTIONS.contains(&section_of(&key))).then_some(name)
        })
        .collect()
}

/// A setting that is missing or wrong, named by its path (`tampuuri.base_url`).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment could not be read or has the wrong types.
    #[error("{0}")]
    Load(#[from] Box<figment::Error>),
    /// A value has the right type but is not acceptable.
    #[error("{setting}: {problem}")]
    Invalid {
        /// The setting's path.
        setting: String,
        /// What is wrong with it.
        problem: String,
    },
}

fn invalid(setting: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.into(),
        problem: problem.into(),
    }
}

impl Settings {
    /// Loads defaults, then `file` (when given, it must exist; otherwise `rappu.toml` in the
    /// working directory when present), then the environment. Validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => {
                if !path.is_file() {
                    return Err(invalid(
                        "--config",
                        format!("no such file: {}", path.display()),
                    ));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => figment = figment.merge(Toml::file("rappu.toml")),
        }
        let figment = figment.merge(settings_env());
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every value that types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            crate::store::postgres::parse_url(url).map_err(|e| invalid("database_url", e))?;
        }
        if !(2..=100).contains(&self.database_pool_size) {
            return Err(invalid("database_pool_size", "must be between 2 and 100"));
        }
        if self.server.request_timeout_secs == 0 {
            return Err(invalid("server.request_timeout_secs", "must be at least 1"));
        }
        if self.server.body_limit_bytes < 1024 {
            return Err(invalid("server.body_limit_bytes", "must be at least 1024"));
        }
        if self.server.header_read_timeout_secs == 0 {
            return Err(invalid(
                "server.header_read_timeout_secs",
                "must be at least 1",
            ));
        }
        if self.server.max_connections == 0 {
            return Err(invalid("server.max_connections", "must be at least 1"));
        }
        if !(8192..=1024 * 1024).contains(&self.server.max_header_bytes) {
            return Err(invalid(
                "server.max_header_bytes",
                "must be 8192 to 1048576",
            ));
        }
        if self.metrics.enabled
            && self.metrics.addr.port() != 0
            && self.metrics.addr == self.server.addr
        {
            return Err(invalid(
                "metrics.addr",
                "must differ from server.addr (metrics.public = true serves /metrics there to admins)",
            ));
        }
        if let Some(url) = &self.server.public_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return Err(invalid("server.public_url", "must be an http(s) URL"));
        }
        if self.auth.issuer.trim().is_empty() {
            return Err(invalid("auth.issuer", "must not be empty"));
        }
        if self.auth.audience.trim().is_empty() {
            return Err(invalid("auth.audience", "must not be empty"));
        }
        if self.auth.leeway_secs > 300 {
            return Err(invalid("auth.leeway_secs", "must be at most 300"));
        }
        if self.auth.revocation_refresh_secs == 0 {
            return Err(invalid(
                "auth.revocation_refresh_secs",
                "must be at least 1",
            ));
        }
        if !rappu_sim::Dialect::presets()
            .iter()
            .any(|(name, _)| *name == self.simulator.dialect)
        {
            return Err(invalid(
                "simulator.dialect",
                "must be classic, vendor_help or mixed",
            ));
        }
        if self.simulator.properties > 20_000 {
            return Err(invalid("simulator.properties", "must be at most 20000"));
        }
        self.reports.validate()?;
        self.email.validate()?;
        self.signin.validate()?;
        self.oauth.validate()?;
        self.mirror.validate()?;
        if let Some(t) = &self.tampuuri {
            t.validate()?;
        }
        let f = &self.feeds;
        if f.refresh_secs == 0 || f.refresh_with_webhooks_secs == 0 || f.structure_refresh_secs == 0
        {
            return Err(invalid("feeds.refresh_secs", "must be at least 1"));
        }
        if f.max_stale_secs < f.refresh_secs {
            return Err(invalid(
                "feeds.max_stale_secs",
                "must be at least feeds.refresh_secs",
            ));
        }
        if f.capacity == 0 {
            return Err(invalid("feeds.capacity", "must be at least 1"));
        }
        if f.heartbeat_secs == 0 || f.heartbeat_secs > 300 {
            return Err(invalid("feeds.heartbeat_secs", "must be 1 to 300"));
        }
        if let Some(secret) = &self.webhooks.secret
            && secret.expose_secret().len() < 16
        {
            return Err(invalid("webhooks.secret", "must be at least 16 characters"));
        }
        let p = self.usage.prices();
        if !(p.fixed_eur >= 0.0 && p.extra_call_eur >= 0.0) {
            return Err(invalid("usage", "prices must be zero or more"));
        }
        let r = &self.rate_limit;
        for (name, value) in [
            ("rate_limit.display_per_minute", r.display_per_minute),
            ("rate_limit.display_burst", r.display_burst),
            ("rate_limit.token_per_minute", r.token_per_minute),
            ("rate_limit.token_burst", r.token_burst),
            ("rate_limit.ip_per_minute", r.ip_per_minute),
            ("rate_limit.ip_burst", r.ip_burst),
        ] {
            if value == 0 {
                return Err(invalid(name, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// How long fetched data is fresh: shorter without webhooks (polling fallback).
    pub fn feed_ttl(&self, webhooks_on: bool) -> Duration {
        Duration::from_secs(if webhooks_on {
            self.feeds.refresh_with_webhooks_secs
        } else {
            self.feeds.refresh_secs
        })
    }

    /// The URL people reach this instance at.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.server.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    /// The key directory: `auth.keys_dir` or `<data_dir>/keys`.
    pub fn keys_dir(&self) -> PathBuf {
        self.auth
            .keys_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys"))
    }

    /// The SQLite database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("rappu.db")
    }

    /// Request timeout as a [`Duration`].
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.server.request_timeout_secs)
    }
}

impl TampuuriSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.base_url;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("tampuuri.base_url", "must be an http(s) URL"));
        }
        if !url.path().ends_with('/') {
            return Err(invalid(
                "tampuuri.base_url",
                "must end with '/', e.g. https://qa-api.tampuuri.fi/v10/api/",
            ));
        }
        if url.scheme() == "http" && !is_loopback(url) {
            return Err(invalid(
                "tampuuri.base_url",
                "must use https (plain http is allowed only to a loopback address)",
            ));
        }
        if self.api_key.expose_secret().trim().is_empty() {
            return Err(invalid("tampuuri.api_key", "must not be empty"));
        }
        if self.customer_name.trim().is_empty() {
            return Err(invalid("tampuuri.customer_name", "must not be empty"));
        }
        if self.software_version.trim().is_empty() {
            return Err(invalid("tampuuri.software_version", "must not be empty"));
        }
        if self.accounts.is_empty() {
            return Err(invalid("tampuuri.accounts", "list at least one account"));
        }
        for (i, account) in self.accounts.iter().enumerate() {
            if account.name.trim().is_empty() {
                return Err(invalid(
                    format!("tampuuri.accounts[{i}].name"),
                    "must not be empty",
                ));
            }
            if account.user.trim().is_empty() {
                return Err(invalid(
                    format!("tampuuri.accounts[{i}].user"),
                    "must not be empty",
                ));
            }
            if account.password.expose_secret().is_empty() {
                return Err(invalid(
                    format!("tampuuri.accounts[{i}].password"),
                    "must not be empty",
                ));
            }
            if self.accounts[..i].iter().any(|a| a.name == account.name) {
                return Err(invalid(
                    format!("tampuuri.accounts[{i}].name"),
                    format!("duplicate account name {:?}", account.name),
                ));
            }
        }
        if self.timeout_secs == 0 || self.connect_timeout_secs == 0 {
            return Err(invalid(
                "tampuuri.timeout_secs",
                "timeouts must be at least 1 s",
            ));
        }
        if self.max_retries > 5 {
            return Err(invalid("tampuuri.max_retries", "must be at most 5"));
        }
        if self.max_concurrent == 0 {
            return Err(invalid("tampuuri.max_concurrent", "must be at least 1"));
        }
        if self.calls_per_second == 0 || self.calls_burst == 0 {
            return Err(invalid(
                "tampuuri.calls_per_second",
                "calls_per_second and calls_burst must be at least 1",
            ));
        }
        if self.circuit_failures == 0 || self.circuit_open_secs == 0 {
            return Err(invalid(
                "tampuuri.circuit_failures",
                "circuit_failures and circuit_open_secs must be at least 1",
            ));
        }
        Ok(())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_tampuuri(base_url: &str) -> Settings {
        Settings {
            tampuuri: Some(TampuuriSettings {
                base_url: Url::parse(base_url).unwrap(),
                api_key: SecretString::from("AAAA1111-2222-3333"),
                customer_name: "Isännöinti Oy".into(),
                software_version: default_software_version(),
                accounts: vec![AccountSettings {
                    name: "tili".into(),
                    user: "api".into(),
                    password: SecretString::from("salasana"),
                    exactly_once: ExactlyOnce::Auto,
                    entry_allowed_value: default_entry_allowed(),
                    entry_denied_value: default_entry_denied(),
                }],
                timeout_secs: 10,
                connect_timeout_secs: 3,
                max_retries: 2,
                max_concurrent: 8,
                calls_per_second: default_calls_per_second(),
                calls_burst: default_calls_burst(),
                circuit_failures: default_circuit_failures(),
                circuit_open_secs: default_circuit_open_secs(),
            }),
            ..Settings::default()
        }
    }

    #[test]
    fn defaults_are_valid_and_run_the_simulator() {
        let s = Settings::default();
        s.validate().unwrap();
        assert!(s.tampuuri.is_none());
    }

    #[test]
    fn rejects_plain_http_to_a_remote_tampuuri_and_names_the_setting() {
        let err = with_tampuuri("http://api.tampuuri.fi/v10/api/")
            .validate()
            .unwrap_err();
        assert!(err.to_string().starts_with("tampuuri.base_url:"), "{err}");
        with_tampuuri("http://127.0.0.1:9/v10/api/")
            .validate()
            .unwrap();
        with_tampuuri("https://qa-api.tampuuri.fi/v10/api/")
            .validate()
            .unwrap();
    }

    #[test]
    fn names_the_account_at_fault() {
        let mut s = with_tampuuri("https://qa-api.tampuuri.fi/v10/api/");
        let t = s.tampuuri.as_mut().unwrap();
        t.accounts.push(t.accounts[0].clone());
        let err = s.validate().unwrap_err().to_string();
        assert!(err.starts_with("tampuuri.accounts[1].name"), "{err}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's own test harness returns its error type
    fn reads_settings_from_the_environment_and_leaves_other_rappu_variables_alone() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("RAPPU_SERVER__ADDR", "127.0.0.1:9999");
            jail.set_env("RAPPU_FEEDS__REFRESH_SECS", "120");
            jail.set_env("RAPPU_PROFILE", "release");
            jail.set_env("RAPPU_WASM_TOOLCHAIN", "debian");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.server.addr.port(), 9999);
            assert_eq!(s.feeds.refresh_secs, 120);
            jail.set_env("RAPPU_MIRROR__RECONCILE_SECS", "3600");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.mirror.reconcile_secs, 3600);
            let ignored = ignored_env_vars();
            assert!(ignored.contains(&"RAPPU_PROFILE".to_owned()), "{ignored:?}");
            assert!(!ignored.iter().any(|v| v.starts_with("RAPPU_MIRROR")));
            assert!(!ignored.iter().any(|v| v.starts_with("RAPPU_SERVER")));
            // A misspelt key inside a section is an error naming it.
            jail.set_env("RAPPU_SERVER__ADRES", "x");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("adres"), "{err}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's own test harness returns its error type
    fn event_loops_are_one_cpu_auto_shared_or_a_number() {
        figment::Jail::expect_with(|jail| {
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.server.event_loops, EventLoops::OneCpu);
            for (value, expected) in [
                ("one-cpu", Some(EventLoops::OneCpu)),
                ("shared", Some(EventLoops::Shared)),
                ("auto", Some(EventLoops::Auto)),
                ("3", std::num::NonZeroUsize::new(3).map(EventLoops::Count)),
                ("0", None),
                ("-1", None),
                ("5000", None),
                ("many", None),
            ] {
                jail.set_env("RAPPU_SERVER__EVENT_LOOPS", value);
                match (Settings::load(None), expected) {
                    (Ok(s), Some(expected)) => assert_eq!(s.server.event_loops, expected),
                    (Err(e), None) => {
                        assert!(e.to_string().to_lowercase().contains("event_loops"), "{e}")
                    }
                    (other, _) => panic!("{value}: {:?}", other.map(|s| s.server.event_loops)),
                }
            }
            jail.clear_env();
            jail.create_file("rappu.toml", "[server]\nevent_loops = 2\n")?;
            let s = Settings::load(Some(std::path::Path::new("rappu.toml")))
                .map_err(|e| e.to_string())?;
            assert_eq!(
                s.server.event_loops,
                EventLoops::Count(std::num::NonZeroUsize::MIN.saturating_add(1))
            );
            Ok(())
        });
    }

    /// Every section of the settings can be set from the environment.
    #[test]
    fn every_section_is_read_from_the_environment() {
        let value = serde_json::to_value(Settings::default()).unwrap();
        let fields: Vec<&String> = value.as_object().unwrap().keys().collect();
        for field in &fields {
            assert!(
                SECTIONS.contains(&field.as_str()),
                "{field} is not in SECTIONS"
            );
        }
        for section in SECTIONS {
            assert!(
                fields.iter().any(|f| f == section),
                "{section} is no setting"
            );
        }
    }

    #[test]
    fn report_settings_name_the_setting_at_fault() {
        let mut s = Settings::default();
        s.reports.outbox_backoff_max_ms = s.reports.outbox_backoff_min_ms - 1;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.starts_with("reports.outbox_backoff_max_ms"), "{err}");
        let mut s = Settings::default();
        s.reports.cache_ttl_secs = 3600;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.starts_with("reports.cache_ttl_secs"), "{err}");
        let mut s = Settings::default();
        s.reports.max_body_bytes = 1000;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.starts_with("reports.max_body_bytes"), "{err}");
    }

    #[test]
    fn the_default_report_body_fits_five_largest_photos() {
        use rappu_shared::report::{PHOTO_BYTES_MAX, PHOTOS_MAX};
        let base64 = PHOTOS_MAX * PHOTO_BYTES_MAX.div_ceil(3) * 4;
        assert!(ReportSettings::default().max_body_bytes > base64 + 64 * 1024);
    }

    #[test]
    fn never_prints_secrets() {
        let s = with_tampuuri("https://qa-api.tampuuri.fi/v10/api/");
        let debug = format!("{s:?}");
        let json = serde_json::to_string(&s).unwrap();
        for text in [debug, json] {
            assert!(!text.contains("AAAA1111"), "{text}");
            assert!(!text.contains("salasana"), "{text}");
        }
    }
}
