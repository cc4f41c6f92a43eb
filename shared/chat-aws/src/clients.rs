//! Where the SDK clients come from.
//!
//! [`AwsTarget`] says which account resources to use and, for an emulator, which
//! endpoint; [`AwsClients::connect`] builds every client once per process (a Lambda
//! cold start, a gateway start). All clients share one HTTP client built on rustls with
//! *ring* (see the workspace manifest for why not the SDK default) and one
//! [`RequestCounter`], so a test or benchmark can say exactly how many requests an
//! action cost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use chat_core::ports::MANAGEMENT_KEY_HEADER;

/// Which AWS (or emulator) resources the adapters use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTarget {
    pub region: String,
    /// An emulator's URL (`http://127.0.0.1:5000`); `None` = the real regional endpoints.
    pub endpoint: Option<String>,
    /// The DynamoDB table holding everything the store keeps.
    pub table: String,
    /// The jobs queue's URL.
    pub queue_url: String,
    /// The bucket for file content.
    pub bucket: String,
    /// The API Gateway Management endpoint of the WebSocket API,
    /// `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}` (or a custom domain).
    /// `None` where nothing pushes (the local gateway pushes to its own sockets).
    pub management_endpoint: Option<String>,
    /// Sent as [`MANAGEMENT_KEY_HEADER`] on Management API calls. Only the local
    /// gateway's emulation of that API asks for it (functions served by
    /// `cargo lambda watch` push through it); deployed stacks leave it unset.
    pub management_key: Option<ManagementKey>,
}

/// The local gateway's management key; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ManagementKey(pub String);

impl std::fmt::Debug for ManagementKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManagementKey(<redacted>)")
    }
}

/// Adds the management key header to every Management API request.
#[derive(Debug)]
struct ManagementKeyHeader(ManagementKey);

impl Intercept for ManagementKeyHeader {
    fn name(&self) -> &'static str {
        "ManagementKeyHeader"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert(MANAGEMENT_KEY_HEADER, self.0.0.clone());
        Ok(())
    }
}

/// Counts requests answered, by `service.operation` (every attempt, retries included;
/// presigned URLs are not requests and are not counted).
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl RequestCounter {
    /// Requests per `Service.Operation` since the last [`RequestCounter::take`].
    pub fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.lock())
    }

    /// Requests per `Service.Operation` so far, without resetting.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        // A panic elsewhere while counting leaves the counts usable.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    // After transmit, not before: presigning runs the request pipeline up to
    // transmission and stops, and a presigned URL is no request to AWS.
    fn read_after_transmit(
        &self,
        _context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map(|m| format!("{}.{}", m.service(), m.name()))
            .unwrap_or_else(|| "unknown".to_string());
        *self.lock().entry(name).or_default() += 1;
        Ok(())
    }
}

/// The HTTP client every SDK client shares: hyper with rustls on *ring*.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Every SDK client the adapters use, built once.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub target: AwsTarget,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    /// `None` when the target has no management endpoint.
    pub management: Option<aws_sdk_apigatewaymanagement::Client>,
    pub counter: RequestCounter,
}

impl AwsClients {
    /// Loads credentials and region the usual way (environment, profile, container or
    /// instance role; `target.region` wins) and builds the clients.
    pub async fn connect(target: AwsTarget) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(target.region.clone()))
            .http_client(http_client());
        if let Some(endpoint) = &target.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        Self::from_sdk_config(target, &sdk)
    }

    /// Builds the clients from an already loaded SDK configuration (tests use this with
    /// fixed credentials).
    pub fn from_sdk_config(target: AwsTarget, sdk: &SdkConfig) -> Self {
        let counter = RequestCounter::default();
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(sdk)
                .interceptor(counter.clone())
                .build(),
        );
        // Emulators serve buckets by path, not by virtual host name.
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(target.endpoint.is_some())
                .interceptor(counter.clone())
                .build(),
        );
        let management = target.management_endpoint.as_ref().map(|endpoint| {
            let mut config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
                .endpoint_url(endpoint)
                .interceptor(counter.clone());
            if let Some(key) = &target.management_key {
                config = config.interceptor(ManagementKeyHeader(key.clone()));
            }
            aws_sdk_apigatewaymanagement::Client::from_conf(config.build())
        });
        AwsClients {
            target,
            dynamodb,
            sqs,
            s3,
            management,
            counter,
        }
    }
}
