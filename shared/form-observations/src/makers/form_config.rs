//! Form-level settings that change how a form behaves, read from the keys
//! the v2 API actually sends (`is_workflow_form`, `has_approvers`,
//! `encrypted`, `should_display_one_question_at_a_time`, `inactive`, ...).

use serde_json::json;

use crate::error::MakerError;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::Form;
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct FormConfig;

const NAME: &str = "form-config";
const CLASS: ObservationClass = ObservationClass::Configuration;

/// The v2 keys this maker reads, reported so a reader knows what was looked at.
const KEYS_CHECKED: [&str; 8] = [
    "is_workflow_form",
    "is_workflow_published",
    "has_approvers",
    "encrypted",
    "should_display_one_question_at_a_time",
    "can_access_1q_feature",
    "inactive",
    "deleted",
];

impl ObservationMaker for FormConfig {
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
        let items = findings(form);
        if !items.is_empty() {
            return Ok(items);
        }
        Ok(vec![
            LogItem::about_form(form_subject(form), LogLevel::Info, CLASS, NAME)
                .with_message(
                    "No special form settings",
                    "The form is active and uses no workflow, approvals, encryption or \
                     one-question-at-a-time display."
                        .to_owned(),
                )
                .with_details(json!({ "keysChecked": KEYS_CHECKED, "features": [] })),
        ])
    }
}

fn item(form: &Form, level: LogLevel, key: &str) -> LogItem {
    LogItem::about_form(form_subject(form), level, CLASS, NAME)
        .with_details(json!({ "keysChecked": KEYS_CHECKED, "feature": key }))
}

fn findings(form: &Form) -> Vec<LogItem> {
    let settings = &form.settings;
    let mut items = Vec::new();
    let mut push = |level: LogLevel, key: &str, headline: &str, text: &str| {
        items.push(item(form, level, key).with_message(headline, text.to_owned()));
    };
    if settings.deleted {
        push(
            LogLevel::Warn,
            "deleted",
            "Form is deleted",
            "The form is marked deleted; it only exists in the trash and takes no submissions.",
        );
    }
    if settings.inactive {
        push(
            LogLevel::Warn,
            "inactive",
            "Form is inactive",
            "The form is switched off: respondents see a closed message instead of the fields.",
        );
    }
    if settings.workflow {
        push(
            LogLevel::Info,
            "is_workflow_form",
            "Workflow form",
            "Submissions move through workflow steps; which fields a person can see or edit \
             depends on the step, on top of the form's own logic.",
        );
        if !settings.workflow_published {
            push(
                LogLevel::Warn,
                "is_workflow_published",
                "Workflow not published",
                "The workflow has unpublished changes, so what runs for respondents is not what \
                 the builder shows.",
            );
        }
    }
    if settings.approvers {
        push(
            LogLevel::Info,
            "has_approvers",
            "Submissions need approval",
            "Each submission waits for approvers before it is final.",
        );
    }
    if settings.encrypted {
        push(
            LogLevel::Info,
            "encrypted",
            "Data encryption is on",
            "Submissions are stored encrypted: they need the form password to read and some \
             integrations and searches cannot use them.",
        );
    }
    if settings.one_question_at_a_time {
        if settings.one_question_available == Some(false) {
            push(
                LogLevel::Warn,
                "should_display_one_question_at_a_time",
                "One question at a time is unavailable",
                "The form asks to show one question at a time, but the account cannot use that \
                 feature, so respondents get the normal layout.",
            );
        } else {
            push(
                LogLevel::Info,
                "should_display_one_question_at_a_time",
                "One question at a time",
                "Respondents see a single question per screen; sections and logic decide which \
                 questions are stepped through.",
            );
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FormSettings;

    fn run(settings: FormSettings) -> Vec<LogItem> {
        let form = Form::new("1".into(), "f".into(), settings, Vec::new());
        FormConfig
            .make_observation(&Resources::form_only(&form))
            .expect("runs")
    }

    #[test]
    fn reads_the_keys_v2_really_sends() {
        let items = run(FormSettings {
            workflow: true,
            one_question_at_a_time: true,
            ..FormSettings::default()
        });
        let headlines: Vec<_> = items.iter().map(|i| i.message.as_str()).collect();
        assert_eq!(
            headlines,
            [
                "Workflow form",
                "Workflow not published",
                "One question at a time"
            ]
        );
    }

    #[test]
    fn a_plain_form_gets_one_info_item() {
        let items = run(FormSettings::default());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].log_level, LogLevel::Info);
    }
}
