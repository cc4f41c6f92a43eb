//! Calculations whose text cannot be read, plus an inventory of every
//! calculated field (at debug level: useful in the JSON, noise in the text
//! summary).
//!
//! A malformed column formula is reported once, on the column, with the
//! number of cells that run it.

use serde_json::json;

use crate::calc::{CalcOrigin, Calculation};
use crate::error::MakerError;
use crate::maker::{ObservationMaker, Resource, Resources};
use crate::model::{FieldId, Form};
use crate::observation::{LogItem, LogLevel, ObservationClass, form_subject};

pub struct CalculationSyntax;

const NAME: &str = "calculation-syntax";
const CLASS: ObservationClass = ObservationClass::Calculation;

impl ObservationMaker for CalculationSyntax {
    fn name(&self) -> &'static str {
        NAME
    }

    fn class(&self) -> ObservationClass {
        CLASS
    }

    fn required_resources(&self) -> &'static [Resource] {
        &[Resource::FormModel, Resource::Analysis]
    }

    fn make_observation(&self, resources: &Resources<'_>) -> Result<Vec<LogItem>, MakerError> {
        let form = resources.form()?;
        let calculations = &resources.analysis()?.calculations;
        let mut malformed = Vec::new();
        let mut inventory = Vec::new();
        let (mut own, mut inherited) = (0usize, 0usize);
        for (position, calculation) in calculations.iter() {
            let Some(field) = form.fields.get(position) else {
                continue;
            };
            match &calculation.origin {
                CalcOrigin::Own => own += 1,
                CalcOrigin::Column(_) => inherited += 1,
            }
            if calculation.origin == CalcOrigin::Own
                && let Err(error) = &calculation.parsed
            {
                let cells = calculations
                    .iter()
                    .filter(|(_, c)| c.origin == CalcOrigin::Column(field.id.clone()))
                    .count();
                malformed.push(malformed_item(
                    form,
                    &field.id,
                    calculation,
                    &error.to_string(),
                    cells,
                ));
            }
            inventory.push(inventory_item(
                form,
                &field.id,
                field.kind.as_str(),
                calculation,
            ));
        }
        let broken = malformed.len();
        let mut items = malformed;
        items.extend(inventory);
        items.push(
            LogItem::about_form(form_subject(form), LogLevel::Info, CLASS, NAME)
                .with_message(
                    "Calculation summary",
                    if own + inherited == 0 {
                        "The form has no calculations.".to_owned()
                    } else {
                        format!(
                            "{} fields are calculated{}; {broken} formula(s) cannot be read.",
                            own + inherited,
                            if inherited > 0 {
                                format!(
                                    " ({own} with a formula of their own, {inherited} table \
                                     cells running their column's formula)"
                                )
                            } else {
                                String::new()
                            }
                        )
                    },
                )
                .with_details(json!({
                    "calculatedFields": own + inherited,
                    "ownFormulas": own,
                    "fromColumns": inherited,
                    "malformed": broken,
                })),
        );
        Ok(items)
    }
}

fn malformed_item(
    form: &Form,
    id: &FieldId,
    calculation: &Calculation,
    error: &str,
    cells: usize,
) -> LogItem {
    let reach = if cells > 0 {
        format!(" — every cell of this column ({cells}) runs it")
    } else {
        String::new()
    };
    LogItem::about_field(id, LogLevel::Error, CLASS, NAME)
        .with_message(
            "Malformed calculation",
            format!(
                "The {} calculation of {} cannot be evaluated ({error}): {}{reach}",
                calculation.kind.as_str(),
                form.describe(id),
                calculation.text
            ),
        )
        .with_details(json!({
            "calculation": calculation.text,
            "calculationKind": calculation.kind.as_str(),
            "error": error,
            "cellsAffected": cells,
        }))
}

fn inventory_item(
    form: &Form,
    id: &FieldId,
    field_type: &str,
    calculation: &Calculation,
) -> LogItem {
    let source = match &calculation.origin {
        CalcOrigin::Own => String::new(),
        CalcOrigin::Column(column) => format!(" (the formula of column {column})"),
    };
    LogItem::about_field(id, LogLevel::Debug, CLASS, NAME)
        .with_message(
            "Calculated field",
            format!(
                "{} is calculated as {}{source}.",
                form.describe(id),
                calculation.text
            ),
        )
        .with_details(json!({
            "calculation": calculation.text,
            "calculationKind": calculation.kind.as_str(),
            "fieldType": field_type,
            "fromColumn": match &calculation.origin {
                CalcOrigin::Own => None,
                CalcOrigin::Column(column) => Some(column),
            },
            "references": calculation.references,
            "parses": calculation.parsed.is_ok(),
        }))
}
