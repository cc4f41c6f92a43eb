//! Logic checks and calculations that name fields the form does not have
//! (usually a field deleted after the rule was written).
//!
//! One maker type serves both families because the question is the same;
//! what differs is the consequence spelled out to the reader.

use serde_json::json;

use crate::error::MakerError;
use crate::graph::{Dangling, Family};
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::{FieldId, Form};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct References {
    family: Family,
}

impl References {
    pub fn logic() -> Self {
        Self {
            family: Family::Logic,
        }
    }

    pub fn calculation() -> Self {
        Self {
            family: Family::Calculation,
        }
    }
}

impl ObservationMaker for References {
    fn name(&self) -> &'static str {
        match self.family {
            Family::Logic => "logic-references",
            Family::Calculation => "calculation-references",
        }
    }

    fn class(&self) -> ObservationClass {
        match self.family {
            Family::Logic => ObservationClass::Logic,
            Family::Calculation => ObservationClass::Calculation,
        }
    }

    fn required_resources(&self) -> &'static [Resource] {
        &[Resource::FormModel, Resource::Analysis]
    }

    fn make_observation(&self, resources: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
        let form = resources.form()?;
        let analysis = resources.analysis()?;
        let dangling: Vec<&Dangling> = analysis
            .graph
            .dangling()
            .iter()
            .filter(|d| d.family == self.family)
            .collect();
        // One item per field, listing all of its missing targets.
        let mut owners: Vec<usize> = dangling.iter().map(|d| d.from).collect();
        owners.sort_unstable();
        owners.dedup();
        let mut items = Vec::new();
        for owner in owners {
            let Some(field) = form.fields.get(owner) else {
                continue;
            };
            let missing: Vec<&FieldId> = dangling
                .iter()
                .filter(|d| d.from == owner)
                .map(|d| &d.to)
                .collect();
            items.push(self.item(form, &field.id, &missing));
        }
        if items.is_empty() {
            items.push(self.all_clear(form, resources)?);
        }
        Ok(items)
    }
}

impl References {
    fn item(&self, form: &Form, owner: &FieldId, missing: &[&FieldId]) -> LogItem {
        let list = missing
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let (headline, text) = match self.family {
            Family::Logic => (
                "Logic names a missing field",
                format!(
                    "The visibility logic of {} checks field(s) {list}, which are not on this \
                     form. Those checks can never match, so the rule does not work as written.",
                    form.describe(owner)
                ),
            ),
            Family::Calculation => (
                "Calculation names a missing field",
                format!(
                    "The calculation of {} reads field(s) {list}, which are not on this form; \
                     they count as empty, so the result is wrong.",
                    form.describe(owner)
                ),
            ),
        };
        LogItem::about_field(owner, LogLevel::Warn, self.class(), self.name())
            .with_message(headline, text)
            .with_details(json!({ "missingFieldIds": missing }))
    }

    fn all_clear(&self, form: &Form, resources: &Resources<'_>) -> Result<LogItem, MakerError> {
        let analysis = resources.analysis()?;
        let (headline, text) = match self.family {
            Family::Logic => {
                let with_logic = form
                    .fields
                    .iter()
                    .filter(|f| f.logic.as_ref().is_some_and(|l| !l.checks.is_empty()))
                    .count();
                (
                    "Logic references resolve",
                    format!(
                        "Every check in the {with_logic} logic rules names a field on this form."
                    ),
                )
            }
            Family::Calculation => {
                let own = analysis
                    .calculations
                    .iter()
                    .filter(|(_, c)| c.origin == crate::calc::CalcOrigin::Own)
                    .count();
                (
                    "Calculation references resolve",
                    format!("Every field read by the {own} calculations is on this form."),
                )
            }
        };
        Ok(LogItem::about_form(
            form_subject(form),
            LogLevel::Info,
            self.class(),
            self.name(),
        )
        .with_message(headline, text)
        .with_details(json!({ "missingFieldIds": [] })))
    }
}
