//! Reading the API key by name through the AWS Parameters and Secrets Lambda Extension:
//! a layer that serves Secrets Manager and Parameter Store over HTTP on localhost and
//! caches the values, so the function needs no AWS SDK (and none of its TLS stack).
//!
//! - `GET {endpoint}/secretsmanager/get?secretId=<name>` → `{"SecretString": …, …}`
//! - `GET {endpoint}/systemsmanager/parameters/get?name=<name>&withDecryption=true`
//!   → `{"Parameter": {"Value": …, …}}`
//!
//! Both need the header `X-Aws-Parameters-Secrets-Token` set to the function's
//! `AWS_SESSION_TOKEN` (the extension's guard against request forgery).

use std::{fmt, time::Duration};

use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::ApiKey;
use crate::Error;

/// Where the extension listens unless `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` moves it.
pub const DEFAULT_EXTENSION_ENDPOINT: &str = "http://localhost:2773";

/// The extension fetches from AWS on a cache miss; this bounds that whole round trip.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the key is kept, by name or ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A Secrets Manager secret whose `SecretString` is the key itself.
    SecretsManager(String),
    /// A Parameter Store parameter (usually a `SecureString`), decrypted.
    Parameter(String),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretsManager(name) => write!(f, "Secrets Manager secret {name:?}"),
            Self::Parameter(name) => write!(f, "SSM parameter {name:?}"),
        }
    }
}

#[derive(Deserialize)]
struct SecretValue {
    #[serde(rename = "SecretString")]
    secret_string: Option<String>,
}

#[derive(Deserialize)]
struct ParameterEnvelope {
    #[serde(rename = "Parameter")]
    parameter: ParameterValue,
}

#[derive(Deserialize)]
struct ParameterValue {
    #[serde(rename = "Value")]
    value: String,
}

/// Reads the key from `source` through the extension at `endpoint` (normally
/// [`DEFAULT_EXTENSION_ENDPOINT`]). Errors name the source and the HTTP status, never
/// the value or the token; a response body is never quoted, as it holds the secret.
pub async fn fetch_secret(
    source: &SecretSource,
    endpoint: &str,
    session_token: &str,
) -> Result<ApiKey, Error> {
    let fail = |reason: &str, source_error: Option<reqwest::Error>| Error::SecretUnavailable {
        from: source.to_string(),
        reason: reason.to_owned(),
        source: source_error.map(reqwest::Error::without_url),
    };
    let mut token = HeaderValue::from_str(session_token)
        .map_err(|_| fail("the session token cannot be sent as a header", None))?;
    token.set_sensitive(true);
    let http = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| fail("the HTTP client could not be built", Some(e)))?;
    let base = endpoint.trim_end_matches('/');
    // `query` percent-encodes the name: parameter names contain `/`, ARNs contain `:`.
    let request = match source {
        SecretSource::SecretsManager(name) => http
            .get(format!("{base}/secretsmanager/get"))
            .query(&[("secretId", name.as_str())]),
        SecretSource::Parameter(name) => http
            .get(format!("{base}/systemsmanager/parameters/get"))
            .query(&[("name", name.as_str()), ("withDecryption", "true")]),
    };
    let response = request
        .header("X-Aws-Parameters-Secrets-Token", token)
        .send()
        .await
        .map_err(|e| {
            let reason = if e.is_timeout() {
                "the secrets extension did not answer in time"
            } else {
                "the secrets extension is unreachable (is its Lambda layer attached?)"
            };
            fail(reason, Some(e))
        })?;
    let status = response.status();
    if !status.is_success() {
        let reason = format!("the secrets extension answered {status}");
        return Err(fail(&reason, None));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| fail("the secrets extension's answer was cut off", Some(e)))?;
    let unreadable = || {
        fail(
            "the secrets extension's answer is not the documented JSON",
            None,
        )
    };
    let value = match source {
        SecretSource::SecretsManager(_) => serde_json::from_slice::<SecretValue>(&body)
            .map_err(|_| unreadable())?
            .secret_string
            .ok_or_else(|| fail("the secret has no SecretString (is it binary?)", None))?,
        SecretSource::Parameter(_) => {
            serde_json::from_slice::<ParameterEnvelope>(&body)
                .map_err(|_| unreadable())?
                .parameter
                .value
        }
    };
    let key = ApiKey::new(value.trim());
    if key.is_empty() {
        return Err(fail("the value is empty", None));
    }
    Ok(key)
}
