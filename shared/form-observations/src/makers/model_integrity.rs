//! Problems in the form definition itself, found while reading it: entries
//! that are not fields, ids used twice, logic words Formstack does not
//! define, table cells pointing at columns that are gone. Silent when all is
//! well, since there is nothing a support engineer needs to hear then.

use serde_json::json;

use crate::error::MakerError;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::{Condition, Conditional, FieldType, Form, LogicAction, SkipReason};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct ModelIntegrity;

const NAME: &str = "model-integrity";
const CLASS: ObservationClass = ObservationClass::Configuration;

impl ObservationMaker for ModelIntegrity {
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
        let mut items = skipped_entries(form);
        items.extend(duplicate_ids(form));
        items.extend(unknown_logic_words(form));
        items.extend(orphan_cells(form));
        items.extend(unknown_types(form));
        Ok(items)
    }
}

fn skipped_entries(form: &Form) -> Vec<LogItem> {
    form.skipped_entries
        .iter()
        .map(|entry| {
            let why = match entry.reason {
                SkipReason::NotAnObject => "is not an object",
                SkipReason::NoId => "has no usable id",
            };
            LogItem::about_form(form_subject(form), LogLevel::Warn, CLASS, NAME)
                .with_message(
                    "Unreadable field entry",
                    format!(
                        "Entry {} of the form's field list {why}, so it was left out of every \
                         other check.",
                        entry.position + 1
                    ),
                )
                .with_details(json!({ "position": entry.position, "reason": entry.reason }))
        })
        .collect()
}

fn duplicate_ids(form: &Form) -> Vec<LogItem> {
    form.duplicate_ids
        .iter()
        .map(|id| {
            let count = form.fields.iter().filter(|f| &f.id == id).count();
            LogItem::about_field(id, LogLevel::Error, CLASS, NAME)
                .with_message(
                    "Field id used more than once",
                    format!(
                        "{count} fields carry the id {id}. Logic and calculations that name it \
                         can only reach one of them; the first in sort order was used here."
                    ),
                )
                .with_details(json!({ "fieldId": id, "count": count }))
        })
        .collect()
}

fn unknown_logic_words(form: &Form) -> Vec<LogItem> {
    let mut items = Vec::new();
    for field in &form.fields {
        let Some(logic) = &field.logic else {
            continue;
        };
        let mut words = Vec::new();
        if let LogicAction::Other(action) = &logic.action {
            words.push(format!("action \"{action}\""));
        }
        if let Conditional::Other(conditional) = &logic.conditional {
            words.push(format!("match mode \"{conditional}\""));
        }
        for check in &logic.checks {
            if let Condition::Other(condition) = &check.condition {
                let word = format!("condition \"{condition}\"");
                if !words.contains(&word) {
                    words.push(word);
                }
            }
        }
        let unnamed = logic.checks.iter().filter(|c| c.field.is_none()).count();
        if unnamed > 0 {
            words.push(format!("{unnamed} check(s) naming no field"));
        }
        if words.is_empty() {
            continue;
        }
        items.push(
            LogItem::about_field(&field.id, LogLevel::Warn, ObservationClass::Logic, NAME)
                .with_message(
                    "Logic the checks cannot interpret",
                    format!(
                        "The logic of {} uses {}; those parts were ignored when checking it.",
                        form.describe(&field.id),
                        words.join(", ")
                    ),
                )
                .with_details(json!({ "unrecognised": words })),
        );
    }
    items
}

fn orphan_cells(form: &Form) -> Vec<LogItem> {
    form.fields
        .iter()
        .filter(|field| field.kind == FieldType::TableCell)
        .filter_map(|field| {
            let column = field.table.as_ref()?.column.as_ref()?;
            if form.field(column).is_some() {
                return None;
            }
            Some(
                LogItem::about_field(&field.id, LogLevel::Warn, CLASS, NAME)
                    .with_message(
                        "Table cell without its column",
                        format!(
                            "{} belongs to column {column}, which is not on the form; it \
                             cannot take that column's settings or calculation.",
                            form.describe(&field.id)
                        ),
                    )
                    .with_details(json!({ "columnId": column })),
            )
        })
        .collect()
}

fn unknown_types(form: &Form) -> Vec<LogItem> {
    let mut seen: Vec<&str> = Vec::new();
    for field in &form.fields {
        if matches!(field.kind, FieldType::Other(_)) && !seen.contains(&field.kind.as_str()) {
            seen.push(field.kind.as_str());
        }
    }
    if seen.is_empty() {
        return Vec::new();
    }
    vec![
        LogItem::about_form(form_subject(form), LogLevel::Info, CLASS, NAME)
            .with_message(
                "Unrecognised field types",
                format!(
                    "The form uses field types these checks do not know ({}); such fields are \
                     treated as ordinary value fields.",
                    seen.join(", ")
                ),
            )
            .with_details(json!({ "types": seen })),
    ]
}
