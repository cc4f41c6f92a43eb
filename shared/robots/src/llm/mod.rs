//! LLM provider clients behind one streaming trait.
//!
//! - [`LlmProvider`]: start a completion, get its text as a stream of fragments.
//! - [`anthropic`]: the Anthropic Messages API (`POST /v1/messages`, SSE).
//! - [`openai`]: OpenAI-compatible Chat Completions (`POST /v1/chat/completions`, SSE).
//! - `retry` and `sse` (private): what both clients share — retries with backoff and
//!   `Retry-After`, the connect / first-byte / idle timeouts, reading SSE events.
//! - [`api_key`]: [`ApiKey`], a key that prints as `ApiKey(***)`.
//! - [`secrets`]: reading the key by name through the AWS Parameters and Secrets Lambda
//!   Extension, without the AWS SDK.
//!
//! Retries happen only before the first text fragment is yielded: once an employee has
//! seen part of an answer, a silent restart would duplicate it, so later failures end
//! the stream with an [`Error`].

pub mod anthropic;
pub mod api_key;
pub mod openai;
mod retry;
pub mod secrets;
mod sse;

use std::{str::FromStr, sync::Arc, time::Duration};

pub use anthropic::AnthropicClient;
pub use api_key::ApiKey;
pub use openai::OpenAiClient;
pub use secrets::{DEFAULT_EXTENSION_ENDPOINT, SecretSource, fetch_secret};

use crate::Error;

/// What to ask the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    pub max_tokens: u32,
}

/// Text fragments in the order the model produced them.
pub type TextStream = futures::stream::BoxStream<'static, Result<String, Error>>;

/// A chat model that streams its answer.
#[async_trait::async_trait]
pub trait LlmProvider: Send + Sync + std::fmt::Debug {
    /// Starts a completion; the stream yields text fragments in order and ends when the
    /// model is done.
    ///
    /// Failures before any text (including retries running out) are returned here; a
    /// failure after some text is the stream's last item, and the stream then ends. A
    /// stream that ends without an error item is a complete answer.
    async fn stream(&self, prompt: &Prompt) -> Result<TextStream, Error>;
}

/// Which wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Anthropic,
    /// OpenAI itself or any server with an OpenAI-compatible Chat Completions API.
    OpenAi,
}

impl ProviderKind {
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::Anthropic => "https://api.anthropic.com",
            Self::OpenAi => "https://api.openai.com",
        }
    }
}

impl FromStr for ProviderKind {
    type Err = Error;

    /// `anthropic` or `openai` (any case), as written in configuration.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "anthropic" => Ok(Self::Anthropic),
            "openai" => Ok(Self::OpenAi),
            other => Err(Error::InvalidConfig(format!(
                "unknown LLM provider {other:?} (expected \"anthropic\" or \"openai\")"
            ))),
        }
    }
}

/// How to reach a provider and how patient to be with it.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub provider: ProviderKind,
    /// Scheme and host (and port), without `/v1`; a trailing `/` is ignored.
    pub base_url: String,
    pub api_key: ApiKey,
    pub model: String,
    /// TCP + TLS connection set-up.
    pub connect_timeout: Duration,
    /// From sending the request to the response headers and first SSE event.
    pub first_byte_timeout: Duration,
    /// Longest gap between two SSE events once the stream has started.
    pub idle_timeout: Duration,
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// First backoff delay; doubled per retry, with jitter.
    pub backoff_base: Duration,
}

impl LlmConfig {
    /// The provider's public endpoint and defaults sized for a chat robot: a person is
    /// waiting, so fail within tens of seconds rather than minutes.
    pub fn new(provider: ProviderKind, api_key: ApiKey, model: impl Into<String>) -> Self {
        Self {
            provider,
            base_url: provider.default_base_url().to_owned(),
            api_key,
            model: model.into(),
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
        }
    }
}

/// The client for `config.provider`, ready to share between tasks.
pub fn provider_from(config: LlmConfig) -> Result<Arc<dyn LlmProvider>, Error> {
    Ok(match config.provider {
        ProviderKind::Anthropic => Arc::new(AnthropicClient::new(config)?),
        ProviderKind::OpenAi => Arc::new(OpenAiClient::new(config)?),
    })
}
