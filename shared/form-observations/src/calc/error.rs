//! What can be wrong with a calculation's text. These are findings reported
//! to the form's owner, so positions are 1-based character columns.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalcError {
    #[error("the calculation is empty")]
    Empty,
    #[error("unexpected character '{found}' at column {column}")]
    UnexpectedChar { column: usize, found: char },
    #[error("the field reference opened at column {column} is never closed with ']'")]
    UnterminatedReference { column: usize },
    #[error("empty field reference '[]' at column {column}")]
    EmptyReference { column: usize },
    #[error("the quoted text opened at column {column} is never closed")]
    UnterminatedString { column: usize },
    #[error("'{text}' at column {column} is not a number")]
    MalformedNumber { column: usize, text: String },
    #[error("expected {expected} at column {column} but found {found}")]
    UnexpectedToken {
        column: usize,
        found: String,
        expected: &'static str,
    },
    #[error("the calculation ends where {expected} should follow")]
    UnexpectedEnd { expected: &'static str },
    #[error("the '(' at column {column} is never closed")]
    UnclosedParenthesis { column: usize },
    #[error("the ')' at column {column} has no matching '('")]
    UnmatchedParenthesis { column: usize },
    #[error("unknown name '{name}' at column {column}")]
    UnknownName { column: usize, name: String },
    #[error("a date calculation needs a {which} date, but none is set")]
    MissingDateOperand { which: &'static str },
    #[error("'{0}' is not a date operator (use plus or minus)")]
    UnknownDateOperator(String),
    #[error("'{0}' is not a date unit (minutes, hours, days, weeks, months or years)")]
    UnknownDateUnit(String),
    #[error("the calculation nests too deeply to analyse")]
    TooDeep,
    #[error("the calculation is too long to analyse")]
    TooLong,
}
