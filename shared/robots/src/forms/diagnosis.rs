//! [`Diagnosis`]: one form analysed once, rendered four ways (summary, graph, SVG, full
//! report), plus the reasons a file cannot be diagnosed at all.

use form_observations::{Analysis, Form, FormError, GraphExport, Report, Summary, diagnose_with};
use serde_json::Value;

use super::{graph, summary};
use crate::Error;

/// The largest form text that is diagnosed. Real exports are tens to hundreds of KiB;
/// the cap keeps one pasted or uploaded file from holding a worker's memory and time.
pub const MAX_FORM_BYTES: usize = 10 * 1024 * 1024;

/// The most fields a diagnosed form may have. Real forms have tens to hundreds; the
/// cap bounds the analysis thread's stack (below) and its time (about a second in a
/// debug build at the cap).
pub const MAX_FORM_FIELDS: usize = 20_000;

/// How much work the engine's logic judgement may do (see [`logic_work`]); about
/// 32 MiB of messages at worst, and a couple of seconds in a debug build.
const MAX_LOGIC_WORK: usize = 32_000_000;

/// The analysis thread's stack: a base plus an allowance per field, since the deepest
/// recursion is one frame per field of a dependency chain. Measured frames are under
/// 512 bytes in a debug build, so 1 KiB leaves room; only touched pages are committed.
const BASE_STACK_BYTES: usize = 4 * 1024 * 1024;
const STACK_BYTES_PER_FIELD: usize = 1024;

/// Everything the forms-diagnostics robot says about one form.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// The form's own id, or the label it was asked for by when the export has none.
    pub form_id: String,
    pub form_name: String,
    /// Plain text for a support engineer: a heading with counts, then the errors and
    /// warnings one line each (at most [`super::SUMMARY_MAX_FINDINGS`] lines and
    /// [`super::SUMMARY_MAX_BYTES`] bytes, so it fits one chat message).
    pub summary: String,
    /// Observations at each level.
    pub counts: Summary,
    /// The protocol's `graph` content: `{nodes: [{id, label, kind, inCycle}], edges:
    /// [{from, to, kind, inCycle}]}`; node `kind` is the field type (or `missing` for a
    /// field that logic or a calculation names but the form lacks).
    pub graph: Value,
    /// Ids of the fields in any cycle (logic, calculation or both), in form order.
    pub cycle_fields: Vec<String>,
    /// The dependency graph drawn as a standalone SVG document (a short note instead when
    /// it has over [`super::MAX_DRAWN_DEPENDENCIES`] dependencies).
    pub svg: String,
    pub svg_width: u32,
    pub svg_height: u32,
    /// The full report, as the engine produced it.
    pub report: Report,
    /// The full report as `form-diagnose FILE` prints it (pretty JSON and a newline),
    /// ready to be stored as the answer's file.
    pub report_json: String,
}

impl Diagnosis {
    /// Diagnoses a form export given as bytes (an uploaded file).
    pub fn of_bytes(bytes: &[u8], label: Option<&str>) -> Result<Self, Error> {
        check_size(bytes.len())?;
        let text = std::str::from_utf8(bytes).map_err(|_| Error::FormNotText)?;
        Self::of_json(text, label)
    }

    /// Diagnoses a form export given as JSON text (`GET /form/{id}.json`'s answer).
    /// `label` is what the form was asked for by (its id, a file name); the heading uses
    /// it when the export carries no id.
    ///
    /// CPU-bound and synchronous: a few milliseconds for real forms, about a second for
    /// a generated one at [`MAX_FORM_FIELDS`]; call it from `spawn_blocking`. The
    /// analysis runs on a thread of its own with a stack sized to the form, so any
    /// caller's stack will do.
    pub fn of_json(text: &str, label: Option<&str>) -> Result<Self, Error> {
        check_size(text.len())?;
        // The same reader, analysis and makers as `form-diagnose`, so the two agree.
        let form = Form::from_json_str(text).map_err(|e| explain(text, e))?;
        if form.fields.len() > MAX_FORM_FIELDS {
            return Err(Error::FormTooManyFields {
                fields: form.fields.len(),
                limit: MAX_FORM_FIELDS,
            });
        }
        let work = logic_work(&form);
        if work > MAX_LOGIC_WORK {
            return Err(Error::FormTooComplex {
                checks: form
                    .fields
                    .iter()
                    .filter_map(|f| f.logic.as_ref())
                    .map(|logic| logic.checks.len())
                    .sum(),
            });
        }
        let (report, export, svg) = analyse_on_own_stack(&form)?;
        let (svg_width, svg_height) = svg_size(&svg);
        let (graph, cycle_fields) = graph::protocol_graph(&export);
        let form_id = match (form.id.trim(), label.map(str::trim)) {
            ("", Some(label)) if !label.is_empty() => label.to_owned(),
            (id, _) => id.to_owned(),
        };
        let summary = summary::write(&form, &report, &form_id);
        // Serialising plain structs and `Value`s cannot fail; should it ever, the
        // summary, graph and image are still worth sending.
        let report_json = serde_json::to_string_pretty(&report)
            .map(|mut json| {
                json.push('\n');
                json
            })
            .unwrap_or_default();
        Ok(Self {
            form_id,
            form_name: form.name.trim().to_owned(),
            summary,
            counts: report.summary,
            graph,
            cycle_fields,
            svg,
            svg_width,
            svg_height,
            report,
            report_json,
        })
    }
}

/// The engine's work, done once: analysis, makers, graph and drawing.
fn analyse(form: &Form) -> (Report, GraphExport, String) {
    let analysis = Analysis::of_form(form);
    let report = diagnose_with(form, &analysis);
    let export = GraphExport::build(form, &analysis);
    let svg = graph::svg(&export);
    (report, export, svg)
}

/// A bound on what judging the form's show/hide rules costs the engine, which grows
/// faster than the file: every check on a choice field that names an option the field
/// lacks is reported with the field's whole option list, and the checks of one rule
/// are compared with each other. So: the option text behind every check, plus the
/// square of each rule's length. A real form, even one with hundreds of rules on a
/// country list, stays far below the limit; a generated one can need gigabytes.
fn logic_work(form: &Form) -> usize {
    // Per field once, not per check: the bound must itself be cheap.
    let option_text: Vec<usize> = form
        .fields
        .iter()
        .map(|field| {
            field
                .options
                .iter()
                .map(|o| o.value.len() + 4)
                .fold(0, usize::saturating_add)
        })
        .collect();
    form.fields
        .iter()
        .filter_map(|field| field.logic.as_ref())
        .map(|logic| {
            let options: usize = logic
                .checks
                .iter()
                .filter_map(|check| form.position(check.field.as_ref()?))
                .filter_map(|at| option_text.get(at).copied())
                .fold(0, usize::saturating_add);
            let pairs = logic.checks.len().saturating_mul(logic.checks.len());
            options.saturating_add(pairs)
        })
        .fold(0, usize::saturating_add)
}

/// Runs [`analyse`] on a thread of its own, for two reasons. Cycle finding recurses
/// once per field along a dependency chain (petgraph's Tarjan), so a ring of a few
/// thousand fields overflows a 2 MiB tokio worker stack, and a stack overflow aborts
/// the whole process rather than failing one answer: the thread's stack is sized to
/// the form instead. And an engine panic ends up here as an error, not in the caller.
fn analyse_on_own_stack(form: &Form) -> Result<(Report, GraphExport, String), Error> {
    let stack = BASE_STACK_BYTES + form.fields.len() * STACK_BYTES_PER_FIELD;
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("form-diagnosis".into())
            .stack_size(stack)
            .spawn_scoped(scope, || analyse(form))
            .map_err(|e| Error::DiagnosisFailed(format!("its thread could not start ({e})")))?
            .join()
            .map_err(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                Error::DiagnosisFailed(format!("the diagnostics engine panicked ({what})"))
            })
    })
}

fn check_size(size: usize) -> Result<(), Error> {
    if size > MAX_FORM_BYTES {
        return Err(Error::FormTooLarge {
            size,
            limit: MAX_FORM_BYTES,
        });
    }
    Ok(())
}

/// Turns the engine's reading error into a reason a support engineer can act on. Only
/// on this failure path is the text read a second time, to say what it is instead.
fn explain(text: &str, error: FormError) -> Error {
    match error {
        FormError::InvalidJson(source) => {
            let reason = if text.trim().is_empty() {
                "the file is empty".to_owned()
            } else if source.is_eof() {
                "it ends in the middle of the JSON; was the file cut off?".to_owned()
            } else if source.to_string().contains("recursion limit") {
                // serde_json stops at 128 levels; a form is about six deep.
                "it nests far deeper than any form does".to_owned()
            } else {
                format!(
                    "reading stopped at line {}, column {}",
                    source.line(),
                    source.column()
                )
            };
            Error::FormNotJson {
                reason,
                source: Some(source),
            }
        }
        FormError::NotAForm { reason, .. } => Error::NotAFormExport {
            reason: shape_reason(text).unwrap_or_else(|| reason.to_owned()),
        },
    }
}

/// What the JSON is, when it is not a form: "it has no `fields` list", "it is a list,
/// not an object", … `None` when the shape looks right and the engine knows better.
fn shape_reason(text: &str) -> Option<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = serde_json::from_str(text).ok()?;
    let Value::Object(object) = value else {
        return Some(format!(
            "it is {}, where a form export is an object with a `fields` list",
            kind_of(&value)
        ));
    };
    match object.get("fields") {
        None | Some(Value::Null) => Some("it has no `fields` list".to_owned()),
        Some(Value::Array(_)) => None,
        Some(other) => Some(format!(
            "its `fields` is {}, where a form export has a list",
            kind_of(other)
        )),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `width` and `height` of the document's root `<svg …>` tag; 0 when absent (the
/// renderer always writes them, so 0 would be a renderer change to notice in tests).
fn svg_size(svg: &str) -> (u32, u32) {
    let root = svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| &svg[start..start + end]))
        .unwrap_or("");
    let attribute = |name: &str| -> u32 {
        let key = format!(" {name}=\"");
        root.find(&key)
            .map(|at| &root[at + key.len()..])
            .and_then(|rest| rest.split('"').next())
            .and_then(|value| value.trim().parse::<f64>().ok())
            .filter(|value| value.is_finite() && *value >= 0.0)
            .map_or(0, |value| value.ceil().min(f64::from(u32::MAX)) as u32)
    };
    (attribute("width"), attribute("height"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_size_reads_the_root_tag_only() {
        let svg = r#"<svg xmlns="x" width="720" height="142" viewBox="0 0 720 142"><rect width="100%"/></svg>"#;
        assert_eq!(svg_size(svg), (720, 142));
        assert_eq!(svg_size("<svg><rect width=\"5\"/></svg>"), (0, 0));
        assert_eq!(svg_size(""), (0, 0));
    }

    #[test]
    fn shapes_that_are_not_forms_are_named() {
        assert_eq!(
            shape_reason("{}").as_deref(),
            Some("it has no `fields` list")
        );
        assert!(shape_reason("[]").unwrap().contains("it is a list"));
        assert!(
            shape_reason(r#"{"fields": "x"}"#)
                .unwrap()
                .contains("`fields` is a string")
        );
        assert_eq!(shape_reason(r#"{"fields": []}"#), None);
    }
}
