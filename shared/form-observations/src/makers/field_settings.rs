//! Field settings that contradict themselves: a minimum above the maximum,
//! a choice field with no choices, the same choice offered twice.

use serde_json::json;

use crate::error::MakerError;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::{Field, Form};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct FieldSettings;

const NAME: &str = "field-settings";
const CLASS: ObservationClass = ObservationClass::Validation;

impl ObservationMaker for FieldSettings {
    fn name(&self) -> &'static str {
        NAME
    }

    fn class(&self) -> ObservationClass {
        CLASS
    }

    fn required_resources(&self) -> &'static [Resource] {
        &[Resource::FormModel]
    }

    fn make_observation(&self, resources: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
        let form = resources.form()?;
        let mut items: Vec<LogItem> = form.fields.iter().flat_map(|f| judge(form, f)).collect();
        if items.is_empty() {
            items.push(
                LogItem::about_form(form_subject(form), LogLevel::Info, CLASS, NAME)
                    .with_message(
                        "Field settings are consistent",
                        "No field has a minimum above its maximum, and every choice field offers \
                         distinct choices."
                            .to_owned(),
                    )
                    .with_details(json!({ "fieldsChecked": form.fields.len() })),
            );
        }
        Ok(items)
    }
}

fn judge(form: &Form, field: &Field) -> Vec<LogItem> {
    let mut items = Vec::new();
    let described = form.describe(&field.id);
    let limits = &field.limits;
    if let (Some(min), Some(max)) = (limits.min_value, limits.max_value)
        && min > max
    {
        items.push(
            LogItem::about_field(&field.id, LogLevel::Error, CLASS, NAME)
                .with_message(
                    "Impossible number range",
                    format!("{described} requires a value of at least {min} and at most {max}: no number can be submitted."),
                )
                .with_details(json!({ "minValue": min, "maxValue": max })),
        );
    }
    // A maximum length of 0 means "no limit" in Formstack.
    if let (Some(min), Some(max)) = (limits.min_length, limits.max_length)
        && max > 0.0
        && min > max
    {
        items.push(
            LogItem::about_field(&field.id, LogLevel::Error, CLASS, NAME)
                .with_message(
                    "Impossible length range",
                    format!(
                        "{described} requires at least {min} characters but allows at most {max}."
                    ),
                )
                .with_details(json!({ "minLength": min, "maxLength": max })),
        );
    }
    if field.kind.has_options() {
        if field.options.is_empty() {
            items.push(
                LogItem::about_field(&field.id, LogLevel::Warn, CLASS, NAME)
                    .with_message(
                        "Choice field without choices",
                        format!(
                            "{described} is a {} field with no options to pick.",
                            field.kind.as_str()
                        ),
                    )
                    .with_details(json!({ "fieldType": field.kind.as_str() })),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        let mut repeated: Vec<&str> = Vec::new();
        for option in &field.options {
            if seen.contains(&option.value.as_str()) {
                if !repeated.contains(&option.value.as_str()) {
                    repeated.push(&option.value);
                }
            } else {
                seen.push(&option.value);
            }
        }
        if !repeated.is_empty() {
            items.push(
                LogItem::about_field(&field.id, LogLevel::Warn, CLASS, NAME)
                    .with_message(
                        "Choice offered twice",
                        format!(
                            "{described} offers the same value more than once ({}); logic and \
                             reports cannot tell those choices apart.",
                            repeated
                                .iter()
                                .map(|v| format!("\"{v}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_details(json!({ "repeatedValues": repeated })),
            );
        }
    }
    items
}
