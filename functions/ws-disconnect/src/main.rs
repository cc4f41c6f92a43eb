//! Lambda entry point for `fn-ws-disconnect`. Wiring only: [`chat_wiring::lambda::run`] sets up
//! logging, configuration and adapters once, then calls the handler in `lib.rs` per
//! event.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chat_wiring::lambda::run(
        |app, event| async move { fn_ws_disconnect::handle(&app, event).await },
    )
    .await
}
