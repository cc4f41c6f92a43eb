//! Lambda entry point for `fn-robot-worker`. Wiring only: [`chat_wiring::lambda::run`]
//! sets up logging, configuration and adapters once, then calls the handler in
//! `lib.rs` per SQS batch.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chat_wiring::lambda::run(|app, event| async move { fn_robot_worker::handle(&app, event).await })
        .await
}
