//! Lambda entry point for `fn-auth`. Wiring only: [`chat_wiring::lambda::run_issuer`]
//! sets up logging, configuration and adapters once (this is the one function that
//! holds the token signing key), then calls the handler in `lib.rs` per event.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chat_wiring::lambda::run_issuer(|app, event| async move { fn_auth::handle(&app, event).await })
        .await
}
