//! Label problems: two fields a person cannot tell apart, fields with no
//! label, and labels with stray leading or trailing whitespace.
//!
//! The label compared is the one a respondent sees: the field's label, or a
//! section's heading. Duplicates are matched after trimming, because
//! "Total" and "Total " look the same on screen and in exports.

use serde_json::json;

use super::describe_all;
use crate::error::MakerError;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::{FieldId, Form};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct Labels;

const NAME: &str = "labels";
const CLASS: ObservationClass = ObservationClass::Label;

impl ObservationMaker for Labels {
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
        let mut items = duplicates(form);
        items.extend(empty_labels(form));
        items.extend(padded_labels(form));
        if items.is_empty() {
            items.push(
                LogItem::about_form(form_subject(form), LogLevel::Info, CLASS, NAME)
                    .with_message(
                        "Labels look fine",
                        format!(
                            "Checked the labels of {} fields: no duplicates, no blank labels, no \
                             stray whitespace.",
                            form.fields.len()
                        ),
                    )
                    .with_details(json!({ "fieldsChecked": form.fields.len() })),
            );
        }
        Ok(items)
    }
}

/// Groups of fields sharing a (trimmed, non-empty) label, in form order.
pub(crate) fn duplicate_groups(form: &Form) -> Vec<(String, Vec<FieldId>)> {
    let mut groups: Vec<(String, Vec<FieldId>)> = Vec::new();
    let mut by_label: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for field in &form.fields {
        let label = field.display_label().trim();
        if label.is_empty() {
            continue;
        }
        match by_label.get(label) {
            Some(&group) => {
                if let Some((_, ids)) = groups.get_mut(group) {
                    ids.push(field.id.clone());
                }
            }
            None => {
                by_label.insert(label, groups.len());
                groups.push((label.to_owned(), vec![field.id.clone()]));
            }
        }
    }
    groups.retain(|(_, ids)| ids.len() > 1);
    groups
}

fn duplicates(form: &Form) -> Vec<LogItem> {
    duplicate_groups(form)
        .into_iter()
        .filter_map(|(label, ids)| {
            let first = ids.first()?;
            Some(
                LogItem::about_field(first, LogLevel::Warn, CLASS, NAME)
                    .with_message(
                        "Duplicate label",
                        format!(
                            "{} fields are labelled \"{label}\" ({}). Respondents, notification \
                             emails and exports cannot tell them apart.",
                            ids.len(),
                            ids.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_related(&ids)
                    .with_details(json!({ "label": label, "fieldIds": ids })),
            )
        })
        .collect()
}

fn empty_labels(form: &Form) -> Vec<LogItem> {
    form.fields
        .iter()
        .filter(|f| f.kind.has_own_label() && f.display_label().trim().is_empty())
        .map(|field| {
            LogItem::about_field(&field.id, LogLevel::Warn, CLASS, NAME)
                .with_message(
                    "Field has no label",
                    format!(
                        "The {} field {} has a blank label, so it shows up unnamed to \
                         respondents, in notifications and in exported data.",
                        field.kind.as_str(),
                        field.id
                    ),
                )
                .with_details(json!({ "fieldType": field.kind.as_str() }))
        })
        .collect()
}

fn padded_labels(form: &Form) -> Vec<LogItem> {
    form.fields
        .iter()
        .filter(|f| {
            let label = f.display_label();
            !label.trim().is_empty() && label.trim() != label
        })
        .map(|field| {
            let label = field.display_label();
            let side = match (
                label.starts_with(char::is_whitespace),
                label.ends_with(char::is_whitespace),
            ) {
                (true, true) => "starts and ends",
                (true, false) => "starts",
                _ => "ends",
            };
            LogItem::about_field(&field.id, LogLevel::Warn, CLASS, NAME)
                .with_message(
                    "Label has stray whitespace",
                    format!(
                        "The label of {} {side} with whitespace (\"{label}\"). It is invisible \
                         in the builder but breaks exact matches in exports and integrations.",
                        describe_all(form, std::slice::from_ref(&field.id))
                    ),
                )
                .with_details(json!({ "label": label, "trimmed": label.trim() }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_differing_only_in_padding_are_duplicates() {
        let form = Form::from_json_value(json!({"fields": [
            {"id": 1, "type": "text", "label": "Total"},
            {"id": 2, "type": "text", "label": "Total "},
            {"id": 3, "type": "section", "section_heading": "Total"},
            {"id": 4, "type": "section", "section_heading": ""},
            {"id": 5, "type": "section", "section_heading": ""}
        ]}))
        .expect("a form");
        let groups = duplicate_groups(&form);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].1.len(), 3);
    }

    #[test]
    fn blank_labels_are_reported_only_where_a_person_types_one() {
        let form = Form::from_json_value(json!({"fields": [
            {"id": 1, "type": "text", "label": ""},
            {"id": 2, "type": "richtext", "label": ""},
            {"id": 3, "type": "section", "label": ""}
        ]}))
        .expect("a form");
        let items = Labels
            .make_observation(&Resources::form_only(&form))
            .expect("runs");
        let blank: Vec<_> = items
            .iter()
            .filter(|i| i.message == "Field has no label")
            .map(|i| i.subject_id.as_str())
            .collect();
        assert_eq!(blank, ["1"]);
    }
}
