//! `chat-local`: parse the command line, set up logging, run. Errors end the process
//! with one line on stderr and a non-zero status.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc. Under load glibc's bin upkeep
/// (`malloc_consolidate`, `unlink_chunk`) was a tenth of the gateway's CPU: frames,
/// channel blocks and handler states are allocated on one thread and freed on another.
/// Measured (BENCHMARKS.md): saturation +16 %, about 6 % less CPU at the same load, for
/// about 10 KB more per idle socket (12.8 KB instead of 2.7 KB; the target is 20 KB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = chat_local::cli::Cli::parse();
    // A one-shot admin command should print its result, not the server's info chatter.
    let default_filter = if cli.is_admin_command() {
        "warn"
    } else {
        "info"
    };
    chat_wiring::logging::init_with(cli.log_format.into(), default_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-local: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(chat_local::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-local: {e:#}");
            ExitCode::FAILURE
        }
    }
}
