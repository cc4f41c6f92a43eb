//! Diagnostics for Formstack form definitions: what is wrong with a form,
//! as a list of observations, plus its dependency graph as JSON or SVG.
//!
//! Pure library: no I/O, no async, no chat types. The `form-diagnose`
//! binary (`src/bin/form-diagnose.rs`) is the only part that reads files.
//!
//! Modules:
//! - `model`: lenient serde model of the v2 form JSON (ids as strings or
//!   numbers, `"0"/"1"` flags, unknown types and keys accepted).
//! - `logic`: section inheritance and visibility dependencies.
//! - `calc`: calculation tokenizer, precedence parser, tree and printer;
//!   date calculations; table cells taking their column's formula.
//! - `graph`: the dependency graph, cycles as strongly connected components
//!   (petgraph), JSON export (`graph::export`) and SVG (`graph::svg`).
//! - `analysis`: the per-form work shared by makers.
//! - `observation`: the log item makers produce.
//! - `maker`: the `ObservationMaker` trait, resources and the composite.
//! - `makers`: the individual makers, one per file.
//! - `report`: the report (JSON shape and text rendering).
//! - `error`: the crate's error types.

pub mod analysis;
pub mod calc;
pub mod error;
pub mod graph;
pub mod logic;
pub mod maker;
pub mod makers;
pub mod model;
pub mod observation;
pub mod report;

pub use analysis::Analysis;
pub use error::{FormError, MakerError};
pub use graph::export::GraphExport;
pub use maker::{CompositeMaker, ObservationMaker, Resource, Resources};
pub use model::{FieldId, Form};
pub use observation::{LogItem, LogLevel, ObservationClass, SubjectType};
pub use report::{Report, Summary};

/// Runs the standard makers over a parsed form.
pub fn diagnose(form: &Form) -> Report {
    let analysis = Analysis::of_form(form);
    diagnose_with(form, &analysis)
}

/// Runs the standard makers with an analysis the caller already has (the
/// robot computes it once for the report and the graph).
pub fn diagnose_with(form: &Form, analysis: &Analysis) -> Report {
    let items = makers::standard().run(&Resources::new(form, analysis));
    Report::new(form, items)
}

/// Reads form JSON and diagnoses it.
pub fn diagnose_json(text: &str) -> Result<Report, FormError> {
    Ok(diagnose(&Form::from_json_str(text)?))
}

/// The dependency graph of a parsed form.
pub fn dependency_graph(form: &Form) -> GraphExport {
    GraphExport::build(form, &Analysis::of_form(form))
}
