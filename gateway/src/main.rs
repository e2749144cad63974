//! `rappu`: load settings, dispatch the subcommand. See [`rappu_gateway::cli`].

use clap::Parser;
use rappu_gateway::cli::Cli;

/// mimalloc: under a many-threaded server load glibc's malloc and free cost about a tenth
/// of the gateway's CPU per cached response (measured with `perf`); mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's setting for how long freed memory is kept before it is given back to the
/// system, in milliseconds.
const PURGE_DELAY: (&str, &str) = ("MIMALLOC_PURGE_DELAY", "0");

/// Gives freed memory back at once. mimalloc's default (1 s) purges only when the thread
/// that freed the memory allocates again, so a gateway that goes quiet after a burst (the
/// mirror's first load) kept what the burst had used: part 3 measured the idle process at
/// 100.7 MB with the default and 63.7 MB with 0, and 148.3 / 132.5 MB with 10,000 feeds
/// cached (README, "Memory (part 3)").
/// mimalloc reads the setting from the environment when it starts, before `main`, and the
/// workspace forbids the `unsafe` its C API needs, so the process runs itself again with
/// the setting (same process id, same arguments) unless it is set already: an operator's own
/// `MIMALLOC_PURGE_DELAY` wins.
fn configure_allocator() {
    use std::os::unix::process::CommandExt as _;
    if std::env::var_os(PURGE_DELAY.0).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut again = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        again.arg0(arg0);
    }
    let error = again.args(args).env(PURGE_DELAY.0, PURGE_DELAY.1).exec();
    // Only a failed exec returns; the process goes on with mimalloc's default.
    eprintln!("warning: cannot restart with {}: {error}", PURGE_DELAY.0);
}

fn main() -> std::process::ExitCode {
    configure_allocator();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(rappu_gateway::commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
