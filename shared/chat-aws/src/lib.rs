//! # chat-aws — the core's ports on AWS
//!
//! The serverless deployment's adapters, one module per service:
//!
//! - [`dynamo`]: every `Store` trait on one DynamoDB table (single-table design, access
//!   patterns and costs in `docs/dynamodb.md`).
//! - [`push`]: `Push` through the API Gateway Management API (`PostToConnection`).
//! - [`jobs`]: `Jobs` on SQS, plus the polling side the local gateway uses in place of
//!   Lambda's event source mapping.
//! - [`blobs`]: `Blobs` on S3, with pre-signed upload/download URLs.
//! - [`clients`]: where the SDK clients come from ([`AwsTarget`]: region, optional
//!   endpoint for an emulator, resource names) and the request counter the benchmarks
//!   read.
//! - [`testkit`] (feature `testkit`): a moto server on loopback for tests.
//!
//! Nothing here decides anything: the rules live in `chat-core`; these modules only
//! translate port calls into requests and requests' outcomes back into port results.

pub mod blobs;
pub mod clients;
pub mod dynamo;
pub mod error;
pub mod jobs;
pub mod push;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use clients::{AwsClients, AwsTarget, ManagementKey, RequestCounter};
pub use error::AwsError;
