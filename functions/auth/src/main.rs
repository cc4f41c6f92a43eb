//! Lambda entry point for `fn-auth`. Wiring only: logging, configuration read once,
//! adapters built once, then the runtime loop calls the handler in `lib.rs`.
//!
//! Until the AWS adapters land, the app runs on the embedded adapters configured from
//! the environment (see `chat_config::embedded::lambda_app_from_env`).

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chat_config::logging::init_lambda();
    let backend = chat_config::embedded::lambda_app_from_env()
        .await
        .expect("configuration (CHAT_JWT_SECRET, CHAT_DATA_DIR, ...) must be valid");
    tokio::spawn(chat_config::embedded::discard_jobs(backend.jobs));
    let app = backend.app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| {
            let app = Arc::clone(&app);
            async move { Ok::<_, Error>(fn_auth::handle(&app, event.payload).await) }
        },
    ))
    .await
}
