//! Logic that can never be satisfied, where that is cheap to prove:
//!
//! - a check against an option the field does not offer (`equals` can then
//!   never match, `notequals` always matches);
//! - a check that compares a field which never holds a value (a section, a
//!   rich-text block);
//! - under "all", checks on one field that contradict each other: equals
//!   and not-equals the same option, two different values for a
//!   single-value field, or number bounds that leave no room.
//!
//! Only the field's own checks are judged; a section's rule is judged on the
//! section, and a field inside it is not blamed for it.

use serde_json::json;

use crate::error::MakerError;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::{
    Check, Condition, Conditional, Field, FieldId, FieldType, Form, Logic, LogicAction,
};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct LogicSatisfiability;

const NAME: &str = "logic-satisfiability";
const CLASS: ObservationClass = ObservationClass::Logic;

impl ObservationMaker for LogicSatisfiability {
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
        let mut items: Vec<LogItem> = form
            .fields
            .iter()
            .filter_map(|field| judge(form, field))
            .collect();
        if items.is_empty() {
            items.push(
                LogItem::about_form(form_subject(form), LogLevel::Info, CLASS, NAME)
                    .with_message(
                        "No impossible logic found",
                        "No rule checks an option its field lacks, compares a field that holds \
                         no value, or combines checks that exclude each other."
                            .to_owned(),
                    )
                    .with_details(json!({ "rulesWithFindings": 0 })),
            );
        }
        Ok(items)
    }
}

/// What one check can never do.
enum Dead {
    /// The check can never be true.
    NeverMatches(String),
    /// The check is always true, so it tests nothing.
    AlwaysMatches(String),
}

fn judge(form: &Form, field: &Field) -> Option<LogItem> {
    let logic = field.logic.as_ref()?;
    let mut never = Vec::new();
    let mut always = Vec::new();
    for check in &logic.checks {
        match dead_check(form, check) {
            Some(Dead::NeverMatches(why)) => never.push(why),
            Some(Dead::AlwaysMatches(why)) => always.push(why),
            None => {}
        }
    }
    let conflicts = match logic.conditional {
        Conditional::All => contradictions(form, logic),
        _ => Vec::new(),
    };
    let impossible = match logic.conditional {
        Conditional::All => !never.is_empty() || !conflicts.is_empty(),
        Conditional::Any => !logic.checks.is_empty() && never.len() == logic.checks.len(),
        // An unknown match mode cannot be judged as a whole.
        Conditional::Other(_) => false,
    };
    if never.is_empty() && always.is_empty() && conflicts.is_empty() {
        return None;
    }
    let subject = form.describe(&field.id);
    let (level, headline, consequence) = if impossible {
        let outcome = match (&logic.action, field.kind.is_section()) {
            (LogicAction::Hide, _) => {
                format!("the rule to hide {subject} can never apply, so it is always shown")
            }
            (_, true) => format!("section {subject} and every field in it can never be shown"),
            _ => format!("{subject} can never be shown"),
        };
        (LogLevel::Error, "Logic can never be satisfied", outcome)
    } else {
        (
            LogLevel::Warn,
            "Logic check that cannot matter",
            format!("part of the rule on {subject} never changes the outcome"),
        )
    };
    let reasons: Vec<String> = conflicts
        .iter()
        .chain(&never)
        .chain(&always)
        .cloned()
        .collect();
    Some(
        LogItem::about_field(&field.id, level, CLASS, NAME)
            .with_message(headline, format!("{}: {consequence}.", reasons.join("; ")))
            .with_related(logic.checks.iter().filter_map(|c| c.field.as_ref()))
            .with_details(json!({
                "conditional": match &logic.conditional {
                    Conditional::All => "all",
                    Conditional::Any => "any",
                    Conditional::Other(word) => word.as_str(),
                },
                "contradictions": conflicts,
                "neverMatching": never,
                "alwaysMatching": always,
            })),
    )
}

fn dead_check(form: &Form, check: &Check) -> Option<Dead> {
    let target = form.field(check.field.as_ref()?)?;
    let described = form.describe(&target.id);
    match check.condition {
        Condition::Equals | Condition::NotEquals
            if target.kind.has_options()
                && !target.options.is_empty()
                && !target.has_option(&check.option) =>
        {
            let offered = target
                .options
                .iter()
                .map(|o| format!("\"{}\"", o.value))
                .collect::<Vec<_>>()
                .join(", ");
            let why = format!(
                "{described} has no option \"{}\" (it offers {offered})",
                check.option
            );
            Some(if check.condition == Condition::Equals {
                Dead::NeverMatches(why)
            } else {
                Dead::AlwaysMatches(why)
            })
        }
        Condition::Equals | Condition::GreaterThan | Condition::LessThan
            if !target.kind.holds_value() =>
        {
            Some(Dead::NeverMatches(format!(
                "{described} is a {} and never holds a value to compare",
                target.kind.as_str()
            )))
        }
        _ => None,
    }
}

fn same_value(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Checks on one field that cannot all hold at once (for "all" rules).
fn contradictions(form: &Form, logic: &Logic) -> Vec<String> {
    let mut targets: Vec<&FieldId> = Vec::new();
    for check in &logic.checks {
        if let Some(id) = &check.field
            && !targets.contains(&id)
        {
            targets.push(id);
        }
    }
    let mut found = Vec::new();
    for target in targets {
        let Some(field) = form.field(target) else {
            continue;
        };
        let described = form.describe(target);
        let of = |condition: Condition| -> Vec<&str> {
            let mut values: Vec<&str> = Vec::new();
            for check in logic
                .checks
                .iter()
                .filter(|c| c.field.as_ref() == Some(target))
            {
                if check.condition == condition
                    && !values.iter().any(|v| same_value(v, &check.option))
                {
                    values.push(&check.option);
                }
            }
            values
        };
        let equals = of(Condition::Equals);
        let not_equals = of(Condition::NotEquals);
        if let Some(value) = equals
            .iter()
            .find(|e| not_equals.iter().any(|n| same_value(e, n)))
        {
            found.push(format!(
                "{described} must both equal and not equal \"{value}\""
            ));
            continue;
        }
        if field.kind != FieldType::Checkbox && equals.len() > 1 {
            found.push(format!(
                "{described} holds one value but must equal each of {}",
                equals
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
            continue;
        }
        if field.kind.has_options() {
            continue;
        }
        let numbers = |values: Vec<&str>| -> Vec<f64> {
            values
                .iter()
                .filter_map(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .collect()
        };
        let lower = numbers(of(Condition::GreaterThan))
            .into_iter()
            .reduce(f64::max);
        let upper = numbers(of(Condition::LessThan))
            .into_iter()
            .reduce(f64::min);
        if let (Some(low), Some(high)) = (lower, upper)
            && low >= high
        {
            found.push(format!(
                "{described} cannot be greater than {low} and less than {high}"
            ));
            continue;
        }
        for value in numbers(equals) {
            if lower.is_some_and(|low| value <= low) || upper.is_some_and(|high| value >= high) {
                found.push(format!(
                    "{described} cannot equal {value} and stay within its other bounds"
                ));
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn judge_first(fields: serde_json::Value) -> Option<LogItem> {
        let form = Form::from_json_value(json!({ "fields": fields })).expect("a form");
        judge(&form, &form.fields[0])
    }

    fn rule(conditional: &str, checks: serde_json::Value) -> serde_json::Value {
        json!({"action": "show", "conditional": conditional, "checks": checks})
    }

    #[test]
    fn an_option_the_field_lacks_can_never_match() {
        let item = judge_first(json!([
            {"id": 1, "sort": 1, "type": "text", "logic": rule("all", json!([{"field": 2, "condition": "equals", "option": "Option2"}]))},
            {"id": 2, "sort": 2, "type": "checkbox", "options": [{"label": "Option 2", "value": "Option 2"}]}
        ]))
        .expect("a finding");
        assert_eq!(item.log_level, LogLevel::Error);
        assert!(item.message_secondary.contains("can never be shown"));
    }

    #[test]
    fn under_any_one_dead_check_is_only_a_warning() {
        let item = judge_first(json!([
            {"id": 1, "sort": 1, "logic": rule("any", json!([
                {"field": 2, "condition": "equals", "option": "nope"},
                {"field": 2, "condition": "equals", "option": "a"}]))},
            {"id": 2, "sort": 2, "type": "radio", "options": [{"value": "a"}]}
        ]))
        .expect("a finding");
        assert_eq!(item.log_level, LogLevel::Warn);
    }

    #[test]
    fn contradictory_bounds_and_equalities_are_found() {
        let item = judge_first(json!([
            {"id": 1, "sort": 1, "logic": rule("all", json!([
                {"field": 2, "condition": "greaterthan", "option": 6},
                {"field": 2, "condition": "lessthan", "option": "5"},
                {"field": 3, "condition": "equals", "option": "x"},
                {"field": 3, "condition": "notequals", "option": "x"}]))},
            {"id": 2, "sort": 2, "type": "number"},
            {"id": 3, "sort": 3, "type": "checkbox", "options": [{"value": "x"}]}
        ]))
        .expect("a finding");
        let details = &item.additional_details["contradictions"];
        assert_eq!(details.as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn consistent_checks_pass() {
        assert!(
            judge_first(json!([
                {"id": 1, "sort": 1, "logic": rule("all", json!([
                    {"field": 2, "condition": "greaterthan", "option": 1},
                    {"field": 2, "condition": "lessthan", "option": 10},
                    {"field": 2, "condition": "equals", "option": 5}]))},
                {"id": 2, "sort": 2, "type": "number"}
            ]))
            .is_none()
        );
    }
}
