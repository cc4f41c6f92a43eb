//! [`FormstackClient`]: fetches a form's definition from the Formstack API v2
//! (`GET {base}/form/{id}.json`, `Authorization: Bearer <token>`), so an engineer can
//! ask the robot about a form by id instead of exporting it.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CHAT_FORMSTACK_BASE_URL` | `https://www.formstack.com/api/v2` | the API root |
//! | `CHAT_FORMSTACK_TOKEN` | none | the access token itself (local runs; never on AWS) |
//! | `CHAT_FORMSTACK_TOKEN_SECRET` | none | on AWS: Secrets Manager secret holding the token |
//! | `CHAT_FORMSTACK_TOKEN_PARAMETER` | none | on AWS: SSM SecureString parameter holding it |
//! | `CHAT_FORMSTACK_TIMEOUT_SECONDS` | `20` | the whole request, body included |
//! | `CHAT_SECRETS_EXTENSION_ENDPOINT` | `http://localhost:2773` | the Lambda extension (shared with the LLM key) |
//!
//! A named token is read on first use through the same Parameters and Secrets Lambda
//! Extension helper as the LLM key ([`crate::llm::fetch_secret`]) and kept for the life
//! of the client; a failed read is retried on the next request. Without any token the
//! client still builds, and asking by id fails with [`Error::FormstackNotConfigured`]:
//! forms can then only be diagnosed from an attached export.

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url, redirect};
use tokio::sync::OnceCell;

use super::MAX_FORM_BYTES;
use crate::Error;
use crate::llm::{ApiKey, DEFAULT_EXTENSION_ENDPOINT, SecretSource, fetch_secret};

pub const BASE_URL_VAR: &str = "CHAT_FORMSTACK_BASE_URL";
pub const TOKEN_VAR: &str = "CHAT_FORMSTACK_TOKEN";
pub const TOKEN_SECRET_VAR: &str = "CHAT_FORMSTACK_TOKEN_SECRET";
pub const TOKEN_PARAMETER_VAR: &str = "CHAT_FORMSTACK_TOKEN_PARAMETER";
pub const TIMEOUT_VAR: &str = "CHAT_FORMSTACK_TIMEOUT_SECONDS";
/// The same variable the LLM settings read: one extension serves both.
pub const SECRETS_EXTENSION_VAR: &str = "CHAT_SECRETS_EXTENSION_ENDPOINT";
/// What the extension authenticates requests with (Lambda sets it).
pub const SESSION_TOKEN_VAR: &str = "AWS_SESSION_TOKEN";

pub const DEFAULT_BASE_URL: &str = "https://www.formstack.com/api/v2";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A person is waiting for the answer; Formstack answers a form in well under a second.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Form ids are about ten digits; a longer run of digits is a paste mistake.
const MAX_FORM_ID_DIGITS: usize = 20;
/// How much of a refused form id is quoted back.
const MAX_QUOTED_ID_CHARS: usize = 32;

/// Where the access token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Direct(ApiKey),
    Named(SecretSource),
}

/// How to reach Formstack and how patient to be with it.
#[derive(Debug, Clone)]
pub struct FormstackConfig {
    /// The API root, without the trailing `/form/…`; a trailing `/` is ignored.
    pub base_url: String,
    /// `None`: not configured (only attached exports can be diagnosed).
    pub token: Option<TokenSource>,
    pub connect_timeout: Duration,
    /// The whole request, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// A larger answer is abandoned while it streams in.
    pub max_response_bytes: usize,
    /// The Lambda extension a [`TokenSource::Named`] token is read through.
    pub extension_endpoint: String,
    /// The function's `AWS_SESSION_TOKEN`, which the extension requires.
    pub session_token: Option<ApiKey>,
}

impl Default for FormstackConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: MAX_FORM_BYTES,
            extension_endpoint: DEFAULT_EXTENSION_ENDPOINT.to_owned(),
            session_token: None,
        }
    }
}

impl FormstackConfig {
    /// Reads the variables above through `get` (e.g. `|name| std::env::var(name).ok()`);
    /// blank values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| get(name).filter(|value| !value.trim().is_empty());
        let mut config = Self::default();
        if let Some(url) = get(BASE_URL_VAR) {
            config.base_url = url.trim().to_owned();
        }
        if let Some(raw) = get(TIMEOUT_VAR) {
            let seconds: u64 = raw.trim().parse().map_err(|_| {
                Error::FormstackConfig(format!(
                    "{TIMEOUT_VAR} must be a whole number of seconds, not {raw:?}"
                ))
            })?;
            config.timeout = Duration::from_secs(seconds.max(1));
            // Connecting is part of the whole; it cannot be allowed longer.
            config.connect_timeout = config.connect_timeout.min(config.timeout);
        }
        if let Some(endpoint) = get(SECRETS_EXTENSION_VAR) {
            config.extension_endpoint = endpoint.trim().to_owned();
        }
        config.session_token = get(SESSION_TOKEN_VAR).map(ApiKey::new);
        config.token = match (
            get(TOKEN_VAR),
            get(TOKEN_SECRET_VAR),
            get(TOKEN_PARAMETER_VAR),
        ) {
            (None, None, None) => None,
            (Some(token), None, None) => Some(TokenSource::Direct(ApiKey::new(token.trim()))),
            (None, Some(name), None) => Some(TokenSource::Named(SecretSource::SecretsManager(
                name.trim().to_owned(),
            ))),
            (None, None, Some(name)) => Some(TokenSource::Named(SecretSource::Parameter(
                name.trim().to_owned(),
            ))),
            _ => {
                return Err(Error::FormstackConfig(format!(
                    "set only one of {TOKEN_VAR}, {TOKEN_SECRET_VAR} and {TOKEN_PARAMETER_VAR}"
                )));
            }
        };
        Ok(config)
    }
}

/// A Formstack API v2 client, cheap to share (`reqwest::Client` pools connections).
#[derive(Debug)]
pub struct FormstackClient {
    http: reqwest::Client,
    /// The API root without a trailing `/`.
    base: String,
    host: String,
    token: Option<TokenSource>,
    /// A named token once read.
    resolved: OnceCell<ApiKey>,
    extension_endpoint: String,
    session_token: Option<ApiKey>,
    connect_timeout: Duration,
    timeout: Duration,
    max_response_bytes: usize,
}

impl FormstackClient {
    /// Checks the base URL and builds the HTTP client; makes no request.
    pub fn new(config: FormstackConfig) -> Result<Self, Error> {
        let base = config.base_url.trim().trim_end_matches('/').to_owned();
        let url = Url::parse(&base).map_err(|e| {
            Error::FormstackConfig(format!("{BASE_URL_VAR} {base:?} is not a URL ({e})"))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::FormstackConfig(format!(
                "{BASE_URL_VAR} {base:?} is not an http(s) URL"
            )));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            // The API does not redirect; following one could carry the token elsewhere.
            .redirect(redirect::Policy::none())
            .user_agent(concat!("iStackBuddy-chat/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::FormstackConfig(format!("cannot build the HTTP client ({e})")))?;
        let token = config.token.filter(|token| match token {
            TokenSource::Direct(key) => !key.is_empty(),
            TokenSource::Named(_) => true,
        });
        Ok(Self {
            http,
            base,
            host,
            token,
            resolved: OnceCell::new(),
            extension_endpoint: config.extension_endpoint,
            session_token: config.session_token,
            connect_timeout: config.connect_timeout,
            timeout: config.timeout,
            max_response_bytes: config.max_response_bytes,
        })
    }

    /// Whether a token is configured (forms can be looked up by id).
    pub fn is_configured(&self) -> bool {
        self.token.is_some()
    }

    /// The form's definition, as the JSON text Formstack sends. The id is checked
    /// (digits only) before anything else, so a bad id never reaches the network.
    pub async fn fetch_form(&self, form_id: &str) -> Result<String, Error> {
        let form_id = parse_form_id(form_id)?;
        let token = self.token().await?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| Error::FormstackConfig("the token cannot be sent as a header".into()))?;
        auth.set_sensitive(true);
        let started = Instant::now();
        let response = self
            .http
            .get(format!("{}/form/{form_id}.json", self.base))
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        tracing::debug!(
            form_id,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "formstack answered"
        );
        if !status.is_success() {
            return Err(status_error(status, &response, form_id));
        }
        if let Some(kind) = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|kind| !kind.to_ascii_lowercase().contains("json"))
        {
            return Err(Error::FormstackMalformed(format!(
                "it is {kind}, not JSON: check {BASE_URL_VAR}"
            )));
        }
        let body = self.read_body(response, form_id).await?;
        String::from_utf8(body)
            .map_err(|_| Error::FormstackMalformed("it is not UTF-8 text".into()))
    }

    async fn token(&self) -> Result<ApiKey, Error> {
        match &self.token {
            None => Err(Error::FormstackNotConfigured),
            Some(TokenSource::Direct(key)) => Ok(key.clone()),
            Some(TokenSource::Named(source)) => {
                let session = self
                    .session_token
                    .as_ref()
                    .map(ApiKey::expose)
                    .unwrap_or_default();
                self.resolved
                    .get_or_try_init(|| fetch_secret(source, &self.extension_endpoint, session))
                    .await
                    .cloned()
            }
        }
    }

    /// The body, stopping as soon as it passes the size cap (a `Content-Length` over
    /// it is refused before reading anything).
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        form_id: &str,
    ) -> Result<Vec<u8>, Error> {
        let too_large = || Error::FormstackTooLarge {
            form_id: form_id.to_owned(),
            limit: self.max_response_bytes,
        };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_response_bytes as u64) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(
            declared
                .map_or(64 * 1024, |n| n as usize)
                .min(self.max_response_bytes),
        );
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            if e.is_timeout() {
                Error::FormstackTimeout {
                    after: self.timeout,
                }
            } else {
                Error::FormstackMalformed("the answer was cut off".into())
            }
        })? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, error: reqwest::Error) -> Error {
        if error.is_connect() && error.is_timeout() {
            Error::FormstackConnectTimeout {
                after: self.connect_timeout,
            }
        } else if error.is_timeout() {
            Error::FormstackTimeout {
                after: self.timeout,
            }
        } else {
            Error::FormstackUnreachable {
                host: self.host.clone(),
                source: error.without_url(),
            }
        }
    }
}

/// The id as Formstack knows it: ASCII digits only (surrounding spaces forgiven).
fn parse_form_id(raw: &str) -> Result<&str, Error> {
    let id = raw.trim();
    if id.is_empty() || id.len() > MAX_FORM_ID_DIGITS || !id.bytes().all(|b| b.is_ascii_digit()) {
        let quoted: String = raw.chars().take(MAX_QUOTED_ID_CHARS).collect();
        return Err(Error::InvalidFormId(quoted));
    }
    Ok(id)
}

fn status_error(status: StatusCode, response: &reqwest::Response, form_id: &str) -> Error {
    match status.as_u16() {
        401 | 403 => Error::FormstackRefused {
            status: status.as_u16(),
            form_id: form_id.to_owned(),
        },
        404 => Error::FormNotFound {
            form_id: form_id.to_owned(),
        },
        429 => Error::FormstackRateLimited {
            retry_after: retry_after(response),
        },
        500..=599 => Error::FormstackFailed {
            status: status.as_u16(),
        },
        other => Error::FormstackRejected {
            status: other,
            form_id: form_id.to_owned(),
        },
    }
}

/// `Retry-After` in its seconds form. The HTTP-date form is rare from APIs and left
/// out; the message then suggests a minute, Formstack's rate-limit window.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<FormstackConfig, Error> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        FormstackConfig::from_lookup(|name| map.get(name).map(|v| (*v).to_owned()))
    }

    #[test]
    fn form_ids_are_digits_only() {
        assert_eq!(parse_form_id(" 5375703 ").unwrap(), "5375703");
        for bad in ["", "  ", "53a", "-1", "5375703.json", "../5", "٣", "1 2"] {
            assert!(
                matches!(parse_form_id(bad), Err(Error::InvalidFormId(_))),
                "{bad:?}"
            );
        }
        let long = "x".repeat(500);
        let Err(error) = parse_form_id(&long) else {
            panic!("accepted")
        };
        assert!(error.to_string().len() < 120, "{error}");
    }

    #[test]
    fn timeouts_read_in_seconds_or_milliseconds() {
        let after = |ms| Error::FormstackTimeout {
            after: Duration::from_millis(ms),
        };
        assert_eq!(
            after(20_000).to_string(),
            "Formstack did not answer within 20 s"
        );
        assert_eq!(
            after(1_500).to_string(),
            "Formstack did not answer within 1500 ms"
        );
        let connect = Error::FormstackConnectTimeout {
            after: DEFAULT_CONNECT_TIMEOUT,
        };
        assert_eq!(
            connect.to_string(),
            "could not connect to Formstack within 5 s"
        );
    }

    #[test]
    fn defaults_have_no_token_and_the_public_api() {
        let c = config(&[]).unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert!(c.token.is_none());
        assert_eq!(
            (c.connect_timeout, c.timeout),
            (Duration::from_secs(5), DEFAULT_TIMEOUT)
        );
    }

    #[test]
    fn variables_set_url_token_and_timeout_and_the_token_never_prints() {
        let c = config(&[
            (BASE_URL_VAR, "http://127.0.0.1:9/api/v2/"),
            (TOKEN_VAR, "fs-secret-token-123"),
            (TIMEOUT_VAR, "3"),
            (SESSION_TOKEN_VAR, "session-secret"),
        ])
        .unwrap();
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(c.connect_timeout, Duration::from_secs(3));
        assert_eq!(
            c.token,
            Some(TokenSource::Direct(ApiKey::new("fs-secret-token-123")))
        );
        let printed = format!("{c:?}");
        assert!(!printed.contains("fs-secret-token-123") && !printed.contains("session-secret"));
        let client = FormstackClient::new(c).unwrap();
        assert!(client.is_configured());
        assert_eq!(client.base, "http://127.0.0.1:9/api/v2");
        assert!(!format!("{client:?}").contains("fs-secret-token-123"));
    }

    #[test]
    fn a_named_token_and_bad_settings() {
        let named = config(&[(TOKEN_SECRET_VAR, "istackbuddy/formstack")]).unwrap();
        assert_eq!(
            named.token,
            Some(TokenSource::Named(SecretSource::SecretsManager(
                "istackbuddy/formstack".into()
            )))
        );
        let parameter = config(&[(TOKEN_PARAMETER_VAR, "/chat/formstack")]).unwrap();
        assert!(matches!(
            parameter.token,
            Some(TokenSource::Named(SecretSource::Parameter(_)))
        ));
        assert!(config(&[(TOKEN_VAR, "a"), (TOKEN_SECRET_VAR, "b")]).is_err());
        assert!(config(&[(TIMEOUT_VAR, "soon")]).is_err());
        assert!(config(&[(TOKEN_VAR, "   ")]).unwrap().token.is_none());
        let bad_url = config(&[(BASE_URL_VAR, "formstack.com")]).unwrap();
        assert!(matches!(
            FormstackClient::new(bad_url),
            Err(Error::FormstackConfig(_))
        ));
    }
}
