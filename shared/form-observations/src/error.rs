//! The crate's error types: one for reading a form, one for a maker that
//! could not finish. Calculation syntax errors live with the parser
//! (`calc::CalcError`) because they are findings, not failures.

use thiserror::Error;

use crate::maker::Resource;

/// Why input could not be read as a form at all.
#[derive(Debug, Error)]
pub enum FormError {
    /// The text is not JSON.
    #[error("the input is not valid JSON")]
    InvalidJson(#[source] serde_json::Error),
    /// The text is JSON, but not shaped like a Formstack form.
    #[error("the input is JSON but not a Formstack form: {reason}")]
    NotAForm {
        reason: &'static str,
        #[source]
        source: Option<serde_json::Error>,
    },
}

/// Why an observation maker could not produce its observations. The
/// composite maker turns these into an ERROR log item instead of failing the
/// whole run.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MakerError {
    #[error("required resource `{0}` was not provided")]
    MissingResource(Resource),
    #[error("analysis failed: {0}")]
    Failed(String),
}
