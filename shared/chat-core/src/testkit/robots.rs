//! Scripted robots for tests: each one behaves in one known way (echo, batch, fail,
//! hang, take arguments), so use-case and end-to-end tests can pin the core's handling
//! of robot output without an LLM.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use crate::model::{
    ContentType, Delivery, RobotAnswer, RobotArg, RobotChunk, RobotFailure, RobotInfo, RobotRequest,
};
use crate::ports::{RobotStream, Robots};

pub const ECHO: &str = "test.echo";
pub const BATCH: &str = "test.batch";
pub const FAIL: &str = "test.fail";
pub const HANG: &str = "test.hang";
pub const GRAPH: &str = "test.graph";
/// Reads the file it is given (`args.fileId`) and answers four times: a chat summary,
/// a graph, an image and a file, like the forms robot.
pub const MULTI: &str = "test.multi";

/// The scripted robots. `pace` is the pause between the echo robot's words.
pub struct ScriptedRobots {
    catalog: Vec<RobotInfo>,
    pace: Duration,
}

fn info(
    name: &str,
    delivery: Delivery,
    content_type: ContentType,
    args: Vec<RobotArg>,
) -> RobotInfo {
    RobotInfo {
        name: name.to_string(),
        description: format!("scripted test robot {name}"),
        delivery,
        content_type,
        args,
    }
}

impl ScriptedRobots {
    pub fn new(pace: Duration) -> Self {
        let optional = |name: &str| RobotArg {
            name: name.to_string(),
            description: format!("{name}, optional"),
            required: false,
        };
        ScriptedRobots {
            catalog: vec![
                info(
                    ECHO,
                    Delivery::Streaming,
                    ContentType::Chat,
                    vec![optional("repeat")],
                ),
                info(
                    BATCH,
                    Delivery::BatchDelay,
                    ContentType::Chat,
                    vec![RobotArg {
                        name: "customerName".into(),
                        description: "who the answer is for".into(),
                        required: false,
                    }],
                ),
                info(FAIL, Delivery::Streaming, ContentType::Chat, vec![]),
                info(HANG, Delivery::BatchDelay, ContentType::Chat, vec![]),
                info(GRAPH, Delivery::BatchDelay, ContentType::Graph, vec![]),
                info(
                    MULTI,
                    Delivery::BatchDelay,
                    ContentType::Chat,
                    vec![optional("fileId")],
                ),
            ],
            pace,
        }
    }
}

impl Robots for ScriptedRobots {
    fn catalog(&self) -> &[RobotInfo] {
        &self.catalog
    }

    fn answer(&self, request: RobotRequest) -> RobotStream {
        let pace = self.pace;
        match request.robot.as_str() {
            // Each word of the request (times `repeat`), as its own chunk.
            ECHO => {
                let repeat = request
                    .args
                    .get("repeat")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(1) as usize;
                let words: Vec<String> = std::iter::repeat_n(request.text.clone(), repeat)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_inclusive(' ')
                    .map(str::to_string)
                    .collect();
                futures::stream::iter(words)
                    .then(move |w| async move {
                        if !pace.is_zero() {
                            tokio::time::sleep(pace).await;
                        }
                        Ok(RobotChunk::Text(w))
                    })
                    .boxed()
            }
            BATCH => {
                let who = request
                    .args
                    .get("customerName")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .or(request.issue.customer_name.clone())
                    .unwrap_or_else(|| "nobody".into());
                let mut text = format!(
                    "answer for {who} about {:?}: {}",
                    request.issue.title, request.text
                );
                if let Some(observations) = &request.issue.observations {
                    text.push_str(&format!(" [diagnostics: {}]", observations.join("; ")));
                }
                futures::stream::once(async move {
                    Ok(RobotChunk::Final(RobotAnswer::new(
                        ContentType::Chat,
                        text,
                        None,
                    )))
                })
                .boxed()
            }
            FAIL => futures::stream::iter(vec![
                Ok(RobotChunk::Text("partial ".into())),
                Err(RobotFailure("the test robot failed on purpose".into())),
            ])
            .boxed(),
            HANG => futures::stream::pending().boxed(),
            GRAPH => futures::stream::once(async {
                Ok(RobotChunk::Final(RobotAnswer::new(
                    ContentType::Graph,
                    "two fields",
                    Some(two_fields()),
                )))
            })
            .boxed(),
            MULTI => futures::stream::iter(multi_answers(&request)).boxed(),
            other => {
                let reason = format!("no scripted robot {other}");
                futures::stream::once(async move { Err(RobotFailure(reason)) }).boxed()
            }
        }
    }
}

fn two_fields() -> serde_json::Value {
    json!({
        "nodes": [{"id": "a", "label": "A", "kind": "field"}, {"id": "b", "label": "B", "kind": "field"}],
        "edges": [{"from": "a", "to": "b", "kind": "logic"}]
    })
}

/// The [`MULTI`] robot's four answers about the attached file (or a failure without one).
fn multi_answers(request: &RobotRequest) -> Vec<Result<RobotChunk, RobotFailure>> {
    let Some(input) = &request.attachment else {
        return vec![Err(RobotFailure("test.multi needs a fileId".into()))];
    };
    let size = input.bytes.len();
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text y="15">{size}</text></svg>"#
    );
    vec![
        Ok(RobotChunk::Final(RobotAnswer::new(
            ContentType::Chat,
            format!("{} is {size} bytes", input.name),
            Some(json!({ "observations": [format!("{} has {size} bytes", input.name)] })),
        ))),
        Ok(RobotChunk::More(RobotAnswer::new(
            ContentType::Graph,
            "two fields",
            Some(two_fields()),
        ))),
        Ok(RobotChunk::More(RobotAnswer {
            content_type: ContentType::Image,
            text: "the drawing".into(),
            data: Some(json!({ "width": 40, "height": 20 })),
            file: Some(crate::model::RobotFile {
                name: "drawing.svg".into(),
                content_type: "image/svg+xml".into(),
                bytes: svg.into_bytes(),
            }),
        })),
        Ok(RobotChunk::More(RobotAnswer {
            content_type: ContentType::File,
            text: "the report".into(),
            data: None,
            file: Some(crate::model::RobotFile {
                name: "report.json".into(),
                content_type: "application/json".into(),
                bytes: json!({ "size": size }).to_string().into_bytes(),
            }),
        })),
    ]
}
