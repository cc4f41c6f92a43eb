//! The result of diagnosing one form, as JSON (for the robot and scripts)
//! or as text (for a support engineer reading a terminal).

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::Form;
use crate::observation::{LogItem, LogLevel};

/// `{formId, formName, observations, summary}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub form_id: String,
    pub form_name: String,
    pub observations: Vec<LogItem>,
    pub summary: Summary,
}

/// How many observations there are at each level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub error: usize,
    pub warn: usize,
    pub info: usize,
    pub debug: usize,
}

impl Summary {
    pub fn of(items: &[LogItem]) -> Self {
        let mut summary = Self::default();
        for item in items {
            match item.log_level {
                LogLevel::Error => summary.error += 1,
                LogLevel::Warn => summary.warn += 1,
                LogLevel::Info => summary.info += 1,
                LogLevel::Debug => summary.debug += 1,
            }
        }
        summary
    }
}

impl Report {
    pub fn new(form: &Form, observations: Vec<LogItem>) -> Self {
        Self {
            form_id: form.id.clone(),
            form_name: form.name.clone(),
            summary: Summary::of(&observations),
            observations,
        }
    }

    /// Observations at one level, in emit order.
    pub fn at_level(&self, level: LogLevel) -> impl Iterator<Item = &LogItem> {
        self.observations
            .iter()
            .filter(move |i| i.log_level == level)
    }

    /// A readable summary: most severe first, debug detail left out.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let s = &self.summary;
        let _ = writeln!(out, "Form {} \"{}\"", self.form_id, self.form_name);
        let _ = writeln!(
            out,
            "{} error(s), {} warning(s), {} info, {} debug",
            s.error, s.warn, s.info, s.debug
        );
        let sections = [
            (LogLevel::Error, "ERRORS"),
            (LogLevel::Warn, "WARNINGS"),
            (LogLevel::Info, "INFO"),
        ];
        for (level, title) in sections {
            let mut items = self.at_level(level).peekable();
            if items.peek().is_none() {
                continue;
            }
            let _ = writeln!(out, "\n{title}");
            for item in items {
                let subject = match item.subject_type {
                    crate::observation::SubjectType::Form => "form".to_owned(),
                    crate::observation::SubjectType::Field => format!("field {}", item.subject_id),
                };
                let _ = writeln!(
                    out,
                    "  [{}] {} ({subject})",
                    item.observation_class.as_str(),
                    item.message
                );
                let _ = writeln!(out, "      {}", item.message_secondary);
            }
        }
        if s.debug > 0 {
            let _ = writeln!(
                out,
                "\n({} debug item(s) not shown; use --format json to see them.)",
                s.debug
            );
        }
        out
    }
}
