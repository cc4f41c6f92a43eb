//! The observation maker contract, the resources makers draw on, and the
//! composite that runs many makers as one.

use std::fmt;

use serde::Serialize;
use serde_json::json;

use crate::analysis::Analysis;
use crate::error::MakerError;
use crate::model::Form;
use crate::observation::{LogItem, LogLevel, ObservationClass};

/// Something a maker needs before it can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
    /// The parsed form.
    FormModel,
    /// The shared analysis (calculations, dependency graph, cycles).
    Analysis,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FormModel => "formModel",
            Self::Analysis => "analysis",
        })
    }
}

/// What the makers of one run can draw on. Built once per form; each maker
/// asks for what it declared in `required_resources`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resources<'a> {
    form: Option<&'a Form>,
    analysis: Option<&'a Analysis>,
}

impl<'a> Resources<'a> {
    /// Everything a standard run needs.
    pub fn new(form: &'a Form, analysis: &'a Analysis) -> Self {
        Self {
            form: Some(form),
            analysis: Some(analysis),
        }
    }

    /// A form without the shared analysis; makers that need it will report
    /// that instead of running. Mostly useful for tests of that path.
    pub fn form_only(form: &'a Form) -> Self {
        Self {
            form: Some(form),
            analysis: None,
        }
    }

    pub fn has(&self, resource: Resource) -> bool {
        match resource {
            Resource::FormModel => self.form.is_some(),
            Resource::Analysis => self.analysis.is_some(),
        }
    }

    pub fn form(&self) -> Result<&'a Form, MakerError> {
        self.form
            .ok_or(MakerError::MissingResource(Resource::FormModel))
    }

    pub fn analysis(&self) -> Result<&'a Analysis, MakerError> {
        self.analysis
            .ok_or(MakerError::MissingResource(Resource::Analysis))
    }
}

/// Produces observations about a form.
///
/// Contract: a maker reads only the resources it lists in
/// `required_resources`, never panics on any form, and returns its
/// observations in a stable order. It returns `Err` only when it cannot
/// judge the form at all; a problem *in* the form is an observation, not an
/// error.
pub trait ObservationMaker: Send + Sync {
    /// Stable name, reported as `observationMaker`.
    fn name(&self) -> &'static str;

    /// The class of its observations (also used when it fails).
    fn class(&self) -> ObservationClass;

    /// Resources that must be present for `make_observation` to run.
    fn required_resources(&self) -> &'static [Resource];

    fn make_observation(&self, resources: &Resources<'_>) -> Result<Vec<LogItem>, MakerError>;
}

/// Runs child makers in order and concatenates what they find.
///
/// A child that fails (or lacks a resource) becomes one ERROR item naming
/// it, and the run goes on: one broken check must not hide the findings of
/// all the others.
pub struct CompositeMaker {
    children: Vec<Box<dyn ObservationMaker>>,
}

impl CompositeMaker {
    pub fn new(children: Vec<Box<dyn ObservationMaker>>) -> Self {
        Self { children }
    }

    /// Names of the children, in run order.
    pub fn child_names(&self) -> Vec<&'static str> {
        self.children.iter().map(|c| c.name()).collect()
    }

    /// Runs every child; never fails.
    pub fn run(&self, resources: &Resources<'_>) -> Vec<LogItem> {
        let subject = resources
            .form()
            .map(crate::observation::form_subject)
            .unwrap_or("form")
            .to_owned();
        let mut items = Vec::new();
        for child in &self.children {
            let missing = child
                .required_resources()
                .iter()
                .find(|r| !resources.has(**r));
            let outcome = match missing {
                Some(resource) => Err(MakerError::MissingResource(*resource)),
                None => child.make_observation(resources),
            };
            match outcome {
                Ok(found) => items.extend(found),
                Err(error) => items.push(failure_item(&subject, child.as_ref(), &error)),
            }
        }
        items
    }
}

fn failure_item(subject: &str, maker: &dyn ObservationMaker, error: &MakerError) -> LogItem {
    LogItem::about_form(subject, LogLevel::Error, maker.class(), maker.name())
        .with_message(
            "Check could not run",
            format!(
                "The {} check stopped without a result ({error}); its findings are missing \
                 from this report, the other checks still ran.",
                maker.name()
            ),
        )
        .with_details(json!({ "failedMaker": maker.name(), "error": error.to_string() }))
}

impl ObservationMaker for CompositeMaker {
    fn name(&self) -> &'static str {
        "composite"
    }

    fn class(&self) -> ObservationClass {
        ObservationClass::Analysis
    }

    /// The composite itself needs nothing; each child is checked in `run`.
    fn required_resources(&self) -> &'static [Resource] {
        &[]
    }

    fn make_observation(&self, resources: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
        Ok(self.run(resources))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;

    impl ObservationMaker for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }
        fn class(&self) -> ObservationClass {
            ObservationClass::Logic
        }
        fn required_resources(&self) -> &'static [Resource] {
            &[Resource::FormModel]
        }
        fn make_observation(&self, _: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
            Err(MakerError::Failed("boom".into()))
        }
    }

    struct NeedsAnalysis;

    impl ObservationMaker for NeedsAnalysis {
        fn name(&self) -> &'static str {
            "needs-analysis"
        }
        fn class(&self) -> ObservationClass {
            ObservationClass::Calculation
        }
        fn required_resources(&self) -> &'static [Resource] {
            &[Resource::Analysis]
        }
        fn make_observation(&self, _: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn a_failing_child_becomes_an_error_item_and_the_run_goes_on() {
        let form = Form::default();
        let composite = CompositeMaker::new(vec![Box::new(Broken), Box::new(NeedsAnalysis)]);
        let items = composite.run(&Resources::form_only(&form));
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| i.log_level == LogLevel::Error));
        assert_eq!(items[0].observation_maker, "broken");
        assert!(items[0].message_secondary.contains("boom"));
        assert_eq!(items[1].observation_class, ObservationClass::Calculation);
        assert!(items[1].message_secondary.contains("analysis"));
    }
}
