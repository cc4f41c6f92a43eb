//! Serde structs for the raw v2 JSON and their conversion into the model.
//!
//! Every key goes through a `lenient` reader, so the only ways to fail are
//! input that is not JSON at all and JSON that is not a form (no `fields`
//! list). Each entry of `fields` is read on its own, so one broken entry is
//! skipped and reported instead of sinking the whole form.

use serde::Deserialize;
use serde_json::Value;
use serde_json::error::Category;

use super::{
    CalculationSource, Field, FieldId, FieldOption, FieldType, Form, FormSettings, Limits, Logic,
    SkipReason, SkippedEntry, TableLink, lenient,
};
use crate::error::FormError;

#[derive(Deserialize)]
struct WireForm {
    #[serde(default, deserialize_with = "lenient::text")]
    id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    name: String,
    #[serde(default, deserialize_with = "lenient::flag")]
    is_workflow_form: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    is_workflow_published: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    has_approvers: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    encrypted: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    should_display_one_question_at_a_time: bool,
    #[serde(default, deserialize_with = "lenient::optional_flag")]
    can_access_1q_feature: Option<bool>,
    #[serde(default, deserialize_with = "lenient::flag")]
    inactive: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    deleted: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    progress_meter: bool,
    /// Kept as raw values so each entry is read (and can fail) on its own.
    #[serde(default)]
    fields: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct WireField {
    #[serde(default, deserialize_with = "lenient::id")]
    id: Option<FieldId>,
    #[serde(default, rename = "type", deserialize_with = "lenient::text")]
    kind: String,
    #[serde(default, deserialize_with = "lenient::text")]
    label: String,
    #[serde(default, deserialize_with = "lenient::text")]
    section_heading: String,
    #[serde(default, deserialize_with = "lenient::number")]
    sort: Option<f64>,
    #[serde(default, deserialize_with = "lenient::flag")]
    hidden: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    required: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    readonly: bool,
    #[serde(default, deserialize_with = "lenient::options")]
    options: Vec<FieldOption>,
    #[serde(default, deserialize_with = "lenient::logic")]
    logic: Option<Logic>,
    #[serde(default, deserialize_with = "lenient::text")]
    calculation: String,
    #[serde(default, deserialize_with = "lenient::text")]
    field_one_calculation: String,
    #[serde(default, deserialize_with = "lenient::text")]
    field_two_calculation: String,
    #[serde(default, deserialize_with = "lenient::text")]
    calculation_operator: String,
    #[serde(default, deserialize_with = "lenient::text")]
    calculation_units: String,
    #[serde(default, deserialize_with = "lenient::id")]
    parent_table_id: Option<FieldId>,
    #[serde(default, deserialize_with = "lenient::id")]
    parent_tableheader_id: Option<FieldId>,
    #[serde(default, deserialize_with = "lenient::number")]
    min_value: Option<f64>,
    #[serde(default, deserialize_with = "lenient::number")]
    max_value: Option<f64>,
    #[serde(default, deserialize_with = "lenient::number")]
    minlength: Option<f64>,
    #[serde(default, deserialize_with = "lenient::number")]
    maxlength: Option<f64>,
}

const NOT_AN_OBJECT: &str = "the top level must be an object with a `fields` list";

pub(super) fn form_from_str(text: &str) -> Result<Form, FormError> {
    // Files saved by some Windows editors start with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Serde would happily read a struct from a JSON array by position; a
    // form is always an object, so anything else is turned away.
    let starts_as_object = text.trim_start().starts_with('{');
    let wire: WireForm = serde_json::from_str(text).map_err(classify)?;
    if !starts_as_object {
        return Err(not_an_object());
    }
    build(wire)
}

pub(super) fn form_from_value(value: Value) -> Result<Form, FormError> {
    if !value.is_object() {
        return Err(not_an_object());
    }
    let wire: WireForm = serde_json::from_value(value).map_err(classify)?;
    build(wire)
}

fn not_an_object() -> FormError {
    FormError::NotAForm {
        reason: NOT_AN_OBJECT,
        source: None,
    }
}

/// Broken JSON and JSON of the wrong shape deserve different answers: the
/// first is a damaged file, the second is probably not a form at all.
fn classify(error: serde_json::Error) -> FormError {
    match error.classify() {
        Category::Data => FormError::NotAForm {
            reason: NOT_AN_OBJECT,
            source: Some(error),
        },
        Category::Io | Category::Syntax | Category::Eof => FormError::InvalidJson(error),
    }
}

fn build(wire: WireForm) -> Result<Form, FormError> {
    let Some(entries) = wire.fields else {
        return Err(FormError::NotAForm {
            reason: "there is no `fields` list",
            source: None,
        });
    };
    let settings = FormSettings {
        workflow: wire.is_workflow_form,
        workflow_published: wire.is_workflow_published,
        approvers: wire.has_approvers,
        encrypted: wire.encrypted,
        one_question_at_a_time: wire.should_display_one_question_at_a_time,
        one_question_available: wire.can_access_1q_feature,
        inactive: wire.inactive,
        deleted: wire.deleted,
        progress_meter: wire.progress_meter,
    };
    let mut fields = Vec::with_capacity(entries.len());
    let mut skipped = Vec::new();
    for (position, entry) in entries.into_iter().enumerate() {
        if !entry.is_object() {
            skipped.push(SkippedEntry {
                position,
                reason: SkipReason::NotAnObject,
            });
            continue;
        }
        // With every key lenient, an object can only fail to read in ways
        // serde itself dislikes; treat that like a missing id.
        match serde_json::from_value::<WireField>(entry)
            .ok()
            .and_then(field_from_wire)
        {
            Some(field) => fields.push(field),
            None => skipped.push(SkippedEntry {
                position,
                reason: SkipReason::NoId,
            }),
        }
    }
    let mut form = Form::new(wire.id, wire.name, settings, fields);
    form.skipped_entries = skipped;
    Ok(form)
}

fn field_from_wire(wire: WireField) -> Option<Field> {
    let calculation = calculation_source(&wire);
    let id = wire.id?;
    let kind = FieldType::parse(&wire.kind);
    let table =
        (wire.parent_table_id.is_some() || wire.parent_tableheader_id.is_some()).then(|| {
            TableLink {
                table: wire.parent_table_id.clone(),
                column: wire.parent_tableheader_id.clone(),
            }
        });
    Some(Field {
        id,
        kind,
        label: wire.label,
        section_heading: wire.section_heading,
        sort: wire.sort,
        hidden: wire.hidden,
        required: wire.required,
        readonly: wire.readonly,
        options: wire.options,
        logic: wire.logic,
        calculation,
        table,
        limits: Limits {
            min_value: wire.min_value,
            max_value: wire.max_value,
            min_length: wire.minlength,
            max_length: wire.maxlength,
        },
    })
}

/// A numeric expression wins when present; otherwise a date calculation is
/// configured when any of its four keys carries something. `0` and `""` are
/// how the API says "no operand".
fn calculation_source(wire: &WireField) -> Option<CalculationSource> {
    if !wire.calculation.trim().is_empty() {
        return Some(CalculationSource::Expression(wire.calculation.clone()));
    }
    let operand = |raw: &str| {
        let trimmed = raw.trim();
        (!trimmed.is_empty() && trimmed != "0").then(|| trimmed.to_owned())
    };
    let first = operand(&wire.field_one_calculation);
    let second = operand(&wire.field_two_calculation);
    let operator = wire.calculation_operator.trim().to_owned();
    if first.is_none() && second.is_none() && operator.is_empty() {
        return None;
    }
    Some(CalculationSource::Date {
        first,
        second,
        operator,
        units: wire.calculation_units.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn non_json_and_non_forms_are_told_apart() {
        assert!(matches!(form_from_str("{"), Err(FormError::InvalidJson(_))));
        assert!(matches!(
            form_from_str("[1,2]"),
            Err(FormError::NotAForm { .. })
        ));
        assert!(matches!(
            form_from_str("{\"id\": 1}"),
            Err(FormError::NotAForm { .. })
        ));
    }

    #[test]
    fn broken_entries_are_skipped_not_fatal() {
        let form = form_from_value(json!({
            "id": 7, "name": "x",
            "fields": [1, {"label": "no id"}, {"id": 3, "type": "text", "sort": "1"}]
        }))
        .expect("a form");
        assert_eq!(form.id, "7");
        assert_eq!(form.fields.len(), 1);
        assert_eq!(form.skipped_entries.len(), 2);
    }

    #[test]
    fn fields_come_out_in_sort_order() {
        let form = form_from_value(json!({"fields": [
            {"id": "b", "sort": "2"}, {"id": "a", "sort": 1}, {"id": "c", "sort": "10"}
        ]}))
        .expect("a form");
        let ids: Vec<_> = form.fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[test]
    fn date_calculations_are_read_from_their_four_keys() {
        let form = form_from_value(json!({"fields": [{
            "id": 1, "type": "number", "calculation": "",
            "field_one_calculation": "current_date", "field_two_calculation": 0,
            "calculation_operator": "plus", "calculation_units": "days"
        }, {"id": 2, "field_one_calculation": 0, "field_two_calculation": 0,
            "calculation_operator": "", "calculation_units": ""}]}))
        .expect("a form");
        assert_eq!(
            form.fields[0].calculation,
            Some(CalculationSource::Date {
                first: Some("current_date".into()),
                second: None,
                operator: "plus".into(),
                units: "days".into(),
            })
        );
        assert_eq!(form.fields[1].calculation, None);
    }
}
