//! `--pin`: the servers (the gateway, nginx) on one CPU, the load generator (wrk), the
//! simulator and the bench itself on another, so a server's own fairness is measured
//! without the load generator taking its CPU. Without it every process runs where the
//! kernel puts it, as in a deployment.
//!
//! Pinning goes through `taskset` (util-linux, on every Debian machine) at spawn time, so a
//! pinned process starts with its CPU set: the gateway's runtime then sizes itself for the
//! one CPU it has, as it would on a one-core machine.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context as _, bail};

/// Which CPU each side runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pinning {
    /// The servers under test.
    pub server: usize,
    /// wrk, the simulator and the bench.
    pub load: usize,
}

impl Pinning {
    /// Parses `SERVER,LOAD` (e.g. `0,1`) and checks both CPUs exist and differ.
    pub fn parse(text: &str, cpus: usize) -> anyhow::Result<Self> {
        let (server, load) = text
            .split_once(',')
            .context("--pin takes two CPU numbers, SERVER,LOAD (e.g. 0,1)")?;
        let parse = |s: &str| -> anyhow::Result<usize> {
            s.trim()
                .parse()
                .with_context(|| format!("--pin: {s:?} is not a CPU number"))
        };
        let pinning = Self {
            server: parse(server)?,
            load: parse(load)?,
        };
        if pinning.server == pinning.load {
            bail!("--pin: the server and the load generator need different CPUs");
        }
        if pinning.server.max(pinning.load) >= cpus {
            bail!("--pin: this machine has CPUs 0–{}", cpus.saturating_sub(1));
        }
        Ok(pinning)
    }
}

/// Which side a process is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A server under test (the gateway, nginx).
    Server,
    /// The load generator and the helpers (wrk, the simulator).
    Load,
}

static PINNING: OnceLock<Pinning> = OnceLock::new();

/// Turns pinning on for every process started from now on, and moves this process (all its
/// threads) to the load generator's CPU.
pub fn enable(pinning: Pinning) -> anyhow::Result<()> {
    PINNING
        .set(pinning)
        .map_err(|_| anyhow::anyhow!("pinning was already set"))?;
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &pinning.load.to_string()])
        .arg(std::process::id().to_string())
        .stdout(std::process::Stdio::null())
        .status()
        .context("running taskset (util-linux)")?;
    if !status.success() {
        bail!("taskset could not move the bench to CPU {}", pinning.load);
    }
    Ok(())
}

/// The pinning in force, if any.
pub fn current() -> Option<Pinning> {
    PINNING.get().copied()
}

/// A command running `program`, on `role`'s CPU when pinning is on.
pub fn command(program: &Path, role: Role) -> Command {
    match current() {
        None => Command::new(program),
        Some(p) => {
            let cpu = match role {
                Role::Server => p.server,
                Role::Load => p.load,
            };
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpu.to_string()).arg(program);
            command
        }
    }
}

/// How the processes run, for the header and the summary.
pub fn describe() -> String {
    match current() {
        None => "not pinned: every process runs where the kernel puts it".into(),
        Some(p) => format!(
            "pinned (--pin): the servers on CPU {}, wrk, the simulator and the bench on CPU {}",
            p.server, p.load
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_different_existing_cpus() {
        assert_eq!(
            Pinning::parse("0,1", 2).ok(),
            Some(Pinning { server: 0, load: 1 })
        );
        assert_eq!(
            Pinning::parse(" 3 , 2", 4).ok(),
            Some(Pinning { server: 3, load: 2 })
        );
        assert!(Pinning::parse("1,1", 2).is_err());
        assert!(Pinning::parse("0,2", 2).is_err());
        assert!(Pinning::parse("0", 2).is_err());
        assert!(Pinning::parse("a,1", 2).is_err());
    }
}
