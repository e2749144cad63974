//! `rappu verify-upstream`: the check run from the command line.

use tokio_util::sync::CancellationToken;

use super::{Verdict, check_account, render};
use crate::config::Settings;
use crate::store::Store;
use crate::usage::UsageRecorder;

/// Runs the check of `account` (or the first configured one) and prints it; against the
/// embedded simulator when no Tampuuri is configured. Fails (exit status 1) when the
/// account is not ready.
pub async fn command(
    settings: Settings,
    account: Option<String>,
    test_object: Option<u64>,
    json: bool,
) -> anyhow::Result<()> {
    let store = Store::open(&settings.database_path())?;
    let usage = UsageRecorder::start(store.clone());
    let stop = CancellationToken::new();
    let (tampuuri, _sim) = match &settings.tampuuri {
        Some(t) => (t.clone(), None),
        None => {
            let sim = crate::embedded::start(&settings, stop.child_token()).await?;
            eprintln!("no [tampuuri] settings: checking the embedded simulator (demo mode)");
            (sim.tampuuri.clone(), Some(sim))
        }
    };
    let account = match account {
        Some(a) => a,
        None => tampuuri
            .accounts
            .first()
            .map(|a| a.name.clone())
            .ok_or_else(|| anyhow::anyhow!("no Tampuuri account is configured"))?,
    };
    let report = check_account(&tampuuri, usage.clone(), &store, &account, test_object).await?;
    usage.flush().await;
    stop.cancel();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render::table(&report));
    }
    if report.verdict == Verdict::NotReady {
        anyhow::bail!("the account is not ready for Rappu (see the report)");
    }
    Ok(())
}
