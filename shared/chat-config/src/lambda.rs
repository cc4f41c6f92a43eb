//! The Lambda process around a handler: every function's `main.rs` is one call to
//! [`run`], so the start-up order lives in one place.

use std::future::Future;
use std::sync::Arc;

use chat_core::App;
use lambda_runtime::streaming::Body;
use lambda_runtime::{Error, IntoFunctionResponse, LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{embedded, logging};

/// JSON logs, configuration read once (a bad one fails the cold start, naming the
/// variable), adapters built once, then `handler` for every event.
///
/// Until the AWS adapters land, the app runs on the embedded adapters configured from
/// the environment ([`embedded::lambda_app_from_env`]); nothing serves its job queue
/// here, so jobs are logged and dropped ([`embedded::discard_jobs`]).
pub async fn run<E, R, H, Fut>(handler: H) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize + IntoFunctionResponse<R, Body>,
    H: Fn(Arc<App>, E) -> Fut,
    Fut: Future<Output = R>,
{
    logging::init_lambda();
    let backend = embedded::lambda_app_from_env().await?;
    tokio::spawn(embedded::discard_jobs(backend.jobs));
    let app = backend.app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| {
        let answer = handler(Arc::clone(&app), event.payload);
        async move { Ok::<R, Error>(answer.await) }
    }))
    .await
}
