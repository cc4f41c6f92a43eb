//! The jokes robots (development only): four robots, one engine, four prompts.
//!
//! `getOneDadJoke({customerName, observations})` writes a dad joke addressed to the
//! customer that uses some of the observations: the issue's latest forms-diagnostics
//! observations when it has them, otherwise the `observations` argument. With an LLM
//! configured the joke comes from the model (streamed as it is written); without one,
//! from the offline writer.

pub mod offline;

use std::sync::Arc;

use chat_core::model::{
    ContentType, Delivery, RobotAnswer, RobotArg, RobotChunk, RobotFailure, RobotInfo, RobotRequest,
};
use chat_core::ports::RobotStream;
use futures::StreamExt;
use serde_json::Value;

use crate::llm::{LlmProvider, Prompt};
use offline::{OfflineSettings, type_out, write_joke};

/// One jokes robot: its card and the angle of its prompt.
struct Flavour {
    name: &'static str,
    delivery: Delivery,
    description: &'static str,
    /// What the model is told about this robot's humour.
    angle: &'static str,
}

const FLAVOURS: &[Flavour] = &[
    Flavour {
        name: "iStackBuddy.docs.jokes",
        delivery: Delivery::BatchDelay,
        description: "Dad jokes about documentation, for the customer (development only)",
        angle: "Your jokes are about documentation, manuals and help articles.",
    },
    Flavour {
        name: "iStackBuddy.fsid.jokes",
        delivery: Delivery::BatchDelay,
        description: "Dad jokes about form and submission ids (development only)",
        angle: "Your jokes are about form ids, submission ids and numbers that refuse to match.",
    },
    Flavour {
        name: "iStackBuddy.stream.jokes",
        delivery: Delivery::Streaming,
        description: "Dad jokes, streamed as they are written (development only)",
        angle: "Your jokes are about streams, waiting and things arriving one word at a time.",
    },
    Flavour {
        name: "iStackBuddy.sign.jokes",
        delivery: Delivery::BatchDelay,
        description: "Dad jokes about e-signatures (development only)",
        angle: "Your jokes are about signatures, initials and signing on the dotted line.",
    },
];

/// Where jokes come from.
#[derive(Clone, Debug)]
pub enum JokeSource {
    Llm(Arc<dyn LlmProvider>),
    Offline(OfflineSettings),
}

/// The shared engine behind the four jokes robots.
#[derive(Clone, Debug)]
pub struct JokesEngine {
    source: JokeSource,
}

impl JokesEngine {
    pub fn new(source: JokeSource) -> Self {
        JokesEngine { source }
    }

    /// The four robots' cards.
    pub fn catalog() -> Vec<RobotInfo> {
        FLAVOURS
            .iter()
            .map(|f| RobotInfo {
                name: f.name.to_string(),
                description: f.description.to_string(),
                delivery: f.delivery,
                content_type: ContentType::Chat,
                args: vec![
                    RobotArg {
                        name: "customerName".into(),
                        description: "who the joke is for (default: the issue's customer)".into(),
                        required: false,
                    },
                    RobotArg {
                        name: "observations".into(),
                        description: "things found about the form, as a list of sentences (used when the issue has no diagnostics)".into(),
                        required: false,
                    },
                ],
            })
            .collect()
    }

    pub fn handles(name: &str) -> bool {
        FLAVOURS.iter().any(|f| f.name == name)
    }

    /// `getOneDadJoke` for `request`: text chunks for the streaming robot, one final
    /// answer for the others.
    pub fn answer(&self, request: RobotRequest) -> RobotStream {
        let Some(flavour) = FLAVOURS.iter().find(|f| f.name == request.robot) else {
            let reason = format!("{} is not a jokes robot", request.robot);
            return futures::stream::once(async move { Err(RobotFailure(reason)) }).boxed();
        };
        let name = customer_name(&request);
        let observations = observations(&request);
        let text = self.dad_joke(flavour, name, observations, request.text);
        match flavour.delivery {
            Delivery::Streaming => text
                .map(|piece| piece.map(RobotChunk::Text).map_err(failure))
                .boxed(),
            Delivery::BatchDelay => futures::stream::once(async move {
                let mut joined = String::new();
                let mut text = text;
                while let Some(piece) = text.next().await {
                    joined.push_str(&piece.map_err(failure)?);
                }
                Ok(RobotChunk::Final(RobotAnswer::new(
                    ContentType::Chat,
                    joined,
                    None,
                )))
            })
            .boxed(),
        }
    }

    fn dad_joke(
        &self,
        flavour: &Flavour,
        name: String,
        observations: Vec<String>,
        request: String,
    ) -> crate::llm::TextStream {
        match &self.source {
            JokeSource::Offline(settings) => {
                let joke = write_joke(settings.seed, flavour.name, &name, &observations, &request);
                let pace = match flavour.delivery {
                    Delivery::Streaming => settings.pace,
                    // A batch answer is delivered whole; typing it out would only add wait.
                    Delivery::BatchDelay => std::time::Duration::ZERO,
                };
                type_out(joke, pace)
            }
            JokeSource::Llm(llm) => {
                let prompt = joke_prompt(flavour, &name, &observations, &request);
                let llm = Arc::clone(llm);
                futures::stream::once(async move { llm.stream(&prompt).await })
                    .flat_map(|started| match started {
                        Ok(stream) => stream,
                        Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
                    })
                    .boxed()
            }
        }
    }
}

/// The request as the model sees it: the robot's angle, the customer, the
/// observations and the employee's words. Nothing of the room's conversation.
fn joke_prompt(flavour: &Flavour, name: &str, observations: &[String], request: &str) -> Prompt {
    let listed = if observations.is_empty() {
        "(none given: joke about web forms in general)".to_string()
    } else {
        observations
            .iter()
            .map(|o| format!("- {o}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Prompt {
        system: format!(
            "You write one short, kind dad joke for a customer of a web-forms product, to \
             lighten a support conversation. {} Address the customer by name and use at \
             least one of the observations. Answer with the joke only, at most three sentences.",
            flavour.angle
        ),
        user: format!(
            "Customer: {name}\nObservations about their form:\n{listed}\nSupport engineer's note: {request}"
        ),
        max_tokens: 200,
    }
}

fn customer_name(request: &RobotRequest) -> String {
    request
        .args
        .get("customerName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| request.issue.customer_name.clone())
        .unwrap_or_else(|| "friend".to_string())
}

/// The issue's latest diagnostics first; the `observations` argument otherwise (a list
/// of strings, or one string).
fn observations(request: &RobotRequest) -> Vec<String> {
    if let Some(latest) = request
        .issue
        .observations
        .as_ref()
        .filter(|o| !o.is_empty())
    {
        return latest.clone();
    }
    match request.args.get("observations") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn failure(e: crate::Error) -> RobotFailure {
    RobotFailure(e.to_string())
}
