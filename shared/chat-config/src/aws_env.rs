//! Which backend a process runs on, and where the AWS resources are, from environment
//! variables (Lambda) or flags with the same meaning (the local gateway).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CHAT_BACKEND` | `embedded` | `embedded` (SQLite + local folder) or `aws` |
//! | `CHAT_AWS_ENDPOINT` | none | an AWS API emulator's URL (moto); unset = real AWS |
//! | `AWS_REGION` / `AWS_DEFAULT_REGION` | `us-east-1` | region |
//! | `CHAT_TABLE` | `istackbuddy-chat` | DynamoDB table |
//! | `CHAT_JOBS_QUEUE_URL` | none | SQS queue URL (required on AWS) |
//! | `CHAT_JOBS_QUEUE` | `istackbuddy-chat-jobs` | queue *name*, for provisioning on an emulator |
//! | `CHAT_BUCKET` | `istackbuddy-chat-files` | S3 bucket for file content |
//! | `CHAT_WS_MANAGEMENT_ENDPOINT` | none | `https://{api}.execute-api.{region}.amazonaws.com/{stage}` |
//!
//! Credentials come the usual AWS way (environment, profile, Lambda role).

use chat_aws::AwsTarget;

use crate::settings::ConfigError;

pub const BACKEND_VAR: &str = "CHAT_BACKEND";
pub const ENDPOINT_VAR: &str = "CHAT_AWS_ENDPOINT";
pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_TABLE: &str = "istackbuddy-chat";
pub const DEFAULT_QUEUE: &str = "istackbuddy-chat-jobs";
pub const DEFAULT_BUCKET: &str = "istackbuddy-chat-files";

/// Where a process keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// SQLite, a local folder and an in-process queue (the default: works offline).
    #[default]
    Embedded,
    /// DynamoDB, S3, SQS and API Gateway Management (or an emulator of them).
    Aws,
}

impl std::str::FromStr for Backend {
    type Err = ConfigError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "embedded" => Ok(Backend::Embedded),
            "aws" => Ok(Backend::Aws),
            other => Err(ConfigError::Invalid {
                name: BACKEND_VAR,
                reason: format!("expected `embedded` or `aws`, got {other:?}"),
            }),
        }
    }
}

impl Backend {
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        lookup(BACKEND_VAR).unwrap_or_default().parse()
    }
}

/// The AWS resources named by the environment. The queue URL may be missing when the
/// caller provisions the queue by name ([`crate::aws::provision`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsEnv {
    pub target: AwsTarget,
    /// The queue's name, used to create it on an emulator.
    pub queue_name: String,
}

impl AwsEnv {
    pub fn from_env() -> Self {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        let queue_name = get("CHAT_JOBS_QUEUE").unwrap_or_else(|| DEFAULT_QUEUE.to_string());
        AwsEnv {
            target: AwsTarget {
                region,
                endpoint: get(ENDPOINT_VAR).map(|e| e.trim_end_matches('/').to_string()),
                table: get("CHAT_TABLE").unwrap_or_else(|| DEFAULT_TABLE.to_string()),
                queue_url: get("CHAT_JOBS_QUEUE_URL").unwrap_or_default(),
                bucket: get("CHAT_BUCKET").unwrap_or_else(|| DEFAULT_BUCKET.to_string()),
                management_endpoint: get("CHAT_WS_MANAGEMENT_ENDPOINT"),
            },
            queue_name,
        }
    }

    /// On real AWS every resource must be named: nothing is created at run time there.
    pub fn require_deployed(&self) -> Result<(), ConfigError> {
        if self.target.queue_url.is_empty() {
            return Err(ConfigError::Missing("CHAT_JOBS_QUEUE_URL"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_backend_defaults_to_embedded_and_rejects_junk() {
        assert_eq!(
            Backend::from_lookup(&lookup(&[])).unwrap(),
            Backend::Embedded
        );
        let aws = lookup(&[(BACKEND_VAR, " AWS ")]);
        assert_eq!(Backend::from_lookup(&aws).unwrap(), Backend::Aws);
        let err = Backend::from_lookup(&lookup(&[(BACKEND_VAR, "dynamo")])).unwrap_err();
        assert!(err.to_string().contains("CHAT_BACKEND"), "{err}");
    }

    #[test]
    fn aws_names_have_defaults_and_overrides() {
        let env = AwsEnv::from_lookup(&lookup(&[]));
        assert_eq!(env.target.table, DEFAULT_TABLE);
        assert_eq!(env.target.region, DEFAULT_REGION);
        assert_eq!(env.target.endpoint, None);
        assert!(env.require_deployed().is_err());

        let env = AwsEnv::from_lookup(&lookup(&[
            (ENDPOINT_VAR, "http://127.0.0.1:5000/"),
            ("AWS_REGION", "eu-west-1"),
            ("CHAT_TABLE", "t"),
            ("CHAT_JOBS_QUEUE_URL", "https://sqs/1/q"),
            ("CHAT_BUCKET", "b"),
            ("CHAT_WS_MANAGEMENT_ENDPOINT", "https://x/dev"),
        ]));
        assert_eq!(
            env.target.endpoint.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            (
                env.target.region.as_str(),
                env.target.table.as_str(),
                env.target.bucket.as_str()
            ),
            ("eu-west-1", "t", "b")
        );
        assert_eq!(
            env.target.management_endpoint.as_deref(),
            Some("https://x/dev")
        );
        assert!(env.require_deployed().is_ok());
    }
}
