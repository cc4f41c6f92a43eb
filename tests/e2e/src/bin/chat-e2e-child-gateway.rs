//! The child gateway of the end-to-end tests that must kill a gateway for real
//! (`TestServer::start_child`): serves a demo gateway on the data folder named by
//! `CHAT_E2E_CHILD_DATA_DIR` until it is killed or its parent's stdin pipe closes.
//! A binary rather than a test, so no test in the tree is ignored or runs empty.

use std::path::PathBuf;
use std::process::ExitCode;

use chat_e2e::server::{CHILD_DIR_VAR, serve_child};

fn main() -> ExitCode {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR).map(PathBuf::from) else {
        eprintln!("{CHILD_DIR_VAR} must name the data folder to serve");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(serve_child(&dir));
    ExitCode::SUCCESS
}
