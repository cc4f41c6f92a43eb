//! [`AnthropicClient`]: the Anthropic Messages API, streamed.
//!
//! Request: `POST {base}/v1/messages` with `x-api-key` and `anthropic-version`.
//! Response: SSE events `message_start`, `content_block_start`, `content_block_delta`,
//! `content_block_stop`, `message_delta`, `message_stop`, `ping`, and `error`. Only
//! `text_delta` deltas carry answer text; `message_stop` is the terminator.

use eventsource_stream::Event;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use serde_json::json;
use tracing::instrument;

use super::{
    LlmConfig, LlmProvider, Prompt, TextStream,
    retry::Transport,
    sse::{Parser, Step},
};
use crate::Error;

const API_VERSION: &str = "2023-06-01";

/// A client for one model of the Anthropic Messages API.
#[derive(Debug)]
pub struct AnthropicClient {
    transport: Transport,
    url: String,
    model: String,
    /// Marked sensitive so that reqwest's own `Debug` output hides it too.
    key_header: HeaderValue,
}

impl AnthropicClient {
    pub fn new(config: LlmConfig) -> Result<Self, Error> {
        let transport = Transport::new(&config)?;
        let mut key_header = HeaderValue::from_str(config.api_key.expose()).map_err(|_| {
            Error::InvalidConfig("the API key has characters a header cannot carry".into())
        })?;
        key_header.set_sensitive(true);
        Ok(Self {
            transport,
            url: format!("{}/v1/messages", config.base_url.trim_end_matches('/')),
            model: config.model,
            key_header,
        })
    }
}

#[async_trait::async_trait]
impl LlmProvider for AnthropicClient {
    #[instrument(skip_all, fields(provider = "anthropic", model = %self.model))]
    async fn stream(&self, prompt: &Prompt) -> Result<TextStream, Error> {
        let mut body = json!({
            "model": self.model,
            "max_tokens": prompt.max_tokens,
            "messages": [{"role": "user", "content": prompt.user}],
            "stream": true,
        });
        // The API rejects an empty system prompt less predictably than an absent one.
        if !prompt.system.is_empty() {
            body["system"] = json!(prompt.system);
        }
        let request = self
            .transport
            .http
            .post(&self.url)
            .header("x-api-key", self.key_header.clone())
            .header("anthropic-version", API_VERSION)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.transport.open(request, PARSE).await
    }
}

const PARSE: Parser = read_event;

/// The events we act on. Unknown types are ignored, as the API documents that new
/// event types may be added.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Wire {
    ContentBlockDelta {
        delta: Delta,
    },
    MessageStop,
    Error {
        error: WireError,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Delta {
    TextDelta {
        text: String,
    },
    /// `input_json_delta`, `thinking_delta`, …: not answer text.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

fn read_event(event: &Event) -> Result<Step, Error> {
    let wire: Wire = serde_json::from_str(&event.data).map_err(|e| {
        Error::Malformed(format!(
            "an Anthropic {:?} event is not the documented JSON ({e})",
            event.event
        ))
    })?;
    Ok(match wire {
        Wire::ContentBlockDelta {
            delta: Delta::TextDelta { text },
        } => Step::Text(text),
        Wire::MessageStop => Step::Done,
        Wire::Error { error } => {
            return Err(Error::StreamFailed {
                kind: error.kind,
                message: error.message,
            });
        }
        Wire::ContentBlockDelta { .. } | Wire::Other => Step::Ignore,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, data: &str) -> Event {
        Event {
            event: name.into(),
            data: data.into(),
            ..Event::default()
        }
    }

    #[test]
    fn text_delta_is_text_and_bookkeeping_is_ignored() {
        let delta =
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#;
        assert_eq!(
            read_event(&event("content_block_delta", delta)).unwrap(),
            Step::Text("Hi".into())
        );
        let start =
            r#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":3}}}"#;
        assert_eq!(
            read_event(&event("message_start", start)).unwrap(),
            Step::Ignore
        );
        let json = r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{"}}"#;
        assert_eq!(
            read_event(&event("content_block_delta", json)).unwrap(),
            Step::Ignore
        );
        let future = r#"{"type":"some_new_event","x":1}"#;
        assert_eq!(
            read_event(&event("some_new_event", future)).unwrap(),
            Step::Ignore
        );
        assert_eq!(
            read_event(&event("message_stop", r#"{"type":"message_stop"}"#)).unwrap(),
            Step::Done
        );
    }

    #[test]
    fn error_event_becomes_stream_failed() {
        let data = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let err = read_event(&event("error", data)).unwrap_err();
        assert!(matches!(err, Error::StreamFailed { ref kind, .. } if kind == "overloaded_error"));
        assert_eq!(
            err.to_string(),
            "the LLM provider failed mid-answer: Overloaded (overloaded_error)"
        );
    }
}
