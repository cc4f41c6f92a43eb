//! [`FormsRobot`]: `iStackBuddy.forms.diagnostics` in the chat. It finds the form (the
//! file the request names, else a Formstack form id), diagnoses it once, and answers
//! four messages in order:
//!
//! 1. `Final` (chat): the summary for the support engineer, with `data.observations`,
//!    the error and warning lines the jokes robots are later given as the issue's
//!    diagnostics;
//! 2. `More` (graph): the dependency graph, `{nodes, edges}`;
//! 3. `More` (image): the graph drawn as SVG, stored by the core as a file;
//! 4. `More` (file): the full JSON report, as `form-diagnose` prints it.
//!
//! Every way it can fail (no form, not a form, too large, Formstack refusing or not
//! answering) ends the answer with one failure whose text says what to do next.

use std::sync::Arc;
use std::time::Instant;

use chat_core::model::{
    ContentType, Delivery, FORMS_DIAGNOSTICS_ROBOT, RobotAnswer, RobotArg, RobotChunk,
    RobotFailure, RobotFile, RobotInfo, RobotInput, RobotRequest,
};
use chat_core::ports::RobotStream;
use chat_core::protocol::content::{GraphData, to_data};
use futures::StreamExt;
use serde_json::{Value, json};

use super::{Diagnosis, FormstackClient, FormstackConfig};
use crate::Error;

/// The argument naming an uploaded form export (the core reads it; see
/// [`RobotRequest::attachment`]).
pub const FILE_ID_ARG: &str = "fileId";
/// The argument naming a Formstack form by id.
pub const FORM_ID_ARG: &str = "formId";

/// Above this the graph message carries counts only. A message is one DynamoDB item,
/// limited to 400 KB with everything else the message holds; the image and the report
/// still carry the whole graph.
pub const MAX_GRAPH_DATA_BYTES: usize = 256 * 1024;

/// Said when a request gives the robot nothing to look at.
pub const NO_FORM: &str =
    "no form to diagnose: ask with a fileId or formId, or give the issue a form id";

/// The forms-diagnostics robot. Cheap to share: answers hold an `Arc` of the client, so
/// one connection pool and one resolved token serve every request.
#[derive(Debug, Clone)]
pub struct FormsRobot {
    /// `Err`: the Formstack settings cannot work; forms by id fail with this reason
    /// while attached exports are still diagnosed.
    client: Result<Arc<FormstackClient>, String>,
}

/// Where the form comes from, in the order the robot looks.
enum Source {
    Attachment(RobotInput),
    Formstack(String),
}

impl FormsRobot {
    /// Builds the Formstack client; makes no request.
    pub fn new(config: FormstackConfig) -> Self {
        let client = FormstackClient::new(config)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        if let Err(reason) = &client {
            tracing::warn!(%reason, "forms by id are unavailable");
        }
        FormsRobot { client }
    }

    /// The robot's card.
    pub fn info() -> RobotInfo {
        RobotInfo {
            name: FORMS_DIAGNOSTICS_ROBOT.to_string(),
            description: "Formstack form diagnostics: finds logic, calculation and configuration \
                problems in a form, and answers with a summary, the fields' dependency graph \
                (as data and as an image) and the full report. Give it an uploaded form \
                export (fileId) or a Formstack form id (formId); without either it looks at \
                the issue's form."
                .into(),
            delivery: Delivery::BatchDelay,
            content_type: ContentType::Chat,
            args: vec![
                RobotArg {
                    name: FILE_ID_ARG.into(),
                    description: "an uploaded Formstack form export (JSON) in this room".into(),
                    required: false,
                },
                RobotArg {
                    name: FORM_ID_ARG.into(),
                    description: "a Formstack form id (digits), fetched through the Formstack \
                        API (default: the issue's form)"
                        .into(),
                    required: false,
                },
            ],
        }
    }

    /// The answer stream: four answers, or one failure.
    pub fn answer(&self, request: RobotRequest) -> RobotStream {
        let robot = self.clone();
        futures::stream::once(async move {
            let started = Instant::now();
            let result = robot.diagnose(request).await;
            match &result {
                Ok(d) => tracing::info!(
                    form_id = %d.form_id,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "form diagnosed"
                ),
                Err(failure) => tracing::info!(%failure, "form not diagnosed"),
            }
            match result {
                Ok(diagnosis) => answers(&diagnosis).into_iter().map(Ok).collect(),
                Err(failure) => vec![Err(failure)],
            }
        })
        .flat_map(futures::stream::iter)
        .boxed()
    }

    async fn diagnose(&self, request: RobotRequest) -> Result<Diagnosis, RobotFailure> {
        let failure = |e: Error| RobotFailure(e.to_string());
        match source(request)? {
            Source::Attachment(input) => {
                let label = label_of(&input.name);
                on_blocking_thread(move || Diagnosis::of_bytes(&input.bytes, Some(&label))).await
            }
            Source::Formstack(form_id) => {
                let client = self.client.as_ref().map_err(|reason| {
                    RobotFailure(format!(
                        "{reason}; or attach the form's JSON export instead"
                    ))
                })?;
                let text = client.fetch_form(&form_id).await.map_err(failure)?;
                on_blocking_thread(move || Diagnosis::of_json(&text, Some(form_id.trim()))).await
            }
        }
    }
}

/// The form the request means: the attached file, else `args.formId`, else the
/// issue's form.
fn source(request: RobotRequest) -> Result<Source, RobotFailure> {
    if let Some(input) = request.attachment {
        return Ok(Source::Attachment(input));
    }
    match request.args.get(FORM_ID_ARG) {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.trim().is_empty() => {}
        Some(Value::String(s)) => return Ok(Source::Formstack(s.clone())),
        // A JSON number, or anything else: its text goes through the same id check,
        // so `true` or `1.5` are refused as not being a form id.
        Some(other) => return Ok(Source::Formstack(other.to_string())),
    }
    match request.issue.form_id {
        Some(id) if !id.trim().is_empty() => Ok(Source::Formstack(id)),
        _ => Err(RobotFailure(NO_FORM.into())),
    }
}

/// The diagnosis is CPU-bound (milliseconds to about a second): off the async workers,
/// so a large form does not stall other rooms' answers. A join error (the task
/// panicked or the runtime is shutting down) is a failure like any other.
async fn on_blocking_thread(
    work: impl FnOnce() -> Result<Diagnosis, Error> + Send + 'static,
) -> Result<Diagnosis, RobotFailure> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| RobotFailure(e.to_string())),
        Err(join) => Err(RobotFailure(format!(
            "the form could not be diagnosed: {}; please send this form to the developers",
            if join.is_panic() {
                "the diagnostics engine panicked"
            } else {
                "the diagnosis was cancelled"
            }
        ))),
    }
}

/// The four answers about one form, in the order they are posted.
fn answers(d: &Diagnosis) -> Vec<RobotChunk> {
    let id = &d.form_id;
    let stem = file_stem(id);
    let mut out = vec![
        RobotChunk::Final(RobotAnswer::new(
            ContentType::Chat,
            d.summary.clone(),
            Some(json!({
                "formId": id,
                "formName": d.form_name,
                "counts": d.counts,
                "observations": observations(&d.summary),
            })),
        )),
        RobotChunk::More(graph_answer(d)),
        RobotChunk::More(RobotAnswer {
            file: Some(RobotFile {
                name: format!("{stem}-graph.svg"),
                content_type: "image/svg+xml".into(),
                bytes: d.svg.as_bytes().to_vec(),
            }),
            ..RobotAnswer::new(
                ContentType::Image,
                format!("Dependency graph of form {id} (SVG)"),
                Some(json!({"width": d.svg_width, "height": d.svg_height})),
            )
        }),
    ];
    // Empty only if the report could not be serialised (see `Diagnosis::report_json`):
    // an empty file would help nobody.
    if !d.report_json.is_empty() {
        out.push(RobotChunk::More(RobotAnswer {
            file: Some(RobotFile {
                name: format!("{stem}-report.json"),
                content_type: "application/json".into(),
                bytes: d.report_json.as_bytes().to_vec(),
            }),
            ..RobotAnswer::new(
                ContentType::File,
                format!("Full diagnostics report of form {id} (JSON)"),
                None,
            )
        }));
    }
    out
}

/// The graph answer: the whole graph, or its counts alone when it is too large to
/// keep in one message.
fn graph_answer(d: &Diagnosis) -> RobotAnswer {
    let count = |key: &str| d.graph[key].as_array().map_or(0, Vec::len);
    let (nodes, edges) = (count("nodes"), count("edges"));
    let mut text = format!(
        "Dependency graph of form {}: {nodes} fields, {edges} dependencies, {} in cycles",
        d.form_id,
        d.cycle_fields.len()
    );
    let size = serde_json::to_vec(&d.graph).map_or(usize::MAX, |json| json.len());
    let data = if size > MAX_GRAPH_DATA_BYTES {
        text.push_str(&format!(
            " (the graph is too large to show here, {} KiB; see the image and the full report)",
            size.div_ceil(1024)
        ));
        let count = |n: usize| Some(u32::try_from(n).unwrap_or(u32::MAX));
        to_data(&GraphData {
            omitted: true,
            node_count: count(nodes),
            edge_count: count(edges),
            ..GraphData::default()
        })
    } else {
        d.graph.clone()
    };
    RobotAnswer::new(ContentType::Graph, text, Some(data))
}

/// The summary's finding lines (`ERROR …`, `WARN …`): the same sentences the engineer
/// read, at most the summary's cap, which keeps what the jokes robots are given short.
fn observations(summary: &str) -> Vec<String> {
    summary
        .lines()
        .filter(|line| line.starts_with("ERROR ") || line.starts_with("WARN "))
        .map(str::to_owned)
        .collect()
}

/// What a form from a file is called when its export carries no id: the file's name
/// without `.json`.
fn label_of(file_name: &str) -> String {
    let name = file_name.trim();
    match name.len().checked_sub(5) {
        Some(at) if name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(".json") => {
            name[..at].to_owned()
        }
        _ => name.to_owned(),
    }
}

/// `form-<id>` for the answer's file names. The id comes from the export itself, so
/// anything but letters, digits, `-` and `_` is replaced: a file name must not carry a
/// path or a header-breaking character into downloads.
fn file_stem(form_id: &str) -> String {
    let safe: String = form_id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.trim_matches('_').is_empty() {
        "form".to_owned()
    } else {
        format!("form-{safe}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("5375703"), "form-5375703");
        assert_eq!(file_stem("../etc/passwd"), "form-___etc_passwd");
        assert_eq!(file_stem(""), "form");
        assert_eq!(file_stem("é"), "form");
        assert_eq!(file_stem(&"9".repeat(100)).len(), 5 + 64);
    }

    #[test]
    fn labels_drop_the_json_extension() {
        assert_eq!(label_of("5375703.json"), "5375703");
        assert_eq!(label_of(" export.JSON "), "export");
        assert_eq!(label_of("form.txt"), "form.txt");
        assert_eq!(label_of("é.json"), "é");
        assert_eq!(label_of("ééé"), "ééé");
    }

    #[test]
    fn observations_are_the_finding_lines() {
        let summary = "Form 1 \"x\": 1 ERROR, 1 WARN, 0 INFO, 0 DEBUG\nERROR \"A\": bad.\nWARN Form: odd.\n…and 2 more; see the full report\n";
        assert_eq!(
            observations(summary),
            ["ERROR \"A\": bad.", "WARN Form: odd."]
        );
        assert!(observations("Form 1: 0 ERROR\nNo errors or warnings: nothing\n").is_empty());
    }
}
