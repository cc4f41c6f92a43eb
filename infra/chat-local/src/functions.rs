//! Who answers the events the gateway makes: the function handlers linked into this
//! process (the default), or the same functions built as Lambda binaries and served by
//! `cargo lambda watch`, reached through the Lambda Invoke API
//! (`--lambda-endpoint` / `CHAT_LAMBDA_ENDPOINT`).
//!
//! The second way is the deployed shape run locally: each event crosses a process
//! boundary as JSON, into a binary built from the function's own `main.rs`, exactly
//! as API Gateway and SQS hand it to Lambda. The gateway keeps the sockets and serves
//! the Management API the functions push through.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::apigw::{
    ApiGatewayProxyResponse, ApiGatewayV2httpRequest, ApiGatewayV2httpResponse,
    ApiGatewayWebsocketProxyRequest,
};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chat_core::{App, CoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::warn;

/// The functions behind API Gateway's routes and the jobs queue, by the names their
/// binaries (and `cargo lambda watch`) give them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Auth,
    SupervisorApi,
    AdminApi,
    Files,
    WsConnect,
    WsMessage,
    WsDisconnect,
    RobotWorker,
}

impl Function {
    pub const ALL: [Function; 8] = [
        Function::Auth,
        Function::SupervisorApi,
        Function::AdminApi,
        Function::Files,
        Function::WsConnect,
        Function::WsMessage,
        Function::WsDisconnect,
        Function::RobotWorker,
    ];

    /// The binary's name: the function name the Invoke API takes.
    pub fn name(self) -> &'static str {
        match self {
            Function::Auth => "fn-auth",
            Function::SupervisorApi => "fn-supervisor-api",
            Function::AdminApi => "fn-admin-api",
            Function::Files => "fn-files",
            Function::WsConnect => "fn-ws-connect",
            Function::WsMessage => "fn-ws-message",
            Function::WsDisconnect => "fn-ws-disconnect",
            Function::RobotWorker => "fn-robot-worker",
        }
    }
}

/// How long one invocation may take before the gateway gives up on it (Lambda's own
/// limit for these functions is 30 s in the template).
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Calls functions through the Lambda Invoke API
/// (`POST {endpoint}/2015-03-31/functions/{name}/invocations`).
#[derive(Debug, Clone)]
pub struct LambdaInvoker {
    endpoint: String,
    http: reqwest::Client,
}

impl LambdaInvoker {
    pub fn new(endpoint: &str) -> anyhow::Result<Self> {
        let endpoint = endpoint.trim().trim_end_matches('/').to_string();
        anyhow::ensure!(
            endpoint.starts_with("http://") || endpoint.starts_with("https://"),
            "the Lambda endpoint {endpoint:?} is not an http(s) URL"
        );
        let http = reqwest::Client::builder()
            .timeout(INVOKE_TIMEOUT)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the Lambda invoke client: {e}"))?;
        Ok(LambdaInvoker { endpoint, http })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// One synchronous (`RequestResponse`) invocation. A function error (the runtime's
    /// `X-Amz-Function-Error`, a non-2xx answer, an unreadable payload) is
    /// `unavailable`: the caller answers as API Gateway does when an integration fails.
    pub async fn invoke<E: Serialize, R: DeserializeOwned>(
        &self,
        function: Function,
        event: &E,
    ) -> Result<R, CoreError> {
        let url = format!(
            "{}/2015-03-31/functions/{}/invocations",
            self.endpoint,
            function.name()
        );
        let failed = |what: String| {
            warn!(function = function.name(), "{what}");
            CoreError::Unavailable(format!("the {} function failed", function.name()))
        };
        let response = self
            .http
            .post(&url)
            .json(event)
            .send()
            .await
            .map_err(|e| failed(format!("invoke failed: {e}")))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response
            .bytes()
            .await
            .map_err(|e| failed(format!("reading the answer failed: {e}")))?;
        if !status.is_success() || function_error {
            return Err(failed(format!(
                "answered {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        serde_json::from_slice(&body).map_err(|e| failed(format!("unreadable answer: {e}")))
    }

    /// One batch of the jobs queue, handed to the worker function as SQS would. When
    /// the invocation itself fails nothing ran, so every message is reported failed and
    /// comes back after its visibility timeout.
    pub async fn run_jobs(&self, event: SqsEvent) -> SqsBatchResponse {
        match self.invoke(Function::RobotWorker, &event).await {
            Ok(answer) => answer,
            Err(_) => {
                let mut response = SqsBatchResponse::default();
                response.set_failures(
                    event
                        .records
                        .iter()
                        .filter_map(|r| r.message_id.clone())
                        .collect::<Vec<_>>(),
                );
                response
            }
        }
    }
}

/// Where events go.
#[derive(Clone)]
pub enum Functions {
    /// The handlers linked into this process, on this process's app.
    InProcess(Arc<App>),
    /// Lambda binaries behind the Invoke API.
    Lambda(LambdaInvoker),
}

impl Functions {
    /// A WebSocket route's function (`WsConnect`, `WsMessage` or `WsDisconnect`).
    pub async fn ws(
        &self,
        function: Function,
        event: ApiGatewayWebsocketProxyRequest,
    ) -> ApiGatewayProxyResponse {
        match self {
            Functions::InProcess(app) => match function {
                Function::WsConnect => fn_ws_connect::handle(app, event).await,
                Function::WsMessage => fn_ws_message::handle(app, event).await,
                Function::WsDisconnect => fn_ws_disconnect::handle(app, event).await,
                other => proxy_answer(Err(not_a_route(other))),
            },
            Functions::Lambda(l) => proxy_answer(l.invoke(function, &event).await),
        }
    }

    /// An HTTP API route's function (`Auth`, `SupervisorApi`, `AdminApi` or `Files`).
    pub async fn http(
        &self,
        function: Function,
        event: ApiGatewayV2httpRequest,
    ) -> ApiGatewayV2httpResponse {
        match self {
            Functions::InProcess(app) => match function {
                Function::SupervisorApi => fn_supervisor_api::handle(app, event).await,
                Function::AdminApi => fn_admin_api::handle(app, event).await,
                Function::Files => fn_files::handle(app, event).await,
                Function::Auth => fn_auth::handle(app, event).await,
                other => chat_http::error_response(&not_a_route(other)),
            },
            Functions::Lambda(l) => l
                .invoke(function, &event)
                .await
                .unwrap_or_else(|e| chat_http::error_response(&e)),
        }
    }
}

/// A route table naming a function for the wrong kind of route is a bug here.
fn not_a_route(function: Function) -> CoreError {
    CoreError::Internal(format!(
        "{} does not serve this kind of route",
        function.name()
    ))
}

/// A WebSocket route's answer, or the 503 API Gateway would give a failed integration.
fn proxy_answer(answer: Result<ApiGatewayProxyResponse, CoreError>) -> ApiGatewayProxyResponse {
    answer.unwrap_or_else(|e| {
        let mut r = ApiGatewayProxyResponse::default();
        r.status_code = i64::from(e.code().http_status());
        r.body = Some(Body::Text(
            serde_json::to_string(&e.to_body()).unwrap_or_default(),
        ));
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_are_the_workspace_binaries() {
        let names: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
        let manifest = |dir: &str| {
            std::fs::read_to_string(format!(
                "{}/../../functions/{dir}/Cargo.toml",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        for name in names {
            let dir = name.trim_start_matches("fn-");
            assert!(
                manifest(dir).contains(&format!("name = \"{name}\"")),
                "functions/{dir} has no binary named {name}"
            );
        }
    }

    #[test]
    fn the_endpoint_must_be_a_url() {
        assert!(LambdaInvoker::new("localhost:9000").is_err());
        let l = LambdaInvoker::new("http://127.0.0.1:9000/").unwrap();
        assert_eq!(l.endpoint(), "http://127.0.0.1:9000");
    }
}
