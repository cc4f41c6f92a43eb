//! `Push` through the API Gateway Management API of the WebSocket API.
//!
//! `post` is one `PostToConnection`, `close` one `DeleteConnection`. API Gateway answers
//! `410 GoneException` for a connection that no longer exists; that becomes
//! [`PushError::Gone`], which the core answers by deleting the connection from the
//! store (`chat_core::service::fanout`). Fan-out concurrency is also the core's: this
//! adapter sends exactly one request per call (plus the SDK's retries when throttled).

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_smithy_runtime_api::client::result::SdkError;
use chat_core::ids::ConnectionId;
use chat_core::ports::{Push, PushError};

use crate::clients::AwsClients;
use crate::error::AwsError;

const SERVICE: &str = "ApiGatewayManagement";

/// Pushes frames to WebSocket clients connected to API Gateway. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ApiGatewayPush {
    client: Client,
}

impl ApiGatewayPush {
    /// A push over `client`, whose endpoint is `https://{domain}/{stage}`.
    pub fn new(client: Client) -> Self {
        ApiGatewayPush { client }
    }

    /// The push for `clients`' management endpoint; `None` when the target names none.
    pub fn from_clients(clients: &AwsClients) -> Option<Self> {
        clients.management.clone().map(Self::new)
    }
}

/// `Gone` when API Gateway says the connection no longer exists; `Failed` otherwise.
fn push_error<E, R>(operation: &'static str, err: SdkError<E, R>, is_gone: bool) -> PushError
where
    E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    if is_gone {
        return PushError::Gone;
    }
    PushError::Failed(Box::new(AwsError::from_sdk(SERVICE, operation, err)))
}

#[async_trait]
impl Push for ApiGatewayPush {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> Result<(), PushError> {
        let sent = self
            .client
            .post_to_connection()
            .connection_id(connection.as_str())
            .data(Blob::new(frame.as_bytes()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) => {
                let gone = e.as_service_error().is_some_and(|s| s.is_gone_exception());
                Err(push_error("PostToConnection", e, gone))
            }
        }
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        let sent = self
            .client
            .delete_connection()
            .connection_id(connection.as_str())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) => {
                let gone = e.as_service_error().is_some_and(|s| s.is_gone_exception());
                Err(push_error("DeleteConnection", e, gone))
            }
        }
    }
}
