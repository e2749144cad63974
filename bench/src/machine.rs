//! Facts about the machine and readings from `/proc`: CPU time of a process (all its
//! threads), resident memory, and how busy the whole machine is.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::plan::Plan;

/// The external tools part 1 needs.
#[derive(Debug, Clone)]
pub struct Tools {
    /// `wrk`, when part 1 runs.
    pub wrk: Option<PathBuf>,
    /// `nginx`, when part 1 runs.
    pub nginx: Option<PathBuf>,
}

impl Tools {
    /// Finds wrk when part 1 runs, and nginx when it is part 1's reference; a missing tool
    /// is an error that says so.
    pub fn find(part1: bool, with_nginx: bool) -> anyhow::Result<Self> {
        if !part1 {
            return Ok(Self {
                wrk: None,
                nginx: None,
            });
        }
        let wrk = which("wrk");
        let nginx = with_nginx.then(|| which("nginx")).flatten();
        let mut missing = Vec::new();
        if wrk.is_none() {
            missing.push("wrk");
        }
        if with_nginx && nginx.is_none() {
            missing.push("nginx");
        }
        if !missing.is_empty() {
            bail!(
                "{} not found (part 1 needs them; `scripts/setup --bench` installs the Debian packages nginx and wrk)",
                missing.join(" and ")
            );
        }
        Ok(Self { wrk, nginx })
    }
}

/// A program on `PATH` (or in `/usr/sbin`, where Debian puts nginx).
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The first line a command prints (on stdout or stderr), or `unknown`.
fn first_line(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|out| {
            let text = [out.stdout, out.stderr].concat();
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Prints what the figures depend on: machine, toolchain, tools, command, plan.
pub fn print_header(plan: &Plan, rappu: &Path, baseline: Option<&Path>, tools: &Tools) {
    // The machine's CPUs, not this process's: with `--pin` the bench itself is already on
    // one CPU here, and `available_parallelism` would say 1.
    let cpuinfo = read("/proc/cpuinfo");
    let cpus = match cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count()
    {
        0 => std::thread::available_parallelism().map_or(0, |n| n.get()),
        n => n,
    };
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem_gib = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let command: Vec<String> = std::env::args().collect();
    println!(
        "Rappu benchmark — {}",
        if plan.quick {
            "QUICK smoke run (--quick): short runs, figures not for quoting"
        } else {
            "full run"
        }
    );
    println!("  command   {}", command.join(" "));
    println!("  machine   {cpus} CPUs ({model}), {mem_gib:.1} GiB RAM");
    println!("  kernel    {}", read("/proc/sys/kernel/osrelease").trim());
    println!("  CPUs      {}", crate::pin::describe());
    println!(
        "  rustc     {}",
        first_line(Path::new("rustc"), &["--version"])
    );
    println!("  rappu     {} (release build)", rappu.display());
    if let Some(baseline) = baseline {
        println!(
            "  baseline  {} (part 1 compares with it instead of nginx)",
            baseline.display()
        );
    }
    if let Some(nginx) = &tools.nginx {
        println!(
            "  nginx     {} ({})",
            first_line(nginx, &["-v"]),
            nginx.display()
        );
    }
    if let Some(wrk) = &tools.wrk {
        println!(
            "  wrk       {} ({})",
            first_line(wrk, &["-v"]),
            wrk.display()
        );
    }
    let parts: Vec<String> = plan.parts.iter().map(u8::to_string).collect();
    println!("  parts     {}", parts.join(", "));
    println!(
        "  load      load average {}",
        read("/proc/loadavg")
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let busy = machine_busy_share(Duration::from_millis(500));
    println!(
        "  idle?     {:.0} % of the machine's CPU was busy just before the start{}",
        busy * 100.0,
        if busy > 0.10 {
            " — OTHER PROCESSES ARE RUNNING: figures will be lower than on a quiet machine"
        } else {
            ""
        }
    );
}

/// Share of all CPUs busy over `span` (a blocking sample, used once at the start).
fn machine_busy_share(span: Duration) -> f64 {
    let Ok(a) = SystemCpu::read() else { return 0.0 };
    std::thread::sleep(span);
    let Ok(b) = SystemCpu::read() else { return 0.0 };
    b.busy_share_since(&a)
}

/// Clock ticks per second of `/proc` CPU times.
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Fields of `/proc/<pid>/stat` after the command name: index 0 is field 3 (`state`).
fn stat_fields(pid: &str) -> anyhow::Result<Vec<u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    let after = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed stat")?;
    Ok(after
        .split_whitespace()
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .collect())
}

/// utime + stime of a process, all threads, in clock ticks.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let f = stat_fields(&pid.to_string())?;
    Ok(f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0))
}

/// CPU time of this process's children that it has waited for (cutime + cstime): wrk's
/// CPU is read as the growth of this across a run.
pub fn reaped_children_ticks() -> anyhow::Result<u64> {
    let f = stat_fields("self")?;
    Ok(f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0))
}

/// utime + stime of this process.
pub fn own_ticks() -> anyhow::Result<u64> {
    let f = stat_fields("self")?;
    Ok(f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0))
}

/// The processes whose parent is `pid` (nginx's workers).
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            stat_fields(&child.to_string()).is_ok_and(|f| f.get(1).copied() == Some(u64::from(pid)))
        })
        .collect()
}

/// Resident memory of a process: (VmRSS, VmHWM) in KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let [rss, hwm] = status_kib(pid, ["VmRSS:", "VmHWM:"])?;
    Ok((rss, hwm))
}

/// `RssAnon` and `RssFile` of a process (KiB): its heap and stacks, and its mapped files
/// (the binary's code, shared libraries).
pub fn rss_split_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let [anon, file] = status_kib(pid, ["RssAnon:", "RssFile:"])?;
    Ok((anon, file))
}

/// Fields of `/proc/<pid>/status` in KiB (0 where missing).
fn status_kib<const N: usize>(pid: u32, names: [&str; N]) -> anyhow::Result<[u64; N]> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    Ok(names.map(|name| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    }))
}

/// Machine-wide CPU counters from `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy)]
pub struct SystemCpu {
    busy: u64,
    total: u64,
}

impl SystemCpu {
    /// The counters now.
    pub fn read() -> anyhow::Result<Self> {
        let text = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
        let line = text.lines().next().context("empty /proc/stat")?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        // user nice system idle iowait irq softirq steal (guest is inside user already).
        let get = |i: usize| v.get(i).copied().unwrap_or(0);
        let idle = get(3) + get(4);
        let busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
        Ok(Self {
            busy,
            total: busy + idle,
        })
    }

    /// Busy ticks (all CPUs) since `earlier`.
    pub fn busy_since(&self, earlier: &Self) -> u64 {
        self.busy.saturating_sub(earlier.busy)
    }

    /// Share of all CPUs busy since `earlier`, 0–1.
    pub fn busy_share_since(&self, earlier: &Self) -> f64 {
        let total = self.total.saturating_sub(earlier.total);
        if total == 0 {
            0.0
        } else {
            self.busy_since(earlier) as f64 / total as f64
        }
    }

    /// All ticks (busy and idle, all CPUs) since `earlier`.
    pub fn total_since(&self, earlier: &Self) -> u64 {
        self.total.saturating_sub(earlier.total)
    }
}
