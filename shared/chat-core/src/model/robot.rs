//! Robots as the core sees them: what a robot says about itself, what it is given, and
//! what it answers. Who the robots are and how they think lives behind the
//! [`Robots`](crate::ports::Robots) port (the `robots` crate).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{FileId, IssueId};
use crate::model::identity::Tier;
use crate::model::message::{ContentType, Delivery};

/// The forms-diagnostics robot. Its answers carry `data.observations` (a list of
/// sentences about the form), which other robots receive as the issue's latest
/// diagnostics ([`IssueBrief::observations`]).
pub const FORMS_DIAGNOSTICS_ROBOT: &str = "iStackBuddy.forms.diagnostics";

/// One argument a robot accepts in `robot.ask {args}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RobotArg {
    pub name: String,
    pub description: String,
    pub required: bool,
}

/// A robot's card: `robot.list` shows it, the core checks `robot.ask` against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RobotInfo {
    pub name: String,
    pub description: String,
    pub delivery: Delivery,
    /// What its answers usually are; one answer may still choose another type.
    pub content_type: ContentType,
    pub args: Vec<RobotArg>,
}

/// The issue a request is about: metadata only, never the transcript (DESIGN §3).
#[derive(Debug, Clone, PartialEq)]
pub struct IssueBrief {
    pub id: IssueId,
    pub title: String,
    pub customer_name: Option<String>,
    pub form_id: Option<String>,
    pub tier: Tier,
    /// The observations of the issue's latest completed forms-diagnostics answer, when
    /// it has one.
    pub observations: Option<Vec<String>>,
}

/// Everything a robot is given for one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotRequest {
    pub robot: String,
    /// The employee's request text.
    pub text: String,
    /// `robot.ask {args}`, checked against [`RobotInfo::args`].
    pub args: Map<String, Value>,
    pub issue: IssueBrief,
    /// The file `args.fileId` names, read by the core after checking it is a complete
    /// file of the same room: robots never reach storage themselves.
    pub attachment: Option<RobotInput>,
}

/// A file handed to a robot with its request.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotInput {
    pub file_id: FileId,
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// File content a robot answers with (an `image` or `file` answer). The core stores it
/// and gives the message `data.fileId`, so members who may see the answer can
/// download it like any other file.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A robot's finished answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotAnswer {
    pub content_type: ContentType,
    pub text: String,
    pub data: Option<Value>,
    /// Content to store as a file (for `image` and `file` answers).
    pub file: Option<RobotFile>,
}

impl RobotAnswer {
    /// A text (or typed `data`) answer without a file.
    pub fn new(content_type: ContentType, text: impl Into<String>, data: Option<Value>) -> Self {
        RobotAnswer {
            content_type,
            text: text.into(),
            data,
            file: None,
        }
    }
}

/// One item of a robot's output stream: ordered text (streaming robots), or the whole
/// answer at once (batch robots, or a streaming robot that wants a typed result), then
/// any further answers to the same question.
#[derive(Debug, Clone, PartialEq)]
pub enum RobotChunk {
    Text(String),
    Final(RobotAnswer),
    /// Another answer to the same request (a graph, an image, a report): posted as its
    /// own message after the first, in the order given, with the same visibility.
    More(RobotAnswer),
}

/// Why a robot could not answer, in words an employee can read (the message shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotFailure(pub String);

impl std::fmt::Display for RobotFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
