//! The engine's [`GraphExport`] in the shape PROTOCOL §4 gives `graph` messages:
//! `{nodes: [{id, label, kind, inCycle}], edges: [{from, to, kind, inCycle}]}`.
//!
//! The export is a diagnostic document (positions, cycle indexes, dangling references
//! listed apart); a chat client only needs something it can draw. So ids are made
//! unique (a form with duplicate field ids would otherwise give a client two nodes with
//! one id), repeated edges are merged (a rule that checks the same field twice), and a
//! reference to a field the form lacks becomes a `missing` node with an edge to it.

use std::collections::HashMap;
use std::fmt::Write as _;

use chat_core::protocol::content::{GraphData, GraphEdge, GraphNode, to_data};
use form_observations::GraphExport;
use serde_json::Value;

/// Dependencies drawn at most. Past this the picture is a thicket nobody can read, and
/// the renderer's layout time grows with the square of the graph (about 1 s for 5,000
/// dependencies in a debug build, 16 s for 30,000): a stand-in says so instead.
pub const MAX_DRAWN_DEPENDENCIES: usize = 2_000;

/// The image: the engine's drawing, or a stand-in when the graph is too large to draw.
pub(crate) fn svg(export: &GraphExport) -> String {
    let dependencies = export.edges.len() + export.dangling.len();
    if dependencies <= MAX_DRAWN_DEPENDENCIES {
        return export.to_svg();
    }
    let mut title = format!("Dependencies of form {}", export.form_id);
    if !export.form_name.trim().is_empty() {
        let _ = write!(title, " \"{}\"", export.form_name.trim());
    }
    let cycles = export.cycles.len();
    let lines = [
        title,
        format!(
            "{} fields and {dependencies} dependencies are too many to draw (the limit is {MAX_DRAWN_DEPENDENCIES}).",
            export.nodes.len()
        ),
        format!("{cycles} cycle(s): see the graph and the full report for every field."),
    ];
    let mut out = String::from(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="120" viewBox="0 0 720 120" font-family="Helvetica, Arial, sans-serif"><rect width="100%" height="100%" fill="#ffffff"/>"##,
    );
    for (i, line) in lines.iter().enumerate() {
        let (size, weight) = if i == 0 { (16, "bold") } else { (13, "normal") };
        let _ = write!(
            out,
            r#"<text x="24" y="{}" font-size="{size}" font-weight="{weight}">{}</text>"#,
            32 + i * 30,
            xml_text(line)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Text safe inside an XML element (control characters are not allowed in XML 1.0).
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The protocol graph, and the ids of the fields in a cycle (form order).
pub(crate) fn protocol_graph(export: &GraphExport) -> (Value, Vec<String>) {
    let mut nodes: Vec<GraphNode> = Vec::with_capacity(export.nodes.len());
    let mut node_at: HashMap<String, usize> = HashMap::with_capacity(export.nodes.len());
    for node in &export.nodes {
        let id = node.id.to_string();
        if let Some(&at) = node_at.get(&id) {
            // A duplicate id: Formstack resolves references to the first field, and
            // so does the engine; the second only adds its cycle membership.
            nodes[at].in_cycle |= node.in_cycle;
            continue;
        }
        let label = if node.label.is_empty() {
            id.clone()
        } else {
            node.label.clone()
        };
        node_at.insert(id.clone(), nodes.len());
        nodes.push(GraphNode {
            id,
            label,
            kind: node.field_type.clone(),
            in_cycle: node.in_cycle,
        });
    }
    let cycle_fields: Vec<String> = nodes
        .iter()
        .filter(|n| n.in_cycle)
        .map(|n| n.id.clone())
        .collect();

    let mut edges: Vec<GraphEdge> = Vec::with_capacity(export.edges.len());
    let mut edge_at: HashMap<(String, String, String), usize> = HashMap::new();
    let mut add_edge = |from: String, to: String, kind: String, in_cycle: bool| {
        let key = (from, to, kind);
        match edge_at.get(&key) {
            Some(&at) => edges[at].in_cycle |= in_cycle,
            None => {
                edge_at.insert(key.clone(), edges.len());
                let (from, to, kind) = key;
                edges.push(GraphEdge {
                    from,
                    to,
                    kind,
                    in_cycle,
                });
            }
        }
    };
    for edge in &export.edges {
        add_edge(
            edge.from.to_string(),
            edge.to.to_string(),
            serde_kind(&edge.kind),
            edge.in_cycle,
        );
    }
    for dangling in &export.dangling {
        let to = dangling.to.to_string();
        if !node_at.contains_key(&to) {
            node_at.insert(to.clone(), nodes.len());
            nodes.push(GraphNode {
                id: to.clone(),
                label: "missing field".to_owned(),
                kind: "missing".to_owned(),
                in_cycle: false,
            });
        }
        add_edge(
            dangling.from.to_string(),
            to,
            serde_kind(&dangling.family),
            false,
        );
    }

    let graph = GraphData {
        nodes,
        edges,
        ..GraphData::default()
    };
    (to_data(&graph), cycle_fields)
}

/// The engine's own JSON name for an edge kind or family (`logic`, `calculation`,
/// `section`, …), so the chat and `form-diagnose --graph json` use the same words.
fn serde_kind(kind: &impl serde::Serialize) -> String {
    match serde_json::to_value(kind) {
        Ok(Value::String(name)) => name,
        _ => "dependency".to_owned(),
    }
}
