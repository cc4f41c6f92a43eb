//! Work shared by several makers, done once per form: resolved
//! calculations, the dependency graph and its cycles.

use crate::calc::Calculations;
use crate::graph::{Cycle, DependencyGraph, Family};
use crate::logic;
use crate::model::Form;

#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Section position each field sits in.
    pub sections: Vec<Option<usize>>,
    pub calculations: Calculations,
    pub graph: DependencyGraph,
    /// Cycles of visibility logic alone.
    pub logic_cycles: Vec<Cycle>,
    /// Cycles of calculations alone.
    pub calculation_cycles: Vec<Cycle>,
    /// Cycles that only exist when logic and calculations are taken
    /// together (a field shown depending on a value calculated from a field
    /// whose visibility depends on the first one).
    pub mixed_cycles: Vec<Cycle>,
}

impl Analysis {
    pub fn of_form(form: &Form) -> Self {
        let calculations = Calculations::of_form(form);
        let graph = DependencyGraph::of_form(form, &calculations);
        let logic_cycles = graph.cycles(Some(Family::Logic));
        let calculation_cycles = graph.cycles(Some(Family::Calculation));
        // A combined cycle that is exactly a single-family cycle is already
        // reported by that family's maker.
        let mixed_cycles = graph
            .cycles(None)
            .into_iter()
            .filter(|cycle| {
                !logic_cycles
                    .iter()
                    .chain(&calculation_cycles)
                    .any(|known| known.members == cycle.members)
            })
            .collect();
        Self {
            sections: logic::sections(form),
            calculations,
            graph,
            logic_cycles,
            calculation_cycles,
            mixed_cycles,
        }
    }
}
