//! Forgiving readers for the value shapes the Formstack v2 API mixes freely.
//!
//! Every reader here accepts *any* JSON value and falls back to an empty or
//! absent result instead of failing: one odd key must not make a whole form
//! unreadable, because the point of the tool is to look at broken forms.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Check, Condition, Conditional, FieldId, FieldOption, Logic, LogicAction};

/// Text of a scalar: strings as they are, numbers and booleans printed,
/// anything else empty.
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => number_text(n),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Integers print without a fraction so that `123` and `"123"` meet.
pub(crate) fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        // Whole floats (`123.0`) are still ids or flags written oddly.
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
            format!("{}", f as i64)
        }
        Some(f) => f.to_string(),
        None => n.to_string(),
    }
}

/// Formstack writes booleans as `true`, `1`, `"1"`, `"true"` and friends.
pub(crate) fn flag_of(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        ),
        _ => false,
    }
}

/// A finite number from a number or a numeric string; blank means absent.
pub(crate) fn number_of(value: &Value) -> Option<f64> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    parsed.filter(|f| f.is_finite())
}

/// `options` is `""` when a field has none, an array of `{label, value}`
/// objects when it has some, and occasionally an array of bare strings or a
/// newline-separated string.
pub(crate) fn options_of(value: &Value) -> Vec<FieldOption> {
    match value {
        Value::Array(items) => items.iter().filter_map(option_of).collect(),
        Value::String(s) => s
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| FieldOption {
                label: line.to_owned(),
                value: line.to_owned(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn option_of(item: &Value) -> Option<FieldOption> {
    match item {
        Value::Object(map) => {
            let value = map.get("value").map(text_of).unwrap_or_default();
            let label = map.get("label").map(text_of).unwrap_or_default();
            // Either half stands in for the other: the stored value is what
            // logic compares against, the label is what a person sees.
            let (label, value) = match (label.is_empty(), value.is_empty()) {
                (true, true) => return None,
                (true, false) => (value.clone(), value),
                (false, true) => (label.clone(), label),
                (false, false) => (label, value),
            };
            Some(FieldOption { label, value })
        }
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            let text = text_of(item);
            Some(FieldOption {
                label: text.clone(),
                value: text,
            })
        }
        _ => None,
    }
}

/// `logic` is `null`, or `{action, conditional, checks: [{field, condition,
/// option}]}`; anything that is not an object means "no logic".
pub(crate) fn logic_of(value: &Value) -> Option<Logic> {
    let map = value.as_object()?;
    let action = LogicAction::parse(&map.get("action").map(text_of).unwrap_or_default());
    let conditional = Conditional::parse(&map.get("conditional").map(text_of).unwrap_or_default());
    let checks = match map.get("checks") {
        Some(Value::Array(items)) => items.iter().map(check_of).collect(),
        // A lone check object instead of a list is still one check.
        Some(single @ Value::Object(_)) => vec![check_of(single)],
        _ => Vec::new(),
    };
    Some(Logic {
        action,
        conditional,
        checks,
    })
}

fn check_of(item: &Value) -> Check {
    let get = |key: &str| item.get(key).cloned().unwrap_or(Value::Null);
    Check {
        field: FieldId::from_json(&get("field")),
        condition: Condition::parse(&text_of(&get("condition"))),
        option: text_of(&get("option")),
    }
}

// Serde adapters: each reads whatever value is there, then maps it leniently.

pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(text_of(&Value::deserialize(d)?))
}

pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(flag_of(&Value::deserialize(d)?))
}

pub(crate) fn optional_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok((!value.is_null()).then(|| flag_of(&value)))
}

pub(crate) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(number_of(&Value::deserialize(d)?))
}

pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FieldId>, D::Error> {
    Ok(FieldId::from_json(&Value::deserialize(d)?))
}

pub(crate) fn options<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<FieldOption>, D::Error> {
    Ok(options_of(&Value::deserialize(d)?))
}

pub(crate) fn logic<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Logic>, D::Error> {
    Ok(logic_of(&Value::deserialize(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_accept_the_spellings_formstack_uses() {
        for yes in [
            json!("1"),
            json!(1),
            json!(true),
            json!("true"),
            json!(" TRUE "),
        ] {
            assert!(flag_of(&yes), "{yes}");
        }
        for no in [
            json!("0"),
            json!(0),
            json!(false),
            json!(""),
            json!(null),
            json!([]),
        ] {
            assert!(!flag_of(&no), "{no}");
        }
    }

    #[test]
    fn options_accept_empty_string_objects_and_bare_strings() {
        assert!(options_of(&json!("")).is_empty());
        let objects = options_of(&json!([{"label": "Yes", "value": "y"}, {"value": "n"}]));
        assert_eq!(objects[0].value, "y");
        assert_eq!(objects[1].label, "n");
        assert_eq!(options_of(&json!(["a", 2])).len(), 2);
        assert_eq!(options_of(&json!("a\nb\n")).len(), 2);
    }

    #[test]
    fn whole_floats_print_as_integers_so_ids_match() {
        assert_eq!(text_of(&json!(123.0)), "123");
        assert_eq!(text_of(&json!(1.5)), "1.5");
    }

    #[test]
    fn logic_that_is_not_an_object_is_no_logic() {
        assert!(logic_of(&json!(null)).is_none());
        assert!(logic_of(&json!("")).is_none());
        let logic = logic_of(
            &json!({"action": "hide", "checks": [{"field": 5, "condition": "equals", "option": 3}]}),
        );
        let logic = logic.expect("an object is logic");
        assert_eq!(logic.action, LogicAction::Hide);
        assert_eq!(
            logic.checks[0].field.as_ref().map(FieldId::as_str),
            Some("5")
        );
        assert_eq!(logic.checks[0].option, "3");
    }
}
