//! The installation's robots, behind chat-core's `Robots` port.
//!
//! - `iStackBuddy.forms.diagnostics` ([`FormsRobot`]): diagnoses a Formstack form, from
//!   an uploaded export or fetched by id through the Formstack API
//!   ([`RobotsConfig::formstack`]; without a token only uploaded exports work).
//! - The four jokes robots ([`crate::jokes`]), development only: on by default, turned
//!   off with `RobotsConfig::jokes = false` for production.

use chat_core::model::{RobotFailure, RobotInfo, RobotRequest};
use chat_core::ports::{RobotStream, Robots};
use futures::StreamExt;

use crate::forms::{FormsRobot, FormstackConfig};
use crate::jokes::offline::OfflineSettings;
use crate::jokes::{JokeSource, JokesEngine};

pub const FORMS_DIAGNOSTICS: &str = chat_core::model::FORMS_DIAGNOSTICS_ROBOT;

/// What the registry is built from.
#[derive(Debug, Clone)]
pub struct RobotsConfig {
    pub jokes: bool,
    pub joke_source: JokeSource,
    /// How the forms robot reaches Formstack. The default has no token: forms can then
    /// only be diagnosed from an uploaded export.
    pub formstack: FormstackConfig,
}

impl Default for RobotsConfig {
    /// Jokes on and offline, Formstack not configured: a development installation.
    fn default() -> Self {
        RobotsConfig {
            jokes: true,
            joke_source: JokeSource::Offline(OfflineSettings::default()),
            formstack: FormstackConfig::default(),
        }
    }
}

/// Every robot of this installation.
pub struct Registry {
    catalog: Vec<RobotInfo>,
    forms: FormsRobot,
    jokes: Option<JokesEngine>,
}

impl Registry {
    /// Makes no request: a named Formstack token is read on the first form asked by id.
    pub fn new(config: RobotsConfig) -> Self {
        let mut catalog = vec![FormsRobot::info()];
        let jokes = config.jokes.then(|| {
            catalog.extend(JokesEngine::catalog());
            JokesEngine::new(config.joke_source)
        });
        Registry {
            catalog,
            forms: FormsRobot::new(config.formstack),
            jokes,
        }
    }
}

impl Robots for Registry {
    fn catalog(&self) -> &[RobotInfo] {
        &self.catalog
    }

    fn answer(&self, request: RobotRequest) -> RobotStream {
        if request.robot == FORMS_DIAGNOSTICS {
            return self.forms.answer(request);
        }
        match &self.jokes {
            Some(engine) if JokesEngine::handles(&request.robot) => engine.answer(request),
            _ => {
                let reason = format!("{} is not a robot of this installation", request.robot);
                futures::stream::once(async move { Err(RobotFailure(reason)) }).boxed()
            }
        }
    }
}
