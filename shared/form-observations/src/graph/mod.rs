//! The dependency graph of a form and the cycles in it.
//!
//! - `export`: the graph as JSON (the robot's `graph` answer).
//! - `svg`: the graph drawn as SVG (the robot's `image` answer).
//!
//! Nodes are field positions (sort order). An edge `from → to` means "the
//! visibility or value of `from` depends on `to`". A cycle is a strongly
//! connected component with more than one field, or a field that depends on
//! itself: that is what makes a form unable to settle. Walking paths instead
//! (as the earlier library did) misreads diamonds and repeated checks as
//! cycles, so components come from petgraph's Tarjan implementation.

pub mod export;
pub mod svg;

use std::collections::VecDeque;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::calc::{self, Calculations};
use crate::logic;
use crate::model::{FieldId, Form};

/// The two dependency families the makers analyse separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Family {
    /// Visibility logic (show/hide).
    Logic,
    /// Calculated values.
    Calculation,
}

/// Why one field depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EdgeKind {
    /// The field's own logic checks the other field.
    Logic,
    /// The field sits in a section whose logic can hide it.
    Section,
    /// The field belongs to a table whose logic can hide it.
    Table,
    /// The field's own calculation reads the other field.
    Calculation,
    /// A table cell runs its column's calculation.
    Column,
}

impl EdgeKind {
    pub fn family(self) -> Family {
        match self {
            Self::Logic | Self::Section | Self::Table => Family::Logic,
            Self::Calculation | Self::Column => Family::Calculation,
        }
    }
}

/// `from` depends on `to` (both field positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
}

/// A reference from the field at `from` to an id the form does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangling {
    pub from: usize,
    pub to: FieldId,
    pub family: Family,
}

/// A set of fields that all depend on each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// Every member, in sort order.
    pub members: Vec<usize>,
    /// One concrete loop through the first member, starting and ending
    /// there, to show a person how the dependency goes round.
    pub path: Vec<usize>,
}

/// All dependencies of a form, both families.
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    node_count: usize,
    edges: Vec<Dependency>,
    dangling: Vec<Dangling>,
}

impl DependencyGraph {
    pub fn of_form(form: &Form, calculations: &Calculations) -> Self {
        let (mut edges, mut dangling) = logic::dependencies(form);
        let (calc_edges, calc_dangling) = calc::dependencies(form, calculations);
        edges.extend(calc_edges);
        dangling.extend(calc_dangling);
        Self {
            node_count: form.fields.len(),
            edges,
            dangling,
        }
    }

    pub fn edges(&self) -> &[Dependency] {
        &self.edges
    }

    pub fn dangling(&self) -> &[Dangling] {
        &self.dangling
    }

    /// Cycles among the edges of one family, or of both when `None`.
    pub fn cycles(&self, family: Option<Family>) -> Vec<Cycle> {
        let pairs: Vec<(usize, usize)> = self
            .edges
            .iter()
            .filter(|edge| family.is_none_or(|f| edge.kind.family() == f))
            .map(|edge| (edge.from, edge.to))
            .collect();
        find_cycles(self.node_count, &pairs)
    }
}

/// Cycles of the directed graph with nodes `0..node_count` and the given
/// edges (out-of-range edges are ignored). Members of each cycle are
/// sorted, and cycles are ordered by their first member.
pub fn find_cycles(node_count: usize, edges: &[(usize, usize)]) -> Vec<Cycle> {
    let mut graph = DiGraph::<(), ()>::with_capacity(node_count, edges.len());
    for _ in 0..node_count {
        graph.add_node(());
    }
    for &(from, to) in edges {
        if from < node_count && to < node_count {
            graph.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
        }
    }
    let mut cycles: Vec<Cycle> = tarjan_scc(&graph)
        .into_iter()
        .filter(|component| match component.as_slice() {
            [single] => graph.contains_edge(*single, *single),
            _ => true,
        })
        .map(|component| {
            let mut members: Vec<usize> = component.iter().map(|n| n.index()).collect();
            members.sort_unstable();
            let path = example_loop(&graph, &members);
            Cycle { members, path }
        })
        .collect();
    cycles.sort_by_key(|cycle| cycle.members.first().copied());
    cycles
}

/// The shortest loop from the first member back to itself, staying inside
/// the component (breadth-first search, so it is deterministic and short).
fn example_loop(graph: &DiGraph<(), ()>, members: &[usize]) -> Vec<usize> {
    let Some(&start) = members.first() else {
        return Vec::new();
    };
    let inside = |n: usize| members.binary_search(&n).is_ok();
    let mut came_from: Vec<Option<usize>> = vec![None; graph.node_count()];
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.neighbors(NodeIndex::new(node)).map(|n| n.index()) {
            if next == start {
                // Walk the search tree back to the start, then read it forwards.
                let mut chain = vec![node];
                let mut at = node;
                while at != start {
                    at = came_from.get(at).copied().flatten().unwrap_or(start);
                    chain.push(at);
                }
                chain.reverse();
                chain.push(start);
                return chain;
            }
            if inside(next) && next != start && came_from.get(next).is_some_and(Option::is_none) {
                if let Some(slot) = came_from.get_mut(next) {
                    *slot = Some(node);
                }
                queue.push_back(next);
            }
        }
    }
    vec![start]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(cycles: &[Cycle]) -> Vec<Vec<usize>> {
        cycles.iter().map(|c| c.members.clone()).collect()
    }

    #[test]
    fn a_diamond_is_not_a_cycle() {
        let diamond = [(0, 1), (0, 2), (1, 3), (2, 3)];
        assert!(find_cycles(4, &diamond).is_empty());
    }

    #[test]
    fn a_self_reference_is_a_cycle_of_one() {
        assert_eq!(members(&find_cycles(2, &[(1, 1), (0, 1)])), vec![vec![1]]);
    }

    #[test]
    fn a_tail_into_a_ring_is_not_part_of_it() {
        // 0 → 1 → 2 → 3 → 1: the big-dipper shape.
        let cycles = find_cycles(4, &[(0, 1), (1, 2), (2, 3), (3, 1)]);
        assert_eq!(members(&cycles), vec![vec![1, 2, 3]]);
        assert_eq!(cycles[0].path, vec![1, 2, 3, 1]);
    }

    #[test]
    fn the_example_loop_follows_edge_direction() {
        let cycles = find_cycles(3, &[(0, 2), (2, 1), (1, 0)]);
        assert_eq!(cycles[0].path, vec![0, 2, 1, 0]);
    }

    #[test]
    fn out_of_range_edges_are_ignored() {
        assert!(find_cycles(1, &[(0, 5), (5, 0)]).is_empty());
    }
}
