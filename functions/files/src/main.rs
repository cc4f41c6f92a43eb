//! Lambda entry point for `fn-files`. Wiring only: [`chat_wiring::lambda::run`] sets up
//! logging, configuration and adapters once (S3 for the bytes), then calls the handler
//! in `lib.rs` per event.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chat_wiring::lambda::run(|app, event| async move { fn_files::handle(&app, event).await }).await
}
