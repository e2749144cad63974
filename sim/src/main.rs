//! `tampuuri-sim`: the Tampuuri simulator as a standalone server.
//!
//! ```text
//! tampuuri-sim --addr 127.0.0.1:8090 --properties 10 --seed 7
//! ```

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use rappu_sim::{SimConfig, Simulator, auth, serve};
use tracing_subscriber::EnvFilter;

/// A Tampuuri v10 API simulator with generated Finnish data.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090", env = "TAMPUURI_SIM_ADDR")]
    addr: SocketAddr,
    /// Properties (housing companies) per account; default: the demo sizes (3 and 2).
    #[arg(long)]
    properties: Option<usize>,
    /// Seed of the first account's data (the second gets seed + 1).
    #[arg(long)]
    seed: Option<u64>,
}

fn config(args: &Args) -> SimConfig {
    let mut config = SimConfig::demo();
    for (i, account) in config.accounts.iter_mut().enumerate() {
        if let Some(n) = args.properties {
            account.properties = n;
        }
        if let Some(seed) = args.seed {
            account.seed = seed.wrapping_add(i as u64);
        }
    }
    config
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let config = config(&args);
    let started = std::time::Instant::now();
    let sim = Simulator::new(config.clone());
    tracing::info!(elapsed_ms = started.elapsed().as_millis(), "data generated");
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    println!("Tampuuri simulator");
    println!("  API:   http://{addr}/v10/api/");
    println!("  admin: http://{addr}/_sim/  (calls, faults, webhooks, accounts/<name>/summary)");
    println!("  {}: {}", auth::API_KEY, config.api_key);
    println!("  {}: {}", auth::CUSTOMER, config.customer_name);
    println!("  {}: any non-empty value", auth::SOFTWARE);
    for a in &config.accounts {
        println!(
            "  account {:<8} {}: {}  {}: {}  {}: {}  ({} properties, seed {})",
            a.name,
            auth::ACCOUNT,
            a.name,
            auth::USER,
            a.user,
            auth::PASSWORD,
            a.password,
            a.properties,
            a.seed
        );
    }
    serve(listener, sim, shutdown_signal())
        .await
        .context("server failed")
}
