//! Machine-readable descriptions of the wire contract, generated from the code (built
//! only with the `schema` feature): the AsyncAPI 3.0 document of the WebSocket API and
//! the list of types exported to TypeScript for the web client. The HTTP API's OpenAPI
//! 3.1 document is assembled by `chat-local` from the HTTP functions' route docs.

pub mod asyncapi;
pub mod event_examples;
pub mod typescript;
