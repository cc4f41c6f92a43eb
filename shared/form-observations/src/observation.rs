//! One finding about a form: the log item every maker produces.
//!
//! The JSON shape keeps the earlier library's structure (`subjectId`,
//! `logLevel`, `subjectType`, `observationClass`, `observationMaker`,
//! `message`, `messageSecondary`, `relatedEntityIds`, `additionalDetails`)
//! so existing consumers keep working.

use serde::Serialize;
use serde_json::Value;

use crate::model::{FieldId, Form};

/// Severity, most severe first (the derived order sorts that way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// The form is broken: something cannot work as configured.
    Error,
    /// Probably a mistake, or works differently from what it looks like.
    Warn,
    /// Useful context for a support engineer.
    Info,
    /// Inventory detail, hidden from the text summary.
    Debug,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectType {
    Form,
    Field,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObservationClass {
    Logic,
    Calculation,
    Label,
    Configuration,
    Validation,
    Analysis,
}

impl ObservationClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logic => "logic",
            Self::Calculation => "calculation",
            Self::Label => "label",
            Self::Configuration => "configuration",
            Self::Validation => "validation",
            Self::Analysis => "analysis",
        }
    }
}

/// A single observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogItem {
    pub subject_id: String,
    pub log_level: LogLevel,
    pub subject_type: SubjectType,
    pub observation_class: ObservationClass,
    /// Name of the maker that produced it.
    pub observation_maker: String,
    /// Short headline.
    pub message: String,
    /// The explanation a person acts on.
    pub message_secondary: String,
    /// Other fields involved (the subject itself is not repeated).
    pub related_entity_ids: Vec<String>,
    /// Machine-readable specifics; always a JSON object.
    pub additional_details: Value,
}

impl LogItem {
    fn new(
        subject_id: String,
        subject_type: SubjectType,
        level: LogLevel,
        class: ObservationClass,
        maker: &str,
    ) -> Self {
        Self {
            subject_id,
            log_level: level,
            subject_type,
            observation_class: class,
            observation_maker: maker.to_owned(),
            message: String::new(),
            message_secondary: String::new(),
            related_entity_ids: Vec::new(),
            additional_details: Value::Object(serde_json::Map::new()),
        }
    }

    /// An observation about the form as a whole.
    pub fn about_form(
        form_id: &str,
        level: LogLevel,
        class: ObservationClass,
        maker: &str,
    ) -> Self {
        Self::new(form_id.to_owned(), SubjectType::Form, level, class, maker)
    }

    /// An observation about one field (sections and table parts included).
    pub fn about_field(
        field: &FieldId,
        level: LogLevel,
        class: ObservationClass,
        maker: &str,
    ) -> Self {
        Self::new(field.to_string(), SubjectType::Field, level, class, maker)
    }

    pub fn with_message(mut self, headline: &str, explanation: String) -> Self {
        headline.clone_into(&mut self.message);
        self.message_secondary = explanation;
        self
    }

    /// Related fields, leaving out the subject itself.
    pub fn with_related<'a>(mut self, ids: impl IntoIterator<Item = &'a FieldId>) -> Self {
        self.related_entity_ids = ids
            .into_iter()
            .map(ToString::to_string)
            .filter(|id| *id != self.subject_id)
            .collect();
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.additional_details = details;
        self
    }
}

/// The form id to use as a subject, with a stand-in for forms without one.
pub fn form_subject(form: &Form) -> &str {
    if form.id.trim().is_empty() {
        "form"
    } else {
        &form.id
    }
}
