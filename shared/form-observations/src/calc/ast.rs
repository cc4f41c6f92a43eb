//! The calculation syntax tree and its canonical printing.
//!
//! Printing puts in only the parentheses precedence needs, so that
//! `parse(print(ast)) == ast` holds for every tree the parser can build
//! (the property tests check this).

use std::fmt;

use crate::model::FieldId;

/// A parsed calculation.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A non-negative literal; a leading minus is always `Neg`.
    Number(f64),
    /// `[123]`: another field's value.
    Field(FieldId),
    /// `current_date` or `[current_date]`.
    CurrentDate,
    /// Unary minus.
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `date_calc([a], [b], 'plus', 'days')`: the textual form of a
    /// Formstack date calculation.
    DateCalc(DateCalc),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// Binding strength: `*` and `/` bind tighter than `+` and `-`.
    pub fn precedence(self) -> u8 {
        match self {
            Self::Add | Self::Sub => 1,
            Self::Mul | Self::Div => 2,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateCalc {
    pub first: DateOperand,
    pub second: DateOperand,
    pub op: DateOp,
    pub unit: DateUnit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateOperand {
    Field(FieldId),
    CurrentDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOp {
    Plus,
    Minus,
}

impl DateOp {
    /// Formstack stores the operator as `plus`/`minus` or as `+`/`-`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "plus" | "+" | "add" => Some(Self::Plus),
            "minus" | "-" | "subtract" => Some(Self::Minus),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plus => "plus",
            Self::Minus => "minus",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl DateUnit {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "minutes" | "minute" => Some(Self::Minutes),
            "hours" | "hour" => Some(Self::Hours),
            "days" | "day" => Some(Self::Days),
            "weeks" | "week" => Some(Self::Weeks),
            "months" | "month" => Some(Self::Months),
            "years" | "year" => Some(Self::Years),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes => "minutes",
            Self::Hours => "hours",
            Self::Days => "days",
            Self::Weeks => "weeks",
            Self::Months => "months",
            Self::Years => "years",
        }
    }
}

/// Precedence of a node as a whole; atoms bind tightest.
fn precedence(expr: &Expr) -> u8 {
    match expr {
        Expr::Binary { op, .. } => op.precedence(),
        _ => 3,
    }
}

impl Expr {
    /// Field ids this expression reads, each once, in first-seen order.
    pub fn references(&self) -> Vec<FieldId> {
        let mut found = Vec::new();
        self.collect_references(&mut found);
        found
    }

    fn collect_references(&self, found: &mut Vec<FieldId>) {
        let mut push = |id: &FieldId| {
            if !found.contains(id) {
                found.push(id.clone());
            }
        };
        match self {
            Self::Number(_) | Self::CurrentDate => {}
            Self::Field(id) => push(id),
            Self::Neg(inner) => inner.collect_references(found),
            Self::Binary { lhs, rhs, .. } => {
                lhs.collect_references(found);
                rhs.collect_references(found);
            }
            Self::DateCalc(calc) => {
                for operand in [&calc.first, &calc.second] {
                    if let DateOperand::Field(id) = operand {
                        push(id);
                    }
                }
            }
        }
    }
}

impl fmt::Display for DateOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field(id) => write!(f, "[{id}]"),
            Self::CurrentDate => f.write_str("[current_date]"),
        }
    }
}

impl fmt::Display for DateCalc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "date_calc({}, {}, '{}', '{}')",
            self.first,
            self.second,
            self.op.as_str(),
            self.unit.as_str()
        )
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // f64's Display is the shortest text that reads back to the same
            // value and never uses exponents, which the lexer does not read.
            Self::Number(value) => write!(f, "{value}"),
            Self::Field(id) => write!(f, "[{id}]"),
            Self::CurrentDate => f.write_str("[current_date]"),
            Self::Neg(inner) => {
                if precedence(inner) < 3 {
                    write!(f, "-({inner})")
                } else {
                    write!(f, "-{inner}")
                }
            }
            Self::Binary { op, lhs, rhs } => {
                let own = op.precedence();
                if precedence(lhs) < own {
                    write!(f, "({lhs})")?;
                } else {
                    write!(f, "{lhs}")?;
                }
                write!(f, " {} ", op.symbol())?;
                // Left-associative: an equal-precedence right side needs
                // parentheses, or `a - (b - c)` would print as `a - b - c`.
                if precedence(rhs) <= own {
                    write!(f, "({rhs})")
                } else {
                    write!(f, "{rhs}")
                }
            }
            Self::DateCalc(calc) => write!(f, "{calc}"),
        }
    }
}
