//! # robots — who answers `robot.ask`
//!
//! - [`registry`]: [`Registry`], this installation's robots behind chat-core's
//!   `Robots` port.
//! - [`jokes`]: the development-only jokes robots (one engine, four prompts) and the
//!   offline joke writer that answers when no LLM is configured.
//! - [`llm`]: LLM provider clients (Anthropic Messages, OpenAI-compatible Chat
//!   Completions), both streaming over SSE, behind one trait.
//! - [`forms`]: the forms-diagnostics robot's parts: [`forms::Diagnosis`] (summary,
//!   graph, image and report of one form) and [`forms::FormstackClient`] (a form's
//!   definition by id from the Formstack API).
//! - [`error`]: the crate's one error enum.

pub mod error;
pub mod forms;
pub mod jokes;
pub mod llm;
pub mod registry;

pub use error::Error;
pub use jokes::JokeSource;
pub use jokes::offline::OfflineSettings;
pub use registry::{Registry, RobotsConfig};
