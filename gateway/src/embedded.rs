//! Demo mode: with no Tampuuri configured, Rappu runs its simulator in-process and talks
//! to it over real HTTP on a loopback port, exactly as it would to Tampuuri.

use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::{AccountSettings, Settings, TampuuriSettings};

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

/// The simulator's demo configuration with the configured size.
pub fn sim_config(settings: &Settings) -> rappu_sim::SimConfig {
    let mut config = rappu_sim::SimConfig::demo();
    for account in &mut config.accounts {
        account.properties = settings.simulator.properties;
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
    let tampuuri = TampuuriSettings {
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
            })
            .collect(),
        timeout_secs: 10,
        connect_timeout_secs: 3,
        max_retries: 2,
        max_concurrent: 8,
    };
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
