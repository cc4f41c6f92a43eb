//! The dependency graph as data: fields as nodes (label, type, cycle
//! membership), dependencies as edges, cycles and dangling references
//! listed. This is what the robot sends as its `graph` answer, and what the
//! SVG drawing is made from.

use serde::Serialize;

use super::{Cycle, EdgeKind, Family};
use crate::analysis::Analysis;
use crate::model::{FieldId, Form};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CycleKind {
    Logic,
    Calculation,
    Mixed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphExport {
    pub form_id: String,
    pub form_name: String,
    /// Every field, in sort order.
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    pub cycles: Vec<GraphCycle>,
    pub dangling: Vec<GraphDangling>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphNode {
    pub id: FieldId,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: String,
    /// Index in sort order (also this node's index in `nodes`).
    pub position: usize,
    pub in_cycle: bool,
    /// Indexes into `cycles` of the cycles this field belongs to.
    pub cycles: Vec<usize>,
}

/// `from` depends on `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphEdge {
    pub from: FieldId,
    pub to: FieldId,
    pub kind: EdgeKind,
    /// Both ends belong to one cycle that this kind of edge can be part of.
    pub in_cycle: bool,
    /// Node indexes, for drawing.
    #[serde(skip)]
    pub source: usize,
    #[serde(skip)]
    pub target: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphCycle {
    pub kind: CycleKind,
    pub members: Vec<FieldId>,
    /// One loop through the first member, first member repeated at the end.
    #[serde(rename = "loop")]
    pub path: Vec<FieldId>,
}

/// A reference to a field the form does not have.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphDangling {
    pub from: FieldId,
    pub to: FieldId,
    pub family: Family,
    #[serde(skip)]
    pub source: usize,
}

impl GraphExport {
    pub fn build(form: &Form, analysis: &Analysis) -> Self {
        let ids = |positions: &[usize]| -> Vec<FieldId> {
            positions
                .iter()
                .filter_map(|&p| form.fields.get(p).map(|f| f.id.clone()))
                .collect()
        };
        let tagged: Vec<(CycleKind, &Cycle)> = analysis
            .logic_cycles
            .iter()
            .map(|c| (CycleKind::Logic, c))
            .chain(
                analysis
                    .calculation_cycles
                    .iter()
                    .map(|c| (CycleKind::Calculation, c)),
            )
            .chain(analysis.mixed_cycles.iter().map(|c| (CycleKind::Mixed, c)))
            .collect();
        let cycles: Vec<GraphCycle> = tagged
            .iter()
            .map(|(kind, cycle)| GraphCycle {
                kind: *kind,
                members: ids(&cycle.members),
                path: ids(&cycle.path),
            })
            .collect();
        let nodes = form
            .fields
            .iter()
            .enumerate()
            .map(|(position, field)| {
                let member_of: Vec<usize> = tagged
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, c))| c.members.binary_search(&position).is_ok())
                    .map(|(index, _)| index)
                    .collect();
                GraphNode {
                    id: field.id.clone(),
                    label: field.display_label().trim().to_owned(),
                    field_type: field.kind.as_str().to_owned(),
                    position,
                    in_cycle: !member_of.is_empty(),
                    cycles: member_of,
                }
            })
            .collect();
        let edges = analysis
            .graph
            .edges()
            .iter()
            .filter_map(|edge| {
                let in_cycle = tagged.iter().any(|(kind, cycle)| {
                    let family_fits = match kind {
                        CycleKind::Logic => edge.kind.family() == Family::Logic,
                        CycleKind::Calculation => edge.kind.family() == Family::Calculation,
                        CycleKind::Mixed => true,
                    };
                    family_fits
                        && cycle.members.binary_search(&edge.from).is_ok()
                        && cycle.members.binary_search(&edge.to).is_ok()
                });
                Some(GraphEdge {
                    from: form.fields.get(edge.from)?.id.clone(),
                    to: form.fields.get(edge.to)?.id.clone(),
                    kind: edge.kind,
                    in_cycle,
                    source: edge.from,
                    target: edge.to,
                })
            })
            .collect();
        let dangling = analysis
            .graph
            .dangling()
            .iter()
            .filter_map(|d| {
                Some(GraphDangling {
                    from: form.fields.get(d.from)?.id.clone(),
                    to: d.to.clone(),
                    family: d.family,
                    source: d.from,
                })
            })
            .collect();
        Self {
            form_id: form.id.clone(),
            form_name: form.name.clone(),
            nodes,
            edges,
            cycles,
            dangling,
        }
    }

    /// The SVG drawing of this graph.
    pub fn to_svg(&self) -> String {
        super::svg::render(self)
    }
}
