//! The installation's robots, behind chat-core's `Robots` port.
//!
//! - `iStackBuddy.forms.diagnostics`: the real robot. It is listed (employees can invite
//!   it) but its answer arrives with the forms-robot work; until then it fails with a
//!   reason that says so instead of pretending.
//! - The four jokes robots ([`crate::jokes`]), development only: on by default, turned
//!   off with `RobotsConfig::jokes = false` for production.

use chat_core::model::{ContentType, Delivery, RobotArg, RobotFailure, RobotInfo, RobotRequest};
use chat_core::ports::{RobotStream, Robots};
use futures::StreamExt;

use crate::jokes::{JokeSource, JokesEngine};

pub const FORMS_DIAGNOSTICS: &str = "iStackBuddy.forms.diagnostics";

/// What the registry is built from.
#[derive(Debug, Clone)]
pub struct RobotsConfig {
    pub jokes: bool,
    pub joke_source: JokeSource,
}

/// Every robot of this installation.
pub struct Registry {
    catalog: Vec<RobotInfo>,
    jokes: Option<JokesEngine>,
}

impl Registry {
    pub fn new(config: RobotsConfig) -> Self {
        let mut catalog = vec![RobotInfo {
            name: FORMS_DIAGNOSTICS.to_string(),
            description: "Formstack form diagnostics: logic, calculations and configuration problems of a form".into(),
            delivery: Delivery::BatchDelay,
            content_type: ContentType::Chat,
            args: vec![RobotArg {
                name: "formId".into(),
                description: "the form to analyse (default: the issue's form)".into(),
                required: false,
            }],
        }];
        let jokes = config.jokes.then(|| {
            catalog.extend(JokesEngine::catalog());
            JokesEngine::new(config.joke_source)
        });
        Registry { catalog, jokes }
    }
}

impl Robots for Registry {
    fn catalog(&self) -> &[RobotInfo] {
        &self.catalog
    }

    fn answer(&self, request: RobotRequest) -> RobotStream {
        match &self.jokes {
            Some(engine) if JokesEngine::handles(&request.robot) => engine.answer(request),
            _ => {
                let reason = if request.robot == FORMS_DIAGNOSTICS {
                    "form diagnostics in the chat are not available in this version; use the form-diagnose tool".to_string()
                } else {
                    format!("{} is not a robot of this installation", request.robot)
                };
                futures::stream::once(async move { Err(RobotFailure(reason)) }).boxed()
            }
        }
    }
}
