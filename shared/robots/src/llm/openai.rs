//! [`OpenAiClient`]: OpenAI-compatible Chat Completions, streamed.
//!
//! Request: `POST {base}/v1/chat/completions` with `Authorization: Bearer`.
//! Response: SSE `data:` lines, each a JSON chunk
//! `{"choices":[{"delta":{"content":…},"finish_reason":…}]}`, then `data: [DONE]`.
//! A chunk `{"error":{…}}` is the provider failing mid-stream.

use eventsource_stream::Event;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use serde_json::json;
use tracing::instrument;

use super::{
    LlmConfig, LlmProvider, Prompt, TextStream,
    retry::Transport,
    sse::{Parser, Step},
};
use crate::Error;

/// A client for one model of an OpenAI-compatible Chat Completions API.
#[derive(Debug)]
pub struct OpenAiClient {
    transport: Transport,
    url: String,
    model: String,
    /// Marked sensitive so that reqwest's own `Debug` output hides it too.
    auth_header: HeaderValue,
}

impl OpenAiClient {
    pub fn new(config: LlmConfig) -> Result<Self, Error> {
        let transport = Transport::new(&config)?;
        let mut auth_header = HeaderValue::from_str(&format!("Bearer {}", config.api_key.expose()))
            .map_err(|_| {
                Error::InvalidConfig("the API key has characters a header cannot carry".into())
            })?;
        auth_header.set_sensitive(true);
        Ok(Self {
            transport,
            url: format!(
                "{}/v1/chat/completions",
                config.base_url.trim_end_matches('/')
            ),
            model: config.model,
            auth_header,
        })
    }
}

#[async_trait::async_trait]
impl LlmProvider for OpenAiClient {
    #[instrument(skip_all, fields(provider = "openai", model = %self.model))]
    async fn stream(&self, prompt: &Prompt) -> Result<TextStream, Error> {
        let body = json!({
            "model": self.model,
            "max_tokens": prompt.max_tokens,
            "stream": true,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
        });
        let request = self
            .transport
            .http
            .post(&self.url)
            .header(AUTHORIZATION, self.auth_header.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.transport.open(request, PARSE).await
    }
}

const PARSE: Parser = read_event;

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
}

#[derive(Deserialize)]
struct Delta {
    /// Absent or `null` in role-only and final chunks.
    content: Option<String>,
}

#[derive(Deserialize)]
struct WireError {
    message: String,
    /// Compatible servers often send `null` or leave it out.
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn read_event(event: &Event) -> Result<Step, Error> {
    if event.data.trim() == "[DONE]" {
        return Ok(Step::Done);
    }
    let chunk: Chunk = serde_json::from_str(&event.data).map_err(|e| {
        Error::Malformed(format!(
            "a chat completion chunk is not the documented JSON ({e})"
        ))
    })?;
    if let Some(error) = chunk.error {
        return Err(Error::StreamFailed {
            kind: error.kind.unwrap_or_else(|| "error".into()),
            message: error.message,
        });
    }
    // `finish_reason` is not the end: usage chunks may follow, and `[DONE]` is the
    // terminator that tells a finished answer from a dropped connection.
    let text: String = chunk
        .choices
        .into_iter()
        .filter_map(|choice| choice.delta.and_then(|d| d.content))
        .collect();
    Ok(if text.is_empty() {
        Step::Ignore
    } else {
        Step::Text(text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(data: &str) -> Event {
        Event {
            event: "message".into(),
            data: data.into(),
            ..Event::default()
        }
    }

    #[test]
    fn content_is_text_and_role_only_chunks_are_ignored() {
        let role = r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
        assert_eq!(read_event(&data(role)).unwrap(), Step::Ignore);
        let text =
            r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#;
        assert_eq!(read_event(&data(text)).unwrap(), Step::Text("Hi".into()));
        let last = r#"{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
        assert_eq!(read_event(&data(last)).unwrap(), Step::Ignore);
        assert_eq!(read_event(&data("[DONE]")).unwrap(), Step::Done);
    }

    #[test]
    fn error_chunk_becomes_stream_failed() {
        let chunk = r#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#;
        let err = read_event(&data(chunk)).unwrap_err();
        assert!(matches!(err, Error::StreamFailed { ref kind, .. } if kind == "server_error"));
    }
}
