//! An inventory of the form: how many fields of each type, how many carry
//! logic or a calculation. Context for whoever reads the rest of the report.

use std::collections::BTreeMap;

use serde_json::json;

use crate::error::MakerError;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct FieldCounts;

const NAME: &str = "field-counts";

impl ObservationMaker for FieldCounts {
    fn name(&self) -> &'static str {
        NAME
    }

    fn class(&self) -> ObservationClass {
        ObservationClass::Analysis
    }

    fn required_resources(&self) -> &'static [Resource] {
        &[Resource::FormModel, Resource::Analysis]
    }

    fn make_observation(&self, resources: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
        let form = resources.form()?;
        let analysis = resources.analysis()?;
        let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
        for field in &form.fields {
            *by_type.entry(field.kind.as_str()).or_default() += 1;
        }
        let with_logic = form
            .fields
            .iter()
            .filter(|f| f.logic.as_ref().is_some_and(|l| !l.checks.is_empty()))
            .count();
        let calculated = analysis.calculations.iter().count();
        // Most common types first, so the summary line leads with what matters.
        let mut ranked: Vec<(&str, usize)> = by_type.iter().map(|(k, v)| (*k, *v)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let listing: Vec<String> = ranked.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let total = form.fields.len();
        Ok(vec![
            LogItem::about_form(form_subject(form), LogLevel::Info, self.class(), NAME)
                .with_message(
                    "Field inventory",
                    format!(
                        "{total} fields ({}); {with_logic} have their own visibility logic and \
                         {calculated} are calculated.",
                        if listing.is_empty() {
                            "none".to_owned()
                        } else {
                            listing.join(", ")
                        }
                    ),
                )
                .with_details(json!({
                    "totalFields": total,
                    "byType": by_type,
                    "withLogic": with_logic,
                    "calculated": calculated,
                })),
        ])
    }
}
