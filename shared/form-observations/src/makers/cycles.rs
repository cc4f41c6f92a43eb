//! Circular dependencies: fields whose visibility or value waits on itself
//! through other fields. Each strongly connected component of the
//! dependency graph is reported once, as one item naming all its members.
//!
//! Three instances: visibility logic alone, calculations alone, and loops
//! that need both families to close (reported as warnings, since Formstack
//! may still settle them once values are entered, but they make behaviour
//! depend on the order things are filled in).

use serde_json::json;

use super::{describe_all, ids_at};
use crate::analysis::Analysis;
use crate::error::MakerError;
use crate::graph::Cycle;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::{FieldType, Form};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Logic,
    Calculation,
    Mixed,
}

pub struct Cycles {
    kind: Kind,
}

impl Cycles {
    pub fn logic() -> Self {
        Self { kind: Kind::Logic }
    }

    pub fn calculation() -> Self {
        Self {
            kind: Kind::Calculation,
        }
    }

    pub fn mixed() -> Self {
        Self { kind: Kind::Mixed }
    }

    fn cycles<'a>(&self, analysis: &'a Analysis) -> &'a [Cycle] {
        match self.kind {
            Kind::Logic => &analysis.logic_cycles,
            Kind::Calculation => &analysis.calculation_cycles,
            Kind::Mixed => &analysis.mixed_cycles,
        }
    }

    fn system_type(&self) -> &'static str {
        match self.kind {
            Kind::Logic => "circular_logic",
            Kind::Calculation => "circular_calculation",
            Kind::Mixed => "circular_logic_and_calculation",
        }
    }
}

impl ObservationMaker for Cycles {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Logic => "logic-cycles",
            Kind::Calculation => "calculation-cycles",
            Kind::Mixed => "mixed-cycles",
        }
    }

    fn class(&self) -> ObservationClass {
        match self.kind {
            Kind::Logic | Kind::Mixed => ObservationClass::Logic,
            Kind::Calculation => ObservationClass::Calculation,
        }
    }

    fn required_resources(&self) -> &'static [Resource] {
        &[Resource::FormModel, Resource::Analysis]
    }

    fn make_observation(&self, resources: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
        let form = resources.form()?;
        let analysis = resources.analysis()?;
        let cycles = self.cycles(analysis);
        let mut items: Vec<LogItem> = cycles
            .iter()
            .filter_map(|cycle| self.item(form, cycle))
            .collect();
        // Mixed loops are rare; saying "none" for them would only be noise.
        if items.is_empty() && self.kind != Kind::Mixed {
            let (headline, text) = match self.kind {
                Kind::Logic => (
                    "No circular visibility logic",
                    "No field's show/hide rule depends, directly or through other fields or \
                     sections, on itself.",
                ),
                _ => (
                    "No circular calculations",
                    "No calculated value depends, directly or through other fields, on itself.",
                ),
            };
            items.push(
                LogItem::about_form(
                    form_subject(form),
                    LogLevel::Info,
                    self.class(),
                    self.name(),
                )
                .with_message(headline, text.to_owned())
                .with_details(json!({ "systemType": self.system_type(), "cycles": 0 })),
            );
        }
        Ok(items)
    }
}

impl Cycles {
    fn item(&self, form: &Form, cycle: &Cycle) -> Option<LogItem> {
        let members = ids_at(form, &cycle.members);
        let first = members.first()?;
        let path = ids_at(form, &cycle.path);
        let route = path
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" → ");
        let count = members.len();
        let of_kind = |kind: FieldType| -> Vec<_> {
            cycle
                .members
                .iter()
                .filter_map(|&p| form.fields.get(p))
                .filter(|f| f.kind == kind)
                .map(|f| f.id.clone())
                .collect()
        };
        let sections = of_kind(FieldType::Section);
        let columns = of_kind(FieldType::TableHeader);
        let who = if count == 1 {
            format!("{} depends on itself", describe_all(form, &members))
        } else {
            format!(
                "{count} fields depend on one another: {}",
                describe_all(form, &members)
            )
        };
        let alone = count == 1;
        let (level, headline, consequence) = match self.kind {
            Kind::Logic => (
                LogLevel::Error,
                "Circular visibility logic",
                if alone {
                    "Its show/hide rule tests its own value, which only exists once it is shown."
                } else {
                    "Each one's show/hide rule waits on another's, so none of them can be \
                     shown reliably."
                },
            ),
            Kind::Calculation => (
                LogLevel::Error,
                "Circular calculation",
                if alone {
                    "Its value is computed from itself, so it can never be calculated."
                } else {
                    "Each value is computed from another of them, so none can be calculated."
                },
            ),
            Kind::Mixed => (
                LogLevel::Warn,
                "Logic and calculations loop into each other",
                "Visibility rules read calculated values that are themselves computed from \
                 fields those rules hide, so the outcome depends on the order of entry.",
            ),
        };
        let mut text = format!("{who}. {consequence} Loop: {route}.");
        if !columns.is_empty() {
            text.push_str(&format!(
                " The loop runs through the calculation of table column(s) {}, which every \
                 cell of that column repeats.",
                columns
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !sections.is_empty() {
            text.push_str(&format!(
                " Section(s) {} take part: their logic hides the fields it depends on.",
                sections
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Some(
            LogItem::about_field(first, level, self.class(), self.name())
                .with_message(headline, text)
                .with_related(&members)
                .with_details(json!({
                    "systemType": self.system_type(),
                    "cycleFieldIds": members,
                    "loop": path,
                    "sectionIds": sections,
                    "columnIds": columns,
                })),
        )
    }
}
