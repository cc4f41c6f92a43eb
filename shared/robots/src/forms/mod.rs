//! The forms-diagnostics robot's parts that do not depend on a room: diagnosing a form
//! and fetching one from Formstack.
//!
//! - [`diagnosis`]: [`Diagnosis`], everything the robot answers about one form (summary,
//!   graph, image, full report), from the form's JSON in one analysis pass.
//! - `summary` (private): the plain-text summary for a support engineer.
//! - `graph` (private): the engine's dependency graph in the protocol's `graph` shape.
//! - [`formstack`]: [`FormstackClient`], the Formstack API v2 client that fetches a
//!   form's JSON by id, and its configuration.
//! - [`robot`]: [`FormsRobot`], the robot itself: finds the form a request means and
//!   answers with the summary, the graph, its image and the report.
//!
//! The engine itself is `form-observations`; the `form-diagnose` command line tool runs
//! the same functions, so its JSON report is byte for byte the robot's.

pub mod diagnosis;
pub mod formstack;
mod graph;
pub mod robot;
mod summary;

pub use diagnosis::{Diagnosis, MAX_FORM_BYTES, MAX_FORM_FIELDS};
pub use formstack::{FormstackClient, FormstackConfig, TokenSource};
pub use graph::MAX_DRAWN_DEPENDENCIES;
pub use robot::FormsRobot;
pub use summary::{SUMMARY_MAX_BYTES, SUMMARY_MAX_FINDINGS};
