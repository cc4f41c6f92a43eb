//! The Lambda process around a handler: every function's `main.rs` is one call to
//! [`run`], so the start-up order lives in one place.

use std::future::Future;
use std::sync::Arc;

use chat_core::App;
use lambda_runtime::streaming::Body;
use lambda_runtime::{Error, IntoFunctionResponse, LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::error;

use crate::aws_env::TokenRole;
use crate::{aws, logging};

/// JSON logs, configuration read and checked once, adapters built once, then
/// `handler` for every event.
///
/// Functions run on the AWS adapters only ([`aws::lambda_app_from_env`]): deployed, on
/// the resources the SAM template names; under `cargo lambda watch`, on an emulator
/// (`CHAT_AWS_ENDPOINT`). Incomplete configuration fails the cold start with one log
/// line naming every missing variable, and the process exits non-zero, so Lambda
/// reports an init error instead of running a half-configured function.
pub async fn run<E, R, H, Fut>(handler: H) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize + IntoFunctionResponse<R, Body>,
    H: Fn(Arc<App>, E) -> Fut,
    Fut: Future<Output = R>,
{
    run_as(TokenRole::Verifier, handler).await
}

/// [`run`] for the function that issues tokens: it alone is given the private key
/// (`CHAT_JWT_SIGNING_KEY`) and refuses to start without it.
pub async fn run_issuer<E, R, H, Fut>(handler: H) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize + IntoFunctionResponse<R, Body>,
    H: Fn(Arc<App>, E) -> Fut,
    Fut: Future<Output = R>,
{
    run_as(TokenRole::Issuer, handler).await
}

async fn run_as<E, R, H, Fut>(role: TokenRole, handler: H) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize + IntoFunctionResponse<R, Body>,
    H: Fn(Arc<App>, E) -> Fut,
    Fut: Future<Output = R>,
{
    logging::init_lambda();
    let app = match aws::lambda_app_from_env(role).await {
        Ok(built) => built.app,
        Err(e) => {
            error!(error = %e, "cold start refused: {e}");
            return Err(e.into());
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| {
        let answer = handler(Arc::clone(&app), event.payload);
        async move { Ok::<R, Error>(answer.await) }
    }))
    .await
}
