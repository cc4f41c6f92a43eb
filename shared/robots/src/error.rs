//! The crate's one error enum.
//!
//! Every `Display` is a sentence an employee can read as a robot's failure reason: it
//! says what went wrong in plain words and never carries the API key, the session token
//! or a secret's value (provider messages are scrubbed of the key before they land here).

use std::time::Duration;

/// Why a robot could not answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The LLM configuration cannot work (empty model, unparsable base URL, …).
    #[error("the LLM configuration is invalid: {0}")]
    InvalidConfig(String),

    /// The request never reached the provider (DNS, refused connection, reset).
    #[error("could not reach the LLM provider")]
    Unreachable {
        #[source]
        source: reqwest::Error,
    },

    #[error("could not connect to the LLM provider within {after:?} (connect timeout)")]
    ConnectTimeout { after: Duration },

    #[error("the LLM provider did not start answering within {after:?} (first-byte timeout)")]
    FirstByteTimeout { after: Duration },

    #[error("the LLM stream went silent for more than {after:?} (idle timeout)")]
    IdleTimeout { after: Duration },

    /// HTTP 429. `message` is the provider's own explanation, kept for logs.
    #[error("the LLM provider is rate limiting us ({status})")]
    RateLimited { status: u16, message: String },

    /// HTTP 5xx (Anthropic's 529 "overloaded" included).
    #[error("the LLM provider is failing ({status}): {message}")]
    ProviderFailed { status: u16, message: String },

    /// Any other non-success status: our request, model name or key is wrong, so
    /// retrying cannot help.
    #[error("the LLM provider refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },

    /// A retryable failure that kept happening. `last` is part of the sentence rather
    /// than a `#[source]` so that printing the error chain does not say it twice.
    #[error("{last} and retries ran out after {attempts} attempts")]
    RetriesExhausted { attempts: u32, last: Box<Error> },

    /// The provider reported an error inside the event stream (Anthropic `error` event,
    /// OpenAI `{"error":…}` chunk).
    #[error("the LLM provider failed mid-answer: {message} ({kind})")]
    StreamFailed { kind: String, message: String },

    /// The body ended (or the connection dropped) before the stream's terminator.
    #[error("the LLM stream was cut off before it finished")]
    Disconnected {
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The provider sent something that is not the documented format.
    #[error("the LLM provider sent a reply we could not read: {0}")]
    Malformed(String),

    /// The API key could not be read through the Lambda secrets extension. `from` names
    /// the secret or parameter, never its value.
    #[error("could not read the API key from {from}: {reason}")]
    SecretUnavailable {
        from: String,
        reason: String,
        #[source]
        source: Option<reqwest::Error>,
    },
}
