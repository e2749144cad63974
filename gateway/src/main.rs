//! `rappu`: load settings, dispatch the subcommand. See [`rappu_gateway::cli`].

use clap::Parser;
use rappu_gateway::cli::Cli;

/// mimalloc: under a many-threaded server load glibc's malloc and free cost about a tenth
/// of the gateway's CPU per cached response (measured with `perf`); mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
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
