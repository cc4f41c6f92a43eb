//! The `data` of file, image and graph messages (PROTOCOL §4).
//!
//! `Message.data` stays free JSON in the model (robots may attach anything a client can
//! ignore), but the shapes the server itself produces are written once here: the file
//! service and the forms robot serialize these structs, and the web client gets their
//! TypeScript from ts-rs like every other wire type.

use serde::{Deserialize, Serialize};

use crate::ids::FileId;
use crate::model::StorageClass;

/// `data` of a `file` or `image` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct FileData {
    pub file_id: FileId,
    pub name: String,
    /// Bytes.
    #[cfg_attr(feature = "schema", ts(type = "number"))]
    pub size: u64,
    pub content_type: String,
    pub storage_class: StorageClass,
    /// Images: the original's size in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Images: the thumbnail's size (`GET /files/{id}?variant=thumbnail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<PixelSize>,
    /// Why the file was refused (the message is `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// A width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ts_rs::TS))]
pub struct PixelSize {
    pub width: u32,
    pub height: u32,
}

/// `data` of a `graph` message: a form's fields and the dependencies between them. A
/// graph too large for one message comes with empty lists, `omitted` and the counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", ts(optional_fields))]
pub struct GraphData {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "schema", ts(as = "Option<bool>"))]
    pub omitted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_count: Option<u32>,
}

/// A form field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GraphNode {
    pub id: String,
    pub label: String,
    /// The field's Formstack type, or `missing` for a field that rules name but the
    /// form lacks.
    pub kind: String,
    pub in_cycle: bool,
}

/// `from` depends on `to`, through a `kind` of rule (logic, calculation, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    pub kind: String,
    pub in_cycle: bool,
}

/// A payload as `Message.data`. These structs hold only strings, numbers, booleans and
/// lists, which serde_json always serializes, so the `Null` fallback is unreachable;
/// it exists so that no code path here can panic.
pub fn to_data<T: Serialize>(payload: &T) -> serde_json::Value {
    serde_json::to_value(payload).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_options_stay_off_the_wire() {
        let graph = GraphData::default();
        assert_eq!(
            serde_json::to_value(&graph).unwrap(),
            json!({"nodes": [], "edges": []})
        );
        let omitted = GraphData {
            omitted: true,
            node_count: Some(900),
            edge_count: Some(4000),
            ..GraphData::default()
        };
        assert_eq!(
            serde_json::to_value(&omitted).unwrap(),
            json!({"nodes": [], "edges": [], "omitted": true, "nodeCount": 900, "edgeCount": 4000})
        );
    }
}
