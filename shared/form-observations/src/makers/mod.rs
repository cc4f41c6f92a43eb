//! The observation makers, one per file, and the standard line-up.
//!
//! | maker | class | finds |
//! |---|---|---|
//! | `model-integrity` | configuration | unreadable entries, duplicate ids, unknown logic words |
//! | `form-config` | configuration | workflow, approvers, encryption, one question at a time, inactive |
//! | `field-counts` | analysis | fields by type, with logic, calculated |
//! | `labels` | label | duplicate, empty and whitespace-padded labels |
//! | `logic-references` | logic | checks naming fields that do not exist |
//! | `logic-cycles` | logic | circular visibility logic |
//! | `logic-satisfiability` | logic | logic that can never match |
//! | `calculation-references` | calculation | formulas naming fields that do not exist |
//! | `calculation-syntax` | calculation | malformed formulas, plus the formula inventory |
//! | `calculation-cycles` | calculation | circular calculations |
//! | `mixed-cycles` | logic | loops that go through both logic and calculations |
//! | `field-settings` | validation | impossible ranges, choice fields without choices |

mod calc_syntax;
mod cycles;
mod field_counts;
mod field_settings;
mod form_config;
mod labels;
mod logic_satisfiability;
mod model_integrity;
mod references;

pub use calc_syntax::CalculationSyntax;
pub use cycles::Cycles;
pub use field_counts::FieldCounts;
pub use field_settings::FieldSettings;
pub use form_config::FormConfig;
pub use labels::Labels;
pub use logic_satisfiability::LogicSatisfiability;
pub use model_integrity::ModelIntegrity;
pub use references::References;

use crate::maker::CompositeMaker;
use crate::model::{FieldId, Form};

/// Every maker, in the order their findings are reported.
pub fn standard() -> CompositeMaker {
    CompositeMaker::new(vec![
        Box::new(ModelIntegrity),
        Box::new(FormConfig),
        Box::new(FieldCounts),
        Box::new(Labels),
        Box::new(References::logic()),
        Box::new(Cycles::logic()),
        Box::new(LogicSatisfiability),
        Box::new(References::calculation()),
        Box::new(CalculationSyntax),
        Box::new(Cycles::calculation()),
        Box::new(Cycles::mixed()),
        Box::new(FieldSettings),
    ])
}

/// Ids of the fields at these positions (positions come from the form, so
/// they always resolve; anything else is skipped rather than trusted).
pub(crate) fn ids_at(form: &Form, positions: &[usize]) -> Vec<FieldId> {
    positions
        .iter()
        .filter_map(|&p| form.fields.get(p).map(|f| f.id.clone()))
        .collect()
}

/// `"Label" (id), "Label" (id) and "Label" (id)` for messages.
pub(crate) fn describe_all(form: &Form, ids: &[FieldId]) -> String {
    let parts: Vec<String> = ids.iter().map(|id| form.describe(id)).collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
