//! Validated user text: message bodies, titles, display names.
//!
//! Limits come from PROTOCOL §5 (message text ≤ 16 KiB) and from what a UI can show.
//! Parsing trims nothing: what the user typed is what is stored.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Message text limit in bytes (PROTOCOL §5).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// A message body: non-empty, at most [`MAX_MESSAGE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(raw: impl Into<String>) -> Result<Self, CoreError> {
        Self::parse_with_limit(raw, MAX_MESSAGE_BYTES)
    }

    pub fn parse_with_limit(raw: impl Into<String>, limit: usize) -> Result<Self, CoreError> {
        let raw = raw.into();
        if raw.trim().is_empty() {
            return Err(CoreError::bad_request("text must not be empty"));
        }
        if raw.len() > limit {
            return Err(CoreError::PayloadTooLarge(format!(
                "text is {} bytes; the limit is {limit}",
                raw.len()
            )));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

fn bounded_line(raw: String, what: &str, max_chars: usize) -> Result<String, CoreError> {
    if raw.trim().is_empty() {
        return Err(CoreError::bad_request(format!("{what} must not be empty")));
    }
    if raw.chars().count() > max_chars {
        return Err(CoreError::bad_request(format!(
            "{what} is longer than {max_chars} characters"
        )));
    }
    if raw.chars().any(char::is_control) {
        return Err(CoreError::bad_request(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(raw)
}

/// A room or issue title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: impl Into<String>) -> Result<Self, CoreError> {
        bounded_line(raw.into(), "title", MAX_TITLE_CHARS).map(Self)
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: impl Into<String>) -> Result<Self, CoreError> {
        bounded_line(raw.into(), "displayName", MAX_DISPLAY_NAME_CHARS).map(Self)
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn message_text_over_the_limit_is_payload_too_large() {
        let err = MessageText::parse("x".repeat(MAX_MESSAGE_BYTES + 1)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadTooLarge);
        assert!(MessageText::parse("x".repeat(MAX_MESSAGE_BYTES)).is_ok());
    }

    #[test]
    fn blank_text_and_titles_are_bad_requests() {
        assert_eq!(
            MessageText::parse("  ").unwrap_err().code(),
            ErrorCode::BadRequest
        );
        assert_eq!(Title::parse("").unwrap_err().code(), ErrorCode::BadRequest);
        assert_eq!(
            Title::parse("a\u{7}b").unwrap_err().code(),
            ErrorCode::BadRequest
        );
    }
}
