//! Splits calculation text into tokens.
//!
//! The token stream is also what dependency analysis reads when a
//! calculation does not parse: `[84] +` is malformed, but it still plainly
//! depends on field 84.

use super::error::CalcError;
use crate::model::FieldId;

/// Longest token stream analysed. Real calculations are a few dozen tokens;
/// the cap bounds the depth of the tree (and so recursion when printing or
/// dropping it) for hostile input.
pub const MAX_TOKENS: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    Field(FieldId),
    CurrentDate,
    Ident(String),
    Str(String),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    Comma,
}

impl Token {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Self::Number(value) => format!("the number {value}"),
            Self::Field(id) => format!("the field [{id}]"),
            Self::CurrentDate => "current_date".to_owned(),
            Self::Ident(name) => format!("'{name}'"),
            Self::Str(text) => format!("the text '{text}'"),
            Self::Plus => "'+'".to_owned(),
            Self::Minus => "'-'".to_owned(),
            Self::Star => "'*'".to_owned(),
            Self::Slash => "'/'".to_owned(),
            Self::LParen => "'('".to_owned(),
            Self::RParen => "')'".to_owned(),
            Self::Comma => "','".to_owned(),
        }
    }
}

/// A token and the 1-based character column it starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    pub token: Token,
    pub column: usize,
}

pub fn tokenize(source: &str) -> Result<Vec<Spanned>, CalcError> {
    match tokenize_prefix(source) {
        (tokens, None) => Ok(tokens),
        (_, Some(error)) => Err(error),
    }
}

/// The tokens before the first fault, and the fault if there is one.
pub fn tokenize_prefix(source: &str) -> (Vec<Spanned>, Option<CalcError>) {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        if tokens.len() >= MAX_TOKENS {
            return (tokens, Some(CalcError::TooLong));
        }
        match next_token(&chars, at, c) {
            Ok(None) => at += 1,
            Ok(Some((token, next))) => {
                tokens.push(Spanned {
                    token,
                    column: at + 1,
                });
                at = next;
            }
            Err(error) => return (tokens, Some(error)),
        }
    }
    (tokens, None)
}

/// The token starting at `at` (whose character is `c`) and the index after
/// it; `None` for whitespace.
fn next_token(chars: &[char], at: usize, c: char) -> Result<Option<(Token, usize)>, CalcError> {
    let single = match c {
        '+' => Some(Token::Plus),
        '-' => Some(Token::Minus),
        '*' => Some(Token::Star),
        '/' => Some(Token::Slash),
        '(' => Some(Token::LParen),
        ')' => Some(Token::RParen),
        ',' => Some(Token::Comma),
        _ => None,
    };
    if let Some(token) = single {
        return Ok(Some((token, at + 1)));
    }
    if c.is_whitespace() {
        return Ok(None);
    }
    if c == '[' {
        return reference(chars, at).map(Some);
    }
    if c == '\'' || c == '"' {
        return quoted(chars, at).map(Some);
    }
    if c.is_ascii_digit() || c == '.' {
        return number(chars, at).map(Some);
    }
    if c.is_ascii_alphabetic() || c == '_' {
        let end = scan(chars, at, |c| c.is_ascii_alphanumeric() || c == '_');
        let word: String = chars[at..end].iter().collect();
        let token = if word.eq_ignore_ascii_case("current_date") {
            Token::CurrentDate
        } else {
            Token::Ident(word)
        };
        return Ok(Some((token, end)));
    }
    Err(CalcError::UnexpectedChar {
        column: at + 1,
        found: c,
    })
}

/// First index at or after `from` where `keep` stops holding.
fn scan(chars: &[char], from: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut end = from;
    while chars.get(end).is_some_and(|&c| keep(c)) {
        end += 1;
    }
    end
}

/// `[123]` or `[current_date]`, starting at the `[`.
fn reference(chars: &[char], open: usize) -> Result<(Token, usize), CalcError> {
    let column = open + 1;
    let close = scan(chars, open + 1, |c| c != ']' && c != '[');
    if chars.get(close) != Some(&']') {
        return Err(CalcError::UnterminatedReference { column });
    }
    let inner: String = chars[open + 1..close].iter().collect();
    let token = if inner.trim().eq_ignore_ascii_case("current_date") {
        Token::CurrentDate
    } else {
        Token::Field(FieldId::parse(&inner).ok_or(CalcError::EmptyReference { column })?)
    };
    Ok((token, close + 1))
}

/// `'plus'` or `"days"`, starting at the quote.
fn quoted(chars: &[char], open: usize) -> Result<(Token, usize), CalcError> {
    let quote = chars[open];
    let close = scan(chars, open + 1, |c| c != quote);
    if close >= chars.len() {
        return Err(CalcError::UnterminatedString { column: open + 1 });
    }
    Ok((
        Token::Str(chars[open + 1..close].iter().collect()),
        close + 1,
    ))
}

/// Digits with at most one decimal point: `12`, `3.14`, `.5`, `5.`.
fn number(chars: &[char], start: usize) -> Result<(Token, usize), CalcError> {
    let end = scan(chars, start, |c| c.is_ascii_digit() || c == '.');
    let text: String = chars[start..end].iter().collect();
    let malformed = || CalcError::MalformedNumber {
        column: start + 1,
        text: text.clone(),
    };
    if text.matches('.').count() > 1 || text == "." {
        return Err(malformed());
    }
    let value: f64 = text.parse().map_err(|_| malformed())?;
    if !value.is_finite() {
        return Err(malformed());
    }
    Ok((Token::Number(value), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Token> {
        tokenize(source)
            .expect("tokenizes")
            .into_iter()
            .map(|s| s.token)
            .collect()
    }

    #[test]
    fn reads_references_numbers_and_operators() {
        assert_eq!(
            kinds("[12] * 3.5 - .5"),
            vec![
                Token::Field(FieldId::parse("12").expect("id")),
                Token::Star,
                Token::Number(3.5),
                Token::Minus,
                Token::Number(0.5),
            ]
        );
    }

    #[test]
    fn current_date_is_one_token_with_or_without_brackets() {
        assert_eq!(
            kinds("[current_date] current_date"),
            vec![Token::CurrentDate; 2]
        );
    }

    #[test]
    fn reports_where_the_text_goes_wrong() {
        assert_eq!(
            tokenize("1 + [12"),
            Err(CalcError::UnterminatedReference { column: 5 })
        );
        assert_eq!(
            tokenize("[ ]"),
            Err(CalcError::EmptyReference { column: 1 })
        );
        assert_eq!(
            tokenize("1.2.3"),
            Err(CalcError::MalformedNumber {
                column: 1,
                text: "1.2.3".into()
            })
        );
        assert_eq!(
            tokenize("2 % 3"),
            Err(CalcError::UnexpectedChar {
                column: 3,
                found: '%'
            })
        );
        assert_eq!(
            tokenize("'plus"),
            Err(CalcError::UnterminatedString { column: 1 })
        );
    }

    #[test]
    fn absurdly_long_input_is_refused_not_processed() {
        let long = "1+".repeat(MAX_TOKENS);
        assert_eq!(tokenize(&long), Err(CalcError::TooLong));
    }
}
