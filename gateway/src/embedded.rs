//! Demo mode: with no Tampuuri configured, Rappu runs its simulator in-process and talks
//! to it over real HTTP on a loopback port, exactly as it would to Tampuuri.

use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::{AccountSettings, ExactlyOnce, Settings, TampuuriSettings};

/// The running embedded simulator.
pub struct EmbeddedSim {
    /// The simulator (its data, counters and switches).
    pub simulator: rappu_sim::Simulator,
    /// Settings that point the Tampuuri client at it.
    pub tampuuri: TampuuriSettings,
    /// Where it listens (loopback).
    pub addr: std::net::SocketAddr,
    /// Its server task.
    pub task: tokio::task::JoinHandle<()>,
}

/// The simulator's demo configuration with the configured size and dialect.
pub fn sim_config(settings: &Settings) -> rappu_sim::SimConfig {
    let mut config = rappu_sim::SimConfig::demo();
    for account in &mut config.accounts {
        account.properties = settings.simulator.properties;
    }
    with_dialect(config, &settings.simulator.dialect)
}

/// `config` with every account speaking the preset `dialect` (unknown names: classic).
pub fn with_dialect(mut config: rappu_sim::SimConfig, dialect: &str) -> rappu_sim::SimConfig {
    if let Some((_, d)) = rappu_sim::Dialect::presets()
        .into_iter()
        .find(|(name, _)| *name == dialect)
    {
        let names: Vec<String> = config.accounts.iter().map(|a| a.name.clone()).collect();
        for name in names {
            config = config.with_dialect(&name, d.clone());
        }
    }
    config
}

/// Account names the embedded simulator serves (for minting tokens without starting it).
pub fn account_names(settings: &Settings) -> Vec<String> {
    match &settings.tampuuri {
        Some(t) => t.accounts.iter().map(|a| a.name.clone()).collect(),
        None => sim_config(settings)
            .accounts
            .into_iter()
            .map(|a| a.name)
            .collect(),
    }
}

/// Starts the simulator on `settings.simulator.addr`; it stops when `shutdown` fires.
pub async fn start(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<EmbeddedSim> {
    let config = sim_config(settings);
    let listener = TcpListener::bind(settings.simulator.addr).await?;
    let addr = listener.local_addr()?;
    let base_url = Url::parse(&format!("http://{addr}/v10/api/"))?;
    let tampuuri = client_settings(base_url, &config);
    let simulator = rappu_sim::Simulator::new(config);
    let sim = simulator.clone();
    let task = tokio::spawn(async move {
        let stop = async move { shutdown.cancelled().await };
        if let Err(e) = rappu_sim::serve(listener, sim, stop).await {
            tracing::error!(error = %e, "the embedded simulator stopped");
        }
    });
    tracing::info!(%addr, "embedded Tampuuri simulator started (no Tampuuri configured)");
    Ok(EmbeddedSim {
        simulator,
        tampuuri,
        addr,
        task,
    })
}

/// A random webhook secret for demo mode (the simulator is told it directly).
pub fn generated_secret() -> SecretString {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Subscribes the gateway at `addr` to every account's webhooks, as an operator would in
/// Tampuuri's admin UI.
pub fn subscribe(sim: &rappu_sim::Simulator, addr: std::net::SocketAddr, secret: &SecretString) {
    use secrecy::ExposeSecret;
    for account in sim.account_names() {
        let url = format!("http://{addr}/api/v1/webhooks/tampuuri/{account}");
        let mut listener = rappu_sim::WebhookListener::new(url).with_header(
            crate::routes::webhooks::SECRET_HEADER,
            secret.expose_secret(),
        );
        listener.account = Some(account.clone());
        sim.add_listener(listener);
    }
}

/// Client settings for a simulator at `base_url` running `config`, as an operator would
/// write them for real Tampuuri.
pub fn client_settings(base_url: Url, config: &rappu_sim::SimConfig) -> TampuuriSettings {
    TampuuriSettings {
        base_url,
        api_key: SecretString::from(config.api_key.clone()),
        customer_name: config.customer_name.clone(),
        software_version: format!("Rappu/{}", env!("CARGO_PKG_VERSION")),
        accounts: config
            .accounts
            .iter()
            .map(|a| AccountSettings {
                name: a.name.clone(),
                user: a.user.clone(),
                password: SecretString::from(a.password.clone()),
                exactly_once: ExactlyOnce::Auto,
                entry_allowed_value: rappu_sim::report::ENTRY_ALLOWED.to_owned(),
                entry_denied_value: rappu_sim::report::ENTRY_BY_APPOINTMENT.to_owned(),
            })
            .collect(),
        timeout_secs: 10,
        connect_timeout_secs: 3,
        max_retries: 2,
        max_concurrent: 8,
        calls_per_second: crate::config::default_calls_per_second(),
        calls_burst: crate::config::default_calls_burst(),
        circuit_failures: crate::config::default_circuit_failures(),
        circuit_open_secs: crate::config::default_circuit_open_secs(),
    }
}
