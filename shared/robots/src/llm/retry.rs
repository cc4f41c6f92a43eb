//! The request loop both clients share: send, classify the status, retry transient
//! failures with exponential backoff and jitter (or the provider's `Retry-After`), and
//! hand back the text stream once the first fragment has arrived.

use std::time::Duration;

use rand::Rng;
use reqwest::{RequestBuilder, Response, StatusCode, header::RETRY_AFTER};
use serde::Deserialize;
use tokio::time::{Instant, timeout_at};
use tracing::warn;

use super::{
    ApiKey, LlmConfig, TextStream,
    sse::{self, EventReader, Parser},
};
use crate::Error;

/// A provider's `Retry-After` is obeyed up to this; beyond it a person is left waiting
/// too long, and the retry budget is better spent on our own backoff.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Our own backoff never grows past this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Enough of an unparsable error body to recognise it, not enough to flood a log.
const MAX_BODY_IN_ERROR: usize = 200;

/// An HTTP client plus the retry and timeout policy of one [`LlmConfig`].
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    key: ApiKey,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    backoff_base: Duration,
}

/// One failed attempt and whether another may help.
struct Failure {
    error: Error,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Transport {
    /// Checks the parts of `config` every provider needs and builds the HTTP client.
    pub(crate) fn new(config: &LlmConfig) -> Result<Self, Error> {
        if config.model.trim().is_empty() {
            return Err(Error::InvalidConfig("no model is set".into()));
        }
        if config.api_key.is_empty() {
            return Err(Error::InvalidConfig("the API key is empty".into()));
        }
        reqwest::Url::parse(&config.base_url).map_err(|e| {
            Error::InvalidConfig(format!("base URL {:?} is not a URL ({e})", config.base_url))
        })?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| Error::InvalidConfig(format!("cannot build the HTTP client ({e})")))?;
        Ok(Self {
            http,
            key: config.api_key.clone(),
            first_byte_timeout: config.first_byte_timeout,
            idle_timeout: config.idle_timeout,
            connect_timeout: config.connect_timeout,
            max_retries: config.max_retries,
            backoff_base: config.backoff_base,
        })
    }

    /// Sends `request` (replayed on retry) and returns its text stream.
    pub(crate) async fn open(
        &self,
        request: RequestBuilder,
        parse: Parser,
    ) -> Result<TextStream, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(this_try) = request.try_clone() else {
                // Only streaming bodies cannot be cloned; ours are always JSON bytes.
                return Err(Error::InvalidConfig(
                    "the request cannot be replayed".into(),
                ));
            };
            let failure = match self.attempt(this_try, parse).await {
                Ok(stream) => return Ok(stream),
                Err(failure) => failure,
            };
            if !failure.retryable {
                return Err(failure.error);
            }
            if attempt > self.max_retries {
                return Err(if self.max_retries == 0 {
                    failure.error
                } else {
                    Error::RetriesExhausted {
                        attempts: attempt,
                        last: Box::new(failure.error),
                    }
                });
            }
            let delay = failure
                .retry_after
                .unwrap_or_else(|| backoff(self.backoff_base, attempt));
            warn!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %failure.error,
                "LLM request failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One request, up to and including the first text fragment, so that a failure
    /// that happens before the employee sees anything can still be retried.
    async fn attempt(&self, request: RequestBuilder, parse: Parser) -> Result<TextStream, Failure> {
        let deadline = Instant::now() + self.first_byte_timeout;
        let first_byte = Error::FirstByteTimeout {
            after: self.first_byte_timeout,
        };
        let response = match timeout_at(deadline, request.send()).await {
            Err(_) => return Err(Failure::fatal(first_byte)),
            Ok(Err(e)) => return Err(Failure::retry(self.send_error(e), None)),
            Ok(Ok(response)) => response,
        };
        if !response.status().is_success() {
            return Err(self.status_failure(response, deadline).await);
        }
        let mut reader = EventReader::new(
            response,
            parse,
            self.key.clone(),
            (deadline, self.first_byte_timeout),
            self.idle_timeout,
        );
        match reader.next_text().await {
            Some(Ok(first)) => Ok(reader.into_stream(Some(first))),
            None => Ok(sse::empty()),
            Some(Err(error)) => {
                let retryable = is_transient_stream_failure(&error);
                Err(Failure {
                    error,
                    retryable,
                    retry_after: None,
                })
            }
        }
    }

    fn send_error(&self, e: reqwest::Error) -> Error {
        if e.is_connect() && e.is_timeout() {
            Error::ConnectTimeout {
                after: self.connect_timeout,
            }
        } else {
            Error::Unreachable { source: e }
        }
    }

    /// Classifies a non-success status, reading the provider's error message from the
    /// body (still within the first-byte deadline).
    async fn status_failure(&self, response: Response, deadline: Instant) -> Failure {
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = timeout_at(deadline, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let message = self.key.scrub(&error_message(&body, status));
        let code = status.as_u16();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let error = Error::RateLimited {
                status: code,
                message,
            };
            Failure::retry(error, retry_after)
        } else if status.is_server_error() {
            let error = Error::ProviderFailed {
                status: code,
                message,
            };
            Failure::retry(error, retry_after)
        } else {
            Failure::fatal(Error::Rejected {
                status: code,
                message,
            })
        }
    }
}

impl Failure {
    fn fatal(error: Error) -> Self {
        Self {
            error,
            retryable: false,
            retry_after: None,
        }
    }

    fn retry(error: Error, retry_after: Option<Duration>) -> Self {
        Self {
            error,
            retryable: true,
            retry_after,
        }
    }
}

/// Failures inside a 200 stream that are worth another request when no text has been
/// shown yet. First-byte and idle timeouts are not: the stall already cost a full
/// timeout, and repeating it would double the employee's wait.
fn is_transient_stream_failure(error: &Error) -> bool {
    match error {
        Error::Disconnected { .. } => true,
        Error::StreamFailed { kind, .. } => matches!(
            kind.as_str(),
            "overloaded_error" | "api_error" | "server_error" | "rate_limit_error"
        ),
        _ => false,
    }
}

/// `Retry-After` in its seconds form, capped; the HTTP-date form falls back to backoff.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// `base * 2^(attempt-1)`, capped, of which the upper half is random so that clients
/// failing together do not retry together.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let full = base.saturating_mul(1 << exponent).min(MAX_BACKOFF);
    let half = full / 2;
    let jitter_ms = rand::thread_rng().gen_range(0..=half.as_millis() as u64);
    half + Duration::from_millis(jitter_ms)
}

/// Both providers wrap their message as `{"error":{"message":…}}` (Anthropic adds a
/// top-level `"type":"error"`); anything else is quoted briefly.
fn error_message(body: &str, status: StatusCode) -> String {
    #[derive(Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Detail {
        Object { message: String },
        Text(String),
    }
    match serde_json::from_str::<Envelope>(body) {
        Ok(Envelope {
            error: Detail::Object { message } | Detail::Text(message),
        }) => message,
        Err(_) if body.trim().is_empty() => status
            .canonical_reason()
            .unwrap_or("no explanation given")
            .to_owned(),
        Err(_) => body.trim().chars().take(MAX_BODY_IN_ERROR).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let full = base * (1 << (attempt - 1));
            let delay = backoff(base, attempt);
            assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
        }
    }

    #[test]
    fn backoff_is_capped() {
        assert!(backoff(Duration::from_secs(10), 30) <= MAX_BACKOFF);
    }

    #[test]
    fn error_message_reads_both_providers_shapes() {
        let anthropic = r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}}"#;
        let openai = r#"{"error":{"message":"model not found","type":"invalid_request_error","param":null,"code":null}}"#;
        assert_eq!(
            error_message(anthropic, StatusCode::BAD_REQUEST),
            "max_tokens: too big"
        );
        assert_eq!(
            error_message(openai, StatusCode::NOT_FOUND),
            "model not found"
        );
        assert_eq!(error_message("", StatusCode::BAD_GATEWAY), "Bad Gateway");
        assert_eq!(error_message("<html>", StatusCode::BAD_GATEWAY), "<html>");
    }
}
