//! Which backend a process runs on, and where the AWS resources are, from environment
//! variables (Lambda) or flags with the same meaning (the local gateway).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CHAT_BACKEND` | `embedded` (local gateway) | `embedded` (SQLite + local folder) or `aws`; Lambda functions accept only `aws` |
//! | `CHAT_AWS_ENDPOINT` | none | an AWS API emulator's URL (moto); unset = real AWS |
//! | `AWS_REGION` / `AWS_DEFAULT_REGION` | `us-east-1` | region |
//! | `CHAT_TABLE` | `istackbuddy-chat` (required on AWS) | DynamoDB table |
//! | `CHAT_JOBS_QUEUE_URL` | none (required on AWS) | SQS queue URL |
//! | `CHAT_JOBS_QUEUE` | `istackbuddy-chat-jobs` | queue *name*, for provisioning on an emulator |
//! | `CHAT_BUCKET` | `istackbuddy-chat-files` (required on AWS) | S3 bucket for file content |
//! | `CHAT_WS_MANAGEMENT_ENDPOINT` | none (required in Lambda) | `https://{api}.execute-api.{region}.amazonaws.com/{stage}` |
//! | `CHAT_MANAGEMENT_KEY` | none | key for the local gateway's Management API (local Lambda mode only) |
//!
//! "Required on AWS": a Lambda function without an emulator endpoint must be given it;
//! the defaults exist for emulators and the local gateway, which create what is missing.
//! Credentials come the usual AWS way (environment, profile, Lambda role).

use chat_aws::{AwsTarget, ManagementKey};

use crate::settings::ConfigError;

pub const BACKEND_VAR: &str = "CHAT_BACKEND";
pub const ENDPOINT_VAR: &str = "CHAT_AWS_ENDPOINT";
pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_TABLE: &str = "istackbuddy-chat";
pub const DEFAULT_QUEUE: &str = "istackbuddy-chat-jobs";
pub const DEFAULT_BUCKET: &str = "istackbuddy-chat-files";
pub const TABLE_VAR: &str = "CHAT_TABLE";
pub const QUEUE_URL_VAR: &str = "CHAT_JOBS_QUEUE_URL";
pub const QUEUE_NAME_VAR: &str = "CHAT_JOBS_QUEUE";
pub const BUCKET_VAR: &str = "CHAT_BUCKET";
pub const MANAGEMENT_ENDPOINT_VAR: &str = "CHAT_WS_MANAGEMENT_ENDPOINT";
pub const MANAGEMENT_KEY_VAR: &str = "CHAT_MANAGEMENT_KEY";

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
        let queue_name = get(QUEUE_NAME_VAR).unwrap_or_else(|| DEFAULT_QUEUE.to_string());
        AwsEnv {
            target: AwsTarget {
                region,
                endpoint: get(ENDPOINT_VAR).map(|e| e.trim_end_matches('/').to_string()),
                table: get(TABLE_VAR).unwrap_or_else(|| DEFAULT_TABLE.to_string()),
                queue_url: get(QUEUE_URL_VAR).unwrap_or_default(),
                bucket: get(BUCKET_VAR).unwrap_or_else(|| DEFAULT_BUCKET.to_string()),
                management_endpoint: get(MANAGEMENT_ENDPOINT_VAR),
                management_key: get(MANAGEMENT_KEY_VAR).map(ManagementKey),
            },
            queue_name,
        }
    }

    /// On real AWS every resource must be named: nothing is created at run time there.
    pub fn require_deployed(&self) -> Result<(), ConfigError> {
        if self.target.queue_url.is_empty() {
            return Err(ConfigError::Missing(QUEUE_URL_VAR));
        }
        Ok(())
    }
}

/// Whether a function issues tokens (holds the private key) or only verifies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRole {
    Verifier,
    Issuer,
}

/// What a Lambda function must be told before it may start, checked at cold start so a
/// misconfigured function fails at once with every missing variable named, instead of
/// answering its first events with errors (or, as before this check, quietly keeping
/// its state in `/tmp`).
///
/// - `CHAT_BACKEND`, if set, must say `aws`: the functions link no other backend.
/// - Always: `CHAT_JWT_PUBLIC_KEYS` (every function verifies tokens) and
///   `CHAT_WS_MANAGEMENT_ENDPOINT` (every function can push); for the function that
///   issues tokens ([`TokenRole::Issuer`]) also `CHAT_JWT_SIGNING_KEY`.
/// - Without an emulator endpoint: `CHAT_TABLE`, `CHAT_JOBS_QUEUE_URL` and `CHAT_BUCKET`,
///   since the deployed names cannot be guessed. With one (`CHAT_AWS_ENDPOINT`, local
///   Lambda mode), missing resources are created under their default names.
pub fn check_lambda_env(
    lookup: &impl Fn(&str) -> Option<String>,
    role: TokenRole,
) -> Result<(), ConfigError> {
    if Backend::from_lookup(lookup)? != Backend::Aws && is_set(lookup, BACKEND_VAR) {
        return Err(ConfigError::Invalid {
            name: BACKEND_VAR,
            reason: "Lambda functions run on the AWS adapters only; set it to `aws` or leave \
                     it unset"
                .to_string(),
        });
    }
    let mut required = vec![crate::settings::PUBLIC_KEYS_VAR, MANAGEMENT_ENDPOINT_VAR];
    if role == TokenRole::Issuer {
        required.push(crate::settings::SIGNING_KEY_VAR);
    }
    if !is_set(lookup, ENDPOINT_VAR) {
        required.extend([TABLE_VAR, QUEUE_URL_VAR, BUCKET_VAR]);
    }
    let missing: Vec<&'static str> = required
        .into_iter()
        .filter(|name| !is_set(lookup, name))
        .collect();
    match missing.len() {
        0 => Ok(()),
        1 => Err(ConfigError::Missing(missing[0])),
        _ => Err(ConfigError::MissingAll(missing)),
    }
}

fn is_set(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> bool {
    lookup(name).is_some_and(|v| !v.trim().is_empty())
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

    /// Any non-empty value passes the presence check (the keys are parsed later).
    const SECRET: (&str, &str) = ("CHAT_JWT_PUBLIC_KEYS", "a-public-key");

    #[test]
    fn a_deployed_lambda_needs_every_resource_named() {
        let err = check_lambda_env(&lookup(&[]), TokenRole::Verifier)
            .unwrap_err()
            .to_string();
        for name in [
            "CHAT_JWT_PUBLIC_KEYS",
            "CHAT_WS_MANAGEMENT_ENDPOINT",
            "CHAT_TABLE",
            "CHAT_JOBS_QUEUE_URL",
            "CHAT_BUCKET",
        ] {
            assert!(err.contains(name), "{err} should name {name}");
        }
        let complete = [
            SECRET,
            ("CHAT_WS_MANAGEMENT_ENDPOINT", "https://x/dev"),
            ("CHAT_TABLE", "t"),
            ("CHAT_JOBS_QUEUE_URL", "https://sqs/1/q"),
            ("CHAT_BUCKET", "b"),
        ];
        assert!(check_lambda_env(&lookup(&complete), TokenRole::Verifier).is_ok());
        let err = check_lambda_env(&lookup(&complete), TokenRole::Issuer).unwrap_err();
        assert_eq!(
            err.to_string(),
            "CHAT_JWT_SIGNING_KEY is not set",
            "the issuer needs its key"
        );
        let without_bucket = &complete[..4];
        let err = check_lambda_env(&lookup(without_bucket), TokenRole::Verifier).unwrap_err();
        assert_eq!(err.to_string(), "CHAT_BUCKET is not set");
    }

    #[test]
    fn a_lambda_on_an_emulator_may_use_default_names() {
        let vars = [
            SECRET,
            (ENDPOINT_VAR, "http://127.0.0.1:5000"),
            ("CHAT_WS_MANAGEMENT_ENDPOINT", "http://127.0.0.1:9001"),
        ];
        assert!(check_lambda_env(&lookup(&vars), TokenRole::Verifier).is_ok());
        let err = check_lambda_env(&lookup(&vars[..2]), TokenRole::Verifier).unwrap_err();
        assert_eq!(err.to_string(), "CHAT_WS_MANAGEMENT_ENDPOINT is not set");
    }

    #[test]
    fn a_lambda_refuses_the_embedded_backend_by_name() {
        let vars = [
            SECRET,
            (BACKEND_VAR, "embedded"),
            (ENDPOINT_VAR, "http://127.0.0.1:5000"),
            ("CHAT_WS_MANAGEMENT_ENDPOINT", "http://127.0.0.1:9001"),
        ];
        let err = check_lambda_env(&lookup(&vars), TokenRole::Verifier)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CHAT_BACKEND"), "{err}");
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
            ("CHAT_MANAGEMENT_KEY", "k"),
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
        assert_eq!(env.target.management_key, Some(ManagementKey("k".into())));
        assert!(env.require_deployed().is_ok());
    }
}
