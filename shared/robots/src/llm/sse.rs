//! Reading a provider's SSE body into text fragments, with the first-byte and idle
//! timeouts. The SSE framing itself is `eventsource-stream`'s; each provider supplies a
//! [`Parser`] that turns one event into a [`Step`].

use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::{StreamExt, stream, stream::BoxStream};
use tokio::time::{Instant, timeout, timeout_at};

use super::{ApiKey, TextStream};
use crate::Error;

/// What one SSE event means to us.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Text(String),
    /// Bookkeeping events (`ping`, `message_start`, role-only chunks, …).
    Ignore,
    /// The provider's terminator (`message_stop`, `[DONE]`).
    Done,
}

/// Turns one event into a [`Step`], or an error the provider reported in-band.
pub(crate) type Parser = fn(&Event) -> Result<Step, Error>;

pub(crate) struct EventReader {
    events: BoxStream<'static, Result<Event, EventStreamError<reqwest::Error>>>,
    parse: Parser,
    key: ApiKey,
    /// Until the first event arrives the first-byte deadline applies, then `idle`.
    first_event_deadline: Option<(Instant, Duration)>,
    idle: Duration,
    finished: bool,
}

impl EventReader {
    pub(crate) fn new(
        response: reqwest::Response,
        parse: Parser,
        key: ApiKey,
        first_event_deadline: (Instant, Duration),
        idle: Duration,
    ) -> Self {
        Self {
            events: response.bytes_stream().eventsource().boxed(),
            parse,
            key,
            first_event_deadline: Some(first_event_deadline),
            idle,
            finished: false,
        }
    }

    /// The next non-empty text fragment; `None` once the terminator arrived or after an
    /// error was returned (errors end the stream).
    pub(crate) async fn next_text(&mut self) -> Option<Result<String, Error>> {
        while !self.finished {
            let item = match self.first_event_deadline {
                Some((deadline, after)) => timeout_at(deadline, self.events.next())
                    .await
                    .map_err(|_| Error::FirstByteTimeout { after }),
                None => timeout(self.idle, self.events.next())
                    .await
                    .map_err(|_| Error::IdleTimeout { after: self.idle }),
            };
            self.first_event_deadline = None;
            let step = item.and_then(|item| match item {
                Some(Ok(event)) => (self.parse)(&event),
                None => Err(Error::Disconnected { source: None }),
                Some(Err(EventStreamError::Transport(source))) => Err(Error::Disconnected {
                    source: Some(source),
                }),
                Some(Err(other)) => Err(Error::Malformed(format!("broken SSE framing ({other})"))),
            });
            match step {
                Ok(Step::Text(text)) if !text.is_empty() => return Some(Ok(text)),
                Ok(Step::Text(_) | Step::Ignore) => {}
                Ok(Step::Done) => self.finished = true,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(scrub(error, &self.key)));
                }
            }
        }
        None
    }

    /// The rest of the body as a [`TextStream`], starting with `first` if given.
    pub(crate) fn into_stream(self, first: Option<String>) -> TextStream {
        let head = stream::iter(first.map(Ok));
        let tail = stream::unfold(self, |mut reader| async move {
            reader.next_text().await.map(|item| (item, reader))
        });
        head.chain(tail).boxed()
    }
}

/// A stream that is already complete (the model answered with no text at all).
pub(crate) fn empty() -> TextStream {
    stream::empty().boxed()
}

/// `error` with the key removed from any provider-supplied text it carries.
pub(crate) fn scrub(error: Error, key: &ApiKey) -> Error {
    match error {
        Error::RateLimited { status, message } => Error::RateLimited {
            status,
            message: key.scrub(&message),
        },
        Error::ProviderFailed { status, message } => Error::ProviderFailed {
            status,
            message: key.scrub(&message),
        },
        Error::Rejected { status, message } => Error::Rejected {
            status,
            message: key.scrub(&message),
        },
        Error::StreamFailed { kind, message } => Error::StreamFailed {
            kind: key.scrub(&kind),
            message: key.scrub(&message),
        },
        Error::Malformed(message) => Error::Malformed(key.scrub(&message)),
        other => other,
    }
}
