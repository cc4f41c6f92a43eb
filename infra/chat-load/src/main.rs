//! `chat-load`: a black-box load generator for the local gateway (HTTP + WebSocket).
//!
//! Prints progress while it runs, then latency percentiles, throughput, a
//! correctness verdict (`PASS …` / `FAIL …`) and one `TABLE_ROW:` line for scripts.
//! Exit status: 0 on PASS, 1 on FAIL, 2 when the run could not be carried out.

mod cli;
mod conn;
mod cpu;
mod files;
mod forms;
mod idle;
mod plan;
mod report;
mod robots;
mod run;
mod send_track;
mod setup;
mod socket;
mod stats;
mod users;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

fn main() -> ExitCode {
    let mut args = cli::Args::parse();
    args.apply_preset();
    let label = args.label.clone();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.worker_threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("FAIL {label}: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        match args.scenario {
            cli::Scenario::Send => run::run(args).await,
            cli::Scenario::Robots => robots::run(args).await,
            cli::Scenario::Files => files::run(args).await,
            cli::Scenario::Forms => forms::run(args).await,
            cli::Scenario::Idle => idle::run(args).await,
        }
    });
    // Every task is bounded, but a socket task stuck in the kernel must not keep the
    // process alive: the tool stops by itself.
    runtime.shutdown_timeout(Duration::from_secs(5));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            println!("FAIL {label}: {e:#}");
            ExitCode::from(2)
        }
    }
}
