//! Calculations: parsing each field's calculation and working out which
//! calculation actually applies to which field.
//!
//! - `lexer`, `parser`, `ast`: the calculation language.
//! - `error`: what can be wrong with calculation text.
//!
//! Table cells have no calculation of their own: a cell takes the
//! calculation of its column (`parent_tableheader_id`). `Calculations`
//! resolves that once so every maker sees the same picture.

pub mod ast;
mod error;
pub mod lexer;
pub mod parser;

pub use ast::{BinOp, DateCalc, DateOp, DateOperand, DateUnit, Expr};
pub use error::CalcError;
pub use parser::parse;

use crate::graph::{Dangling, Dependency, EdgeKind, Family};
use crate::logic::{dedup, dedup_dangling};
use crate::model::{CalculationSource, FieldId, FieldType, Form};
use lexer::Token;

/// Where a field's calculation is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalcOrigin {
    /// On the field itself.
    Own,
    /// On the table column (`tableheader`) the cell belongs to.
    Column(FieldId),
}

/// Numeric or date, as Formstack distinguishes them in its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalcKind {
    Numeric,
    Date,
}

impl CalcKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Numeric => "numeric",
            Self::Date => "date",
        }
    }
}

/// One field's effective calculation.
#[derive(Debug, Clone, PartialEq)]
pub struct Calculation {
    pub origin: CalcOrigin,
    pub kind: CalcKind,
    /// The calculation as written; date calculations are shown in the
    /// `date_calc(...)` form.
    pub text: String,
    pub parsed: Result<Expr, CalcError>,
    /// Fields the calculation reads. Taken from the tokens, so a calculation
    /// that does not parse still records what it depends on.
    pub references: Vec<FieldId>,
}

/// Effective calculations of a form, indexed by field position.
#[derive(Debug, Clone, Default)]
pub struct Calculations {
    by_position: Vec<Option<Calculation>>,
}

impl Calculations {
    pub fn of_form(form: &Form) -> Self {
        let own: Vec<Option<Calculation>> = form
            .fields
            .iter()
            .map(|field| field.calculation.as_ref().map(own_calculation))
            .collect();
        let mut by_position = own.clone();
        for (position, field) in form.fields.iter().enumerate() {
            if own[position].is_some() || field.kind != FieldType::TableCell {
                continue;
            }
            let Some(column) = field.table.as_ref().and_then(|t| t.column.as_ref()) else {
                continue;
            };
            let inherited = form
                .position(column)
                .and_then(|p| own.get(p))
                .and_then(Option::as_ref);
            if let Some(calculation) = inherited {
                by_position[position] = Some(Calculation {
                    origin: CalcOrigin::Column(column.clone()),
                    ..calculation.clone()
                });
            }
        }
        Self { by_position }
    }

    /// The calculation that applies to the field at `position`, if any.
    pub fn at(&self, position: usize) -> Option<&Calculation> {
        self.by_position.get(position).and_then(Option::as_ref)
    }

    /// Every field with a calculation, as (position, calculation).
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Calculation)> {
        self.by_position
            .iter()
            .enumerate()
            .filter_map(|(p, c)| c.as_ref().map(|c| (p, c)))
    }
}

/// Every calculation dependency in the form, plus references to fields the
/// form does not have. A cell depends on its column (whose formula it runs),
/// and the column on the fields its formula reads; a missing field is
/// reported once, at the column, not again for every cell.
pub fn dependencies(form: &Form, calculations: &Calculations) -> (Vec<Dependency>, Vec<Dangling>) {
    let mut edges = Vec::new();
    let mut dangling = Vec::new();
    for (position, calculation) in calculations.iter() {
        match &calculation.origin {
            CalcOrigin::Own => {
                for reference in &calculation.references {
                    match form.position(reference) {
                        Some(to) => edges.push(Dependency {
                            from: position,
                            to,
                            kind: EdgeKind::Calculation,
                        }),
                        None => dangling.push(Dangling {
                            from: position,
                            to: reference.clone(),
                            family: Family::Calculation,
                        }),
                    }
                }
            }
            CalcOrigin::Column(column) => {
                if let Some(to) = form.position(column) {
                    edges.push(Dependency {
                        from: position,
                        to,
                        kind: EdgeKind::Column,
                    });
                }
            }
        }
    }
    dedup(&mut edges);
    dedup_dangling(&mut dangling);
    (edges, dangling)
}

fn own_calculation(source: &CalculationSource) -> Calculation {
    match source {
        CalculationSource::Expression(text) => Calculation {
            origin: CalcOrigin::Own,
            kind: CalcKind::Numeric,
            text: text.clone(),
            parsed: parse(text),
            references: token_references(text),
        },
        CalculationSource::Date {
            first,
            second,
            operator,
            units,
        } => date_calculation(first.as_deref(), second.as_deref(), operator, units),
    }
}

/// Field ids named in calculation text, even when it does not parse: the
/// tokens read before any fault still say what the calculation depends on
/// (`[12] + [` depends on field 12).
fn token_references(text: &str) -> Vec<FieldId> {
    let (tokens, _) = lexer::tokenize_prefix(text);
    let mut found: Vec<FieldId> = Vec::new();
    for spanned in tokens {
        if let Token::Field(id) = spanned.token
            && !found.contains(&id)
        {
            found.push(id);
        }
    }
    found
}

fn date_operand(raw: &str) -> DateOperand {
    let inner = raw.trim().trim_start_matches('[').trim_end_matches(']');
    if inner.trim().eq_ignore_ascii_case("current_date") {
        DateOperand::CurrentDate
    } else {
        // Blank operands were already turned into `None` by the model.
        FieldId::parse(inner)
            .map(DateOperand::Field)
            .unwrap_or(DateOperand::CurrentDate)
    }
}

fn date_calculation(
    first: Option<&str>,
    second: Option<&str>,
    operator: &str,
    units: &str,
) -> Calculation {
    let first = first.map(date_operand);
    let second = second.map(date_operand);
    let references: Vec<FieldId> = [&first, &second]
        .into_iter()
        .flatten()
        .filter_map(|operand| match operand {
            DateOperand::Field(id) => Some(id.clone()),
            DateOperand::CurrentDate => None,
        })
        .fold(Vec::new(), |mut found, id| {
            if !found.contains(&id) {
                found.push(id);
            }
            found
        });
    let parsed = (|| {
        let first = first
            .clone()
            .ok_or(CalcError::MissingDateOperand { which: "first" })?;
        let second = second
            .clone()
            .ok_or(CalcError::MissingDateOperand { which: "second" })?;
        // Forms saved without an operator (5375703) are read as "plus", the
        // builder's default, as the earlier library also did.
        let op = if operator.trim().is_empty() {
            DateOp::Plus
        } else {
            DateOp::parse(operator)
                .ok_or_else(|| CalcError::UnknownDateOperator(operator.to_owned()))?
        };
        let unit =
            DateUnit::parse(units).ok_or_else(|| CalcError::UnknownDateUnit(units.to_owned()))?;
        Ok(Expr::DateCalc(DateCalc {
            first,
            second,
            op,
            unit,
        }))
    })();
    let shown = |operand: &Option<DateOperand>| {
        operand
            .as_ref()
            .map_or_else(|| "(none)".to_owned(), ToString::to_string)
    };
    let text = match &parsed {
        Ok(expr) => expr.to_string(),
        // Show what is stored, so the owner can see which part is off.
        Err(_) => format!(
            "date_calc({}, {}, '{operator}', '{units}')",
            shown(&first),
            shown(&second)
        ),
    };
    Calculation {
        origin: CalcOrigin::Own,
        kind: CalcKind::Date,
        text,
        parsed,
        references,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(fields: serde_json::Value) -> Form {
        Form::from_json_value(json!({ "id": 1, "fields": fields })).expect("a form")
    }

    #[test]
    fn table_cells_take_their_columns_calculation() {
        let form = form(json!([
            {"id": 1, "type": "tableheader", "sort": 1, "calculation": "[9] + 1"},
            {"id": 2, "type": "tablecell", "sort": 2, "parent_tableheader_id": 1},
            {"id": 9, "type": "number", "sort": 3}
        ]));
        let calcs = Calculations::of_form(&form);
        let cell = calcs.at(1).expect("cell calculation");
        assert_eq!(
            cell.origin,
            CalcOrigin::Column(FieldId::parse("1").expect("id"))
        );
        assert_eq!(cell.text, "[9] + 1");
        assert!(calcs.at(2).is_none());
    }

    #[test]
    fn malformed_text_still_records_its_references() {
        let form =
            form(json!([{"id": 1, "calculation": "[84] +"}, {"id": 2, "calculation": "[5] + [6"}]));
        let calcs = Calculations::of_form(&form);
        let first = calcs.at(0).expect("calculation");
        assert!(first.parsed.is_err());
        assert_eq!(first.references, vec![FieldId::parse("84").expect("id")]);
        assert_eq!(
            calcs.at(1).expect("calc").references,
            vec![FieldId::parse("5").expect("id")]
        );
    }

    #[test]
    fn date_calculations_render_and_validate() {
        let form = form(json!([{"id": 1, "field_one_calculation": "186962404",
            "field_two_calculation": "186962403", "calculation_operator": "+",
            "calculation_units": "days"},
            {"id": 2, "field_one_calculation": "current_date", "calculation_operator": "plus",
            "calculation_units": "days"}]));
        let calcs = Calculations::of_form(&form);
        let ok = calcs.at(0).expect("calc");
        assert!(ok.parsed.is_ok());
        assert_eq!(
            ok.text,
            "date_calc([186962404], [186962403], 'plus', 'days')"
        );
        assert_eq!(ok.references.len(), 2);
        let missing = calcs.at(1).expect("calc");
        assert_eq!(
            missing.parsed,
            Err(CalcError::MissingDateOperand { which: "second" })
        );
    }
}
