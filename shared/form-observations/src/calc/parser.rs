//! Precedence-climbing parser for calculation text.
//!
//! Grammar (lowest binding first):
//!
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/') unary)*
//! unary   := ('-' | '+') unary | primary
//! primary := number | '[' id ']' | current_date | '(' expr ')'
//!          | date_calc '(' date ',' date ',' text ',' text ')'
//! date    := '[' id ']' | current_date
//! ```

use super::ast::{BinOp, DateCalc, DateOp, DateOperand, DateUnit, Expr};
use super::error::CalcError;
use super::lexer::{Spanned, Token, tokenize};

/// Deepest nesting of parentheses and unary signs accepted. Real
/// calculations nest a handful of levels; the cap keeps recursion bounded on
/// hostile input.
pub const MAX_DEPTH: usize = 64;

/// Parses calculation text into a tree.
pub fn parse(source: &str) -> Result<Expr, CalcError> {
    let tokens = tokenize(source)?;
    if tokens.is_empty() {
        return Err(CalcError::Empty);
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    let expr = parser.expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(Spanned {
            token: Token::RParen,
            column,
        }) => Err(CalcError::UnmatchedParenthesis { column: *column }),
        Some(other) => Err(CalcError::UnexpectedToken {
            column: other.column,
            found: other.token.describe(),
            expected: "an operator",
        }),
    }
}

struct Parser {
    tokens: Vec<Spanned>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Spanned> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Spanned> {
        let token = self.tokens.get(self.at).cloned();
        if token.is_some() {
            self.at += 1;
        }
        token
    }

    fn binary_op(&self, ops: &[(Token, BinOp)]) -> Option<BinOp> {
        let current = &self.peek()?.token;
        ops.iter().find(|(t, _)| t == current).map(|&(_, op)| op)
    }

    fn expr(&mut self) -> Result<Expr, CalcError> {
        let ops = [(Token::Plus, BinOp::Add), (Token::Minus, BinOp::Sub)];
        let mut lhs = self.term()?;
        while let Some(op) = self.binary_op(&ops) {
            self.at += 1;
            let rhs = self.term()?;
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        Ok(lhs)
    }

    fn term(&mut self) -> Result<Expr, CalcError> {
        let ops = [(Token::Star, BinOp::Mul), (Token::Slash, BinOp::Div)];
        let mut lhs = self.unary()?;
        while let Some(op) = self.binary_op(&ops) {
            self.at += 1;
            let rhs = self.unary()?;
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        Ok(lhs)
    }

    /// Runs `inner` one nesting level deeper, refusing to go past the cap.
    fn nested<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<T, CalcError>,
    ) -> Result<T, CalcError> {
        if self.depth >= MAX_DEPTH {
            return Err(CalcError::TooDeep);
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    fn unary(&mut self) -> Result<Expr, CalcError> {
        match self.peek().map(|s| &s.token) {
            Some(Token::Minus) => {
                self.at += 1;
                self.nested(|p| p.unary())
                    .map(|inner| Expr::Neg(Box::new(inner)))
            }
            // A leading plus changes nothing, so it leaves no trace in the tree.
            Some(Token::Plus) => {
                self.at += 1;
                self.nested(|p| p.unary())
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, CalcError> {
        const EXPECTED: &str = "a number, a field or '('";
        let Some(Spanned { token, column }) = self.next() else {
            return Err(CalcError::UnexpectedEnd { expected: EXPECTED });
        };
        match token {
            Token::Number(value) => Ok(Expr::Number(value)),
            Token::Field(id) => Ok(Expr::Field(id)),
            Token::CurrentDate => Ok(Expr::CurrentDate),
            Token::LParen => {
                let inner = self.nested(|p| p.expr())?;
                match self.next() {
                    Some(Spanned {
                        token: Token::RParen,
                        ..
                    }) => Ok(inner),
                    // Name the '(' left open: that is where the fix goes.
                    None => Err(CalcError::UnclosedParenthesis { column }),
                    Some(other) => Err(CalcError::UnexpectedToken {
                        column: other.column,
                        found: other.token.describe(),
                        expected: "')' or an operator",
                    }),
                }
            }
            Token::Ident(name) if name.eq_ignore_ascii_case("date_calc") => self.date_calc(),
            Token::Ident(name) => Err(CalcError::UnknownName { column, name }),
            other => Err(CalcError::UnexpectedToken {
                column,
                found: other.describe(),
                expected: EXPECTED,
            }),
        }
    }

    fn consume(&mut self, wanted: Token, expected: &'static str) -> Result<(), CalcError> {
        match self.next() {
            Some(Spanned { token, .. }) if token == wanted => Ok(()),
            Some(Spanned { token, column }) => Err(CalcError::UnexpectedToken {
                column,
                found: token.describe(),
                expected,
            }),
            None => Err(CalcError::UnexpectedEnd { expected }),
        }
    }

    fn date_calc(&mut self) -> Result<Expr, CalcError> {
        self.consume(Token::LParen, "'(' after date_calc")?;
        let first = self.date_operand()?;
        self.consume(Token::Comma, "','")?;
        let second = self.date_operand()?;
        self.consume(Token::Comma, "','")?;
        let op_text = self.quoted_text()?;
        self.consume(Token::Comma, "','")?;
        let unit_text = self.quoted_text()?;
        self.consume(Token::RParen, "')'")?;
        let op = DateOp::parse(&op_text).ok_or(CalcError::UnknownDateOperator(op_text))?;
        let unit = DateUnit::parse(&unit_text).ok_or(CalcError::UnknownDateUnit(unit_text))?;
        Ok(Expr::DateCalc(DateCalc {
            first,
            second,
            op,
            unit,
        }))
    }

    fn date_operand(&mut self) -> Result<DateOperand, CalcError> {
        const EXPECTED: &str = "a date field or current_date";
        match self.next() {
            Some(Spanned {
                token: Token::Field(id),
                ..
            }) => Ok(DateOperand::Field(id)),
            Some(Spanned {
                token: Token::CurrentDate,
                ..
            }) => Ok(DateOperand::CurrentDate),
            Some(Spanned { token, column }) => Err(CalcError::UnexpectedToken {
                column,
                found: token.describe(),
                expected: EXPECTED,
            }),
            None => Err(CalcError::UnexpectedEnd { expected: EXPECTED }),
        }
    }

    fn quoted_text(&mut self) -> Result<String, CalcError> {
        const EXPECTED: &str = "quoted text";
        match self.next() {
            Some(Spanned {
                token: Token::Str(text),
                ..
            }) => Ok(text),
            Some(Spanned { token, column }) => Err(CalcError::UnexpectedToken {
                column,
                found: token.describe(),
                expected: EXPECTED,
            }),
            None => Err(CalcError::UnexpectedEnd { expected: EXPECTED }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldId;

    fn field(id: &str) -> Box<Expr> {
        Box::new(Expr::Field(FieldId::parse(id).expect("id")))
    }

    #[test]
    fn multiplication_binds_tighter_than_addition() {
        assert_eq!(
            parse("[1] + [2] * 3").expect("parses"),
            Expr::Binary {
                op: BinOp::Add,
                lhs: field("1"),
                rhs: Box::new(Expr::Binary {
                    op: BinOp::Mul,
                    lhs: field("2"),
                    rhs: Box::new(Expr::Number(3.0)),
                }),
            }
        );
    }

    #[test]
    fn accepts_what_the_earlier_library_rejected() {
        for valid in [
            "( [1] + 1 ) * ( [2] + 1 )",
            "-[1] + -2.5",
            "[current_date] - [3]",
            "date_calc( [4], [current_date], '+', 'days')",
            "date_calc([4], [5], 'minus', 'weeks')",
            "[183011259] / ( 2 * [183011260] )",
            "3.14",
        ] {
            assert!(parse(valid).is_ok(), "{valid}: {:?}", parse(valid));
        }
    }

    #[test]
    fn subtraction_is_left_associative() {
        let tree = parse("10 - 4 - 3").expect("parses");
        assert_eq!(tree.to_string(), "10 - 4 - 3");
        let grouped = parse("10 - (4 - 3)").expect("parses");
        assert_eq!(grouped.to_string(), "10 - (4 - 3)");
        assert_ne!(tree, grouped);
    }

    #[test]
    fn names_the_fault_in_malformed_text() {
        assert_eq!(
            parse("[84] +"),
            Err(CalcError::UnexpectedEnd {
                expected: "a number, a field or '('"
            })
        );
        assert_eq!(
            parse("( ( [1] * [2] ) * ( 5 / 2 )"),
            Err(CalcError::UnclosedParenthesis { column: 1 })
        );
        assert_eq!(
            parse("[1] + 2)"),
            Err(CalcError::UnmatchedParenthesis { column: 8 })
        );
        assert_eq!(parse("   "), Err(CalcError::Empty));
        assert!(matches!(
            parse("[1] [2]"),
            Err(CalcError::UnexpectedToken { .. })
        ));
        assert!(matches!(
            parse("sqrt(4)"),
            Err(CalcError::UnknownName { .. })
        ));
        assert_eq!(
            parse("date_calc([1], [2], 'times', 'days')"),
            Err(CalcError::UnknownDateOperator("times".into()))
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert_eq!(parse(&deep), Err(CalcError::TooDeep));
        assert_eq!(parse(&"-".repeat(500)), Err(CalcError::TooDeep));
    }
}
