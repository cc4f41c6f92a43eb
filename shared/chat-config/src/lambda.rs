//! The Lambda process around a handler: every function's `main.rs` is one call to
//! [`run`], so the start-up order lives in one place.

use std::future::Future;
use std::sync::Arc;

use chat_core::App;
use lambda_runtime::streaming::Body;
use lambda_runtime::{Error, IntoFunctionResponse, LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Backend, aws, embedded, logging};

/// JSON logs, configuration read once (a bad one fails the cold start, naming the
/// variable), adapters built once, then `handler` for every event.
///
/// `CHAT_BACKEND=aws` (what the SAM template sets) runs on the deployed AWS resources
/// ([`aws::lambda_app_from_env`]); jobs go to SQS, where the robot-worker function
/// takes them. Otherwise the app runs on the embedded adapters configured from the
/// environment ([`embedded::lambda_app_from_env`]), for `cargo lambda watch` without an
/// AWS account; nothing serves that job queue, so its jobs are logged and dropped
/// ([`embedded::discard_jobs`]).
pub async fn run<E, R, H, Fut>(handler: H) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize + IntoFunctionResponse<R, Body>,
    H: Fn(Arc<App>, E) -> Fut,
    Fut: Future<Output = R>,
{
    logging::init_lambda();
    let app = match Backend::from_lookup(&|name| std::env::var(name).ok())? {
        Backend::Aws => aws::lambda_app_from_env().await?.app,
        Backend::Embedded => {
            let backend = embedded::lambda_app_from_env().await?;
            tokio::spawn(embedded::discard_jobs(backend.jobs));
            backend.app
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| {
        let answer = handler(Arc::clone(&app), event.payload);
        async move { Ok::<R, Error>(answer.await) }
    }))
    .await
}
