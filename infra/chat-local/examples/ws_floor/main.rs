//! `ws_floor`: what the local gateway's socket layer costs on its own, with nothing
//! of the chat behind it: no login, no store, no fsync, no JSON beyond the frames.
//!
//! Why: issue 17 asks for 2,500 messages/s (300,000 deliveries/s) at p99 ≤ 10 ms on
//! the 2-core box with the load generator beside the gateway. This tool puts a floor
//! under that target. Its server is the gateway's own socket machinery (axum's
//! WebSocket, `ConnectionHub::post_many`, the gathering `ws_writer::write_loop`,
//! mimalloc); its client opens the standard scenario's sockets, paces sends the way
//! `chat-load` does, parses every frame and measures send → receive latency. Whatever
//! this pair needs in CPU and latency at a rate, the full gateway needs at least that.
//!
//! Two processes, like the real benchmark (see `infra/chat-load/run-floor-bench.sh`):
//!
//! ```text
//! ws_floor server --addr 127.0.0.1:0        # prints its address, serves /ws
//! ws_floor client --url ws://ADDR/ws --rate 2500 --seconds 8 --server-pid PID
//! ```

mod client;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The same allocator as the gateway binary, so the floor is measured like it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "ws_floor")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Serve `/ws`: every text frame from a socket is fanned out to every socket.
    Server(server::ServerArgs),
    /// Open the sockets, send at a rate, measure and check every delivery.
    Client(client::ClientArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        match cli.mode {
            Mode::Server(args) => server::run(args).await.map(|()| true),
            Mode::Client(args) => client::run(args).await,
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("ws_floor: {e:#}");
            ExitCode::from(2)
        }
    }
}
