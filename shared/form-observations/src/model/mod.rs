//! The form as the diagnostics see it: a lenient reading of Formstack's v2
//! `GET /form/{id}.json` answer.
//!
//! - `field_type`: the field type enum (known types plus `Other`).
//! - `lenient`: value readers that never fail on odd shapes.
//! - `wire`: the serde structs for the raw JSON and their conversion.

mod field_type;
pub(crate) mod lenient;
mod wire;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

pub use field_type::FieldType;

use crate::error::FormError;

/// A field id. Formstack sends ids as strings or numbers, even within one
/// check list, so both are read into the same canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct FieldId(String);

impl FieldId {
    /// An id from text; blank text is no id.
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| Self(trimmed.to_owned()))
    }

    /// An id from a JSON string or number; other shapes are no id.
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Self::parse(s),
            Value::Number(n) => Self::parse(&lenient::number_text(n)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed form. Fields are kept in `sort` order, the order a respondent
/// meets them in, which is also the order section logic follows.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub id: String,
    pub name: String,
    pub settings: FormSettings,
    pub fields: Vec<Field>,
    /// Entries of the `fields` list that could not be read as a field.
    pub skipped_entries: Vec<SkippedEntry>,
    /// Ids used by more than one field; lookups resolve to the first one.
    pub duplicate_ids: Vec<FieldId>,
    index: HashMap<FieldId, usize>,
}

/// Form-level switches, read from the keys the v2 API really sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormSettings {
    /// `is_workflow_form`
    pub workflow: bool,
    /// `is_workflow_published`
    pub workflow_published: bool,
    /// `has_approvers`
    pub approvers: bool,
    /// `encrypted`
    pub encrypted: bool,
    /// `should_display_one_question_at_a_time`
    pub one_question_at_a_time: bool,
    /// `can_access_1q_feature`, when the account says either way.
    pub one_question_available: Option<bool>,
    /// `inactive`
    pub inactive: bool,
    /// `deleted`
    pub deleted: bool,
    /// `progress_meter`
    pub progress_meter: bool,
}

/// Why an entry of `fields` was left out of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SkipReason {
    NotAnObject,
    NoId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedEntry {
    /// Position in the JSON `fields` array.
    pub position: usize,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: FieldId,
    pub kind: FieldType,
    /// The label exactly as stored, whitespace included.
    pub label: String,
    /// Sections carry their visible title here instead of in `label`.
    pub section_heading: String,
    pub sort: Option<f64>,
    pub hidden: bool,
    pub required: bool,
    pub readonly: bool,
    pub options: Vec<FieldOption>,
    pub logic: Option<Logic>,
    pub calculation: Option<CalculationSource>,
    pub table: Option<TableLink>,
    pub limits: Limits,
}

impl Field {
    /// The text a respondent sees: the label, or a section's heading.
    pub fn display_label(&self) -> &str {
        if self.label.trim().is_empty() {
            &self.section_heading
        } else {
            &self.label
        }
    }

    /// Whether `value` is one of the stored option values (or, leniently,
    /// an option label, since some exports compare against labels).
    pub fn has_option(&self, value: &str) -> bool {
        self.options
            .iter()
            .any(|option| option.value == value || option.label == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOption {
    pub label: String,
    pub value: String,
}

/// Number and length bounds a field declares; blank means no bound.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub min_length: Option<f64>,
    pub max_length: Option<f64>,
}

/// A field's (or section's) visibility rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Logic {
    pub action: LogicAction,
    pub conditional: Conditional,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogicAction {
    Show,
    Hide,
    Other(String),
}

impl LogicAction {
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            // Formstack omits the action on some older forms; show is its default.
            "show" | "" => Self::Show,
            "hide" => Self::Hide,
            _ => Self::Other(raw.trim().to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conditional {
    All,
    Any,
    Other(String),
}

impl Conditional {
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "all" | "and" | "$and" | "" => Self::All,
            "any" | "or" | "$or" => Self::Any,
            _ => Self::Other(raw.trim().to_owned()),
        }
    }
}

/// One comparison in a logic rule: `field condition option`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// `None` when the check names no usable field id.
    pub field: Option<FieldId>,
    pub condition: Condition,
    pub option: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Equals,
    NotEquals,
    GreaterThan,
    LessThan,
    Other(String),
}

impl Condition {
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "equals" | "==" | "=" => Self::Equals,
            "notequals" | "!=" | "<>" => Self::NotEquals,
            "greaterthan" | ">" => Self::GreaterThan,
            "lessthan" | "<" => Self::LessThan,
            _ => Self::Other(raw.trim().to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Equals => "equals",
            Self::NotEquals => "notequals",
            Self::GreaterThan => "greaterthan",
            Self::LessThan => "lessthan",
            Self::Other(raw) => raw,
        }
    }
}

/// Where a field's calculation comes from, still unparsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalculationSource {
    /// A numeric expression in `calculation`, e.g. `[123] * 2`.
    Expression(String),
    /// A date calculation, spread over `field_one_calculation`,
    /// `field_two_calculation`, `calculation_operator` and
    /// `calculation_units`. Operands are field ids or `current_date`.
    Date {
        first: Option<String>,
        second: Option<String>,
        operator: String,
        units: String,
    },
}

/// A table cell's (or column header's) place in its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLink {
    /// `parent_table_id`
    pub table: Option<FieldId>,
    /// `parent_tableheader_id`: the column whose calculation a cell takes.
    pub column: Option<FieldId>,
}

impl Form {
    /// Reads a form from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self, FormError> {
        wire::form_from_str(text)
    }

    /// Reads a form from an already parsed JSON value.
    pub fn from_json_value(value: Value) -> Result<Self, FormError> {
        wire::form_from_value(value)
    }

    /// Builds a form from parts, sorting fields and indexing ids; used by the
    /// JSON reader and by tests that assemble forms by hand.
    pub fn new(id: String, name: String, settings: FormSettings, mut fields: Vec<Field>) -> Self {
        // Stable sort: fields without `sort` keep their place among equals.
        fields.sort_by(|a, b| {
            let key = |f: &Field| f.sort.unwrap_or(f64::MAX);
            key(a).total_cmp(&key(b))
        });
        let mut index = HashMap::with_capacity(fields.len());
        let mut duplicate_ids = Vec::new();
        for (position, field) in fields.iter().enumerate() {
            if index.contains_key(&field.id) {
                if !duplicate_ids.contains(&field.id) {
                    duplicate_ids.push(field.id.clone());
                }
            } else {
                index.insert(field.id.clone(), position);
            }
        }
        Self {
            id,
            name,
            settings,
            fields,
            skipped_entries: Vec::new(),
            duplicate_ids,
            index,
        }
    }

    /// Position (in sort order) of the field with this id.
    pub fn position(&self, id: &FieldId) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn field(&self, id: &FieldId) -> Option<&Field> {
        self.position(id).and_then(|p| self.fields.get(p))
    }

    /// "Label (id)" for messages; falls back to the bare id for unknown ids.
    pub fn describe(&self, id: &FieldId) -> String {
        match self.field(id) {
            Some(field) if !field.display_label().trim().is_empty() => {
                format!("\"{}\" ({id})", field.display_label().trim())
            }
            Some(field) => format!("{} {id}", field.kind.as_str()),
            None => id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_and_number_ids_are_the_same_id() {
        assert_eq!(
            FieldId::from_json(&json!("42")),
            FieldId::from_json(&json!(42))
        );
        assert_eq!(FieldId::from_json(&json!(" 42 ")), FieldId::parse("42"));
        assert!(FieldId::from_json(&json!("")).is_none());
        assert!(FieldId::from_json(&json!({})).is_none());
    }

    #[test]
    fn conditions_and_actions_keep_unknown_words() {
        assert_eq!(Condition::parse("notequals"), Condition::NotEquals);
        assert_eq!(
            Condition::parse("contains"),
            Condition::Other("contains".into())
        );
        assert_eq!(LogicAction::parse("HIDE"), LogicAction::Hide);
        assert_eq!(Conditional::parse("any"), Conditional::Any);
    }
}
