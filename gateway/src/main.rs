//! `rappu`: load settings, dispatch the subcommand. See [`rappu_gateway::cli`].

use clap::Parser;
use rappu_gateway::cli::Cli;

/// mimalloc: under a many-threaded server load glibc's malloc and free cost about a tenth
/// of the gateway's CPU per cached response (measured with `perf`); mimalloc far less.
/// Its default purge delay is kept (`MIMALLOC_PURGE_DELAY=0` cost the cached 200 path 1.07x
/// CPU per request at 64 connections); instead the gateway hands freed pages back after its
/// bulk jobs and once a second (`rappu_alloc`; README, "Memory (part 3)").
/// Built with mimalloc's `no_thp`: it does not ask for transparent huge pages, which kept
/// whole 2 MiB pages resident around a few live blocks (part 3, where the kernel's THP mode
/// is `madvise`: 7-20 MB less with 10,000 feeds, README "Memory (part 3)"). Where the mode is
/// `always`, `MIMALLOC_ALLOW_THP=0` in the environment does the same.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: rappu_alloc::MiMalloc = rappu_alloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match rappu_gateway::runtime::builder().build() {
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
