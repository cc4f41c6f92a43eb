//! The crate's one error enum.
//!
//! Every `Display` is a sentence an employee can read as a robot's failure reason: it
//! says what went wrong in plain words and never carries the API key, the session token
//! or a secret's value (provider messages are scrubbed of the key before they land here).
//! The `Form*` and `Formstack*` variants belong to the forms-diagnostics robot
//! ([`crate::forms`]): they are written for the support engineer who asked, so each one
//! says what to do next.

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

    /// A form to diagnose is larger than [`crate::forms::MAX_FORM_BYTES`].
    #[error(
        "the form is too large to diagnose ({size} bytes; the limit is {}): a Formstack form export is rarely over 1 MiB, so check that this is the right file",
        bytes(*limit)
    )]
    FormTooLarge { size: usize, limit: usize },

    /// A form with more fields than [`crate::forms::MAX_FORM_FIELDS`].
    #[error(
        "the form has {fields} fields, over the {limit} that can be diagnosed: check that this is a single form's export"
    )]
    FormTooManyFields { fields: usize, limit: usize },

    /// Show/hide rules so large (thousands of checks against long option lists) that
    /// judging them would take minutes and write a report of hundreds of MiB.
    #[error(
        "the form's show/hide rules are too large to diagnose ({checks} checks, many against long option lists): check that this is a real form export"
    )]
    FormTooComplex { checks: usize },

    /// The diagnostics engine itself failed on this form (it panicked, or its thread
    /// could not start). A defect to report, not something the engineer can fix.
    #[error("the form could not be diagnosed: {0}; please send this form to the developers")]
    DiagnosisFailed(String),

    /// The bytes given as a form are not UTF-8 text.
    #[error("the file is not a Formstack form export: it is not text (not UTF-8)")]
    FormNotText,

    /// The text given as a form is not JSON. `reason` says where reading stopped.
    #[error("the file is not a Formstack form export: it is not valid JSON ({reason})")]
    FormNotJson {
        reason: String,
        #[source]
        source: Option<serde_json::Error>,
    },

    /// JSON, but not shaped like `GET /form/{id}.json`'s answer.
    #[error("the file is not a Formstack form export: {reason}")]
    NotAFormExport { reason: String },

    /// A form id that is not all digits, refused before any request. The text is
    /// shortened so that a pasted paragraph does not fill the failure message.
    #[error("{0:?} is not a Formstack form id: form ids are digits only, like 5375703")]
    InvalidFormId(String),

    /// No Formstack token is configured, so forms cannot be looked up by id.
    #[error(
        "Formstack is not configured: set CHAT_FORMSTACK_TOKEN (on AWS, CHAT_FORMSTACK_TOKEN_SECRET) to look forms up by id, or attach the form's JSON export instead"
    )]
    FormstackNotConfigured,

    /// The Formstack settings cannot work (unparsable URL or timeout, two token sources).
    #[error("the Formstack configuration is invalid: {0}")]
    FormstackConfig(String),

    /// HTTP 401 or 403.
    #[error(
        "Formstack refused the token ({status}): check CHAT_FORMSTACK_TOKEN and that its account may read form {form_id}"
    )]
    FormstackRefused { status: u16, form_id: String },

    /// HTTP 404.
    #[error("form {form_id} not found in this Formstack account")]
    FormNotFound { form_id: String },

    /// HTTP 429, with the wait Formstack asked for when it said one in seconds.
    #[error("Formstack rate limit; {}", retry_hint(*retry_after))]
    FormstackRateLimited { retry_after: Option<Duration> },

    /// HTTP 5xx.
    #[error("Formstack is failing ({status}); try again in a few minutes")]
    FormstackFailed { status: u16 },

    /// Any other status that is not a success (a redirect included: the API does not
    /// redirect, so the base URL is probably wrong).
    #[error("Formstack answered {status} for form {form_id}: check CHAT_FORMSTACK_BASE_URL")]
    FormstackRejected { status: u16, form_id: String },

    #[error("could not connect to Formstack within {}", seconds(*after))]
    FormstackConnectTimeout { after: Duration },

    #[error("Formstack did not answer within {}", seconds(*after))]
    FormstackTimeout { after: Duration },

    /// Refused connection, unknown host, reset before an answer.
    #[error("could not reach Formstack at {host}: the connection failed")]
    FormstackUnreachable {
        host: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("Formstack's answer for form {form_id} is over the {} limit", bytes(*limit))]
    FormstackTooLarge { form_id: String, limit: usize },

    /// A 200 whose body is not a readable JSON text (HTML from a wrong base URL, a body
    /// cut off mid-way).
    #[error("Formstack's answer could not be read: {0}")]
    FormstackMalformed(String),
}

/// `20 s`, or `300 ms` below a second (tests use short timeouts).
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `10 MiB`, `1.5 MiB`, `812 KiB` or `93 bytes`.
fn bytes(n: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if n >= MIB {
        let tenths = n.saturating_mul(10) / MIB;
        if tenths % 10 == 0 {
            format!("{} MiB", tenths / 10)
        } else {
            format!("{}.{} MiB", tenths / 10, tenths % 10)
        }
    } else if n >= KIB {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

fn retry_hint(after: Option<Duration>) -> String {
    match after {
        Some(d) => format!("retry after {}s", d.as_secs()),
        None => "retry in a minute".to_owned(),
    }
}
