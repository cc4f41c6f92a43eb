//! Validated user text: message bodies, titles, display names.
//!
//! Limits come from PROTOCOL §5 (message text ≤ 16 KiB) and from what a UI can show.
//! Parsing trims nothing: what the user typed is what is stored.
//!
//! Names and titles are shown where people decide whom to trust (a member list, an
//! invitation, a room header), so they may not contain characters that change how
//! other text is displayed without being seen: control characters, and every *format*
//! character (Unicode general category Cf — bidi embeddings, overrides and isolates
//! such as U+202E, zero-width spaces and joiners, the BOM, tag characters) or line and
//! paragraph separator. The categories come from the Unicode database (the
//! `unicode-properties` crate), not a hand-kept list. Message text is left as typed: it
//! round-trips byte for byte, and clients render it as text.

use serde::{Deserialize, Serialize};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::CoreError;

/// Message text limit in bytes (PROTOCOL §5).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// A message body: non-empty, at most [`MAX_MESSAGE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
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
    if let Some(c) = raw.chars().find(|&c| hides_text(c)) {
        return Err(CoreError::bad_request(format!(
            "{what} must not contain invisible or text-direction characters (found U+{:04X})",
            u32::from(c)
        )));
    }
    Ok(raw)
}

/// Whether `c` is a control character, or invisible, or reorders the text around it:
/// what a name shown to other people must not contain.
pub fn is_hidden_or_control(c: char) -> bool {
    c.is_control() || hides_text(c)
}

/// Whether `c` is invisible or reorders the text around it.
fn hides_text(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
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

    #[test]
    fn names_that_could_spoof_are_refused() {
        for spoof in [
            "admin\u{202E}txt.exe",   // right-to-left override
            "ali\u{200B}ce",          // zero-width space
            "bob\u{200D}",            // zero-width joiner
            "\u{2066}carol\u{2069}",  // isolates
            "sam\u{FEFF}",            // byte order mark
            "dana\u{E0041}\u{E007F}", // tag characters
            "eve\u{2028}mallory",     // line separator
            "x\u{061C}y",             // Arabic letter mark
        ] {
            let err = DisplayName::parse(spoof).unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadRequest, "{spoof:?}");
            assert!(Title::parse(spoof).is_err(), "{spoof:?}");
        }
        for fine in [
            "Zoë Ångström",
            "山田太郎",
            "José-María O'Neil",
            "محمد",
            "Ana 🙂",
        ] {
            assert!(DisplayName::parse(fine).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn message_text_keeps_every_character_as_typed() {
        let typed = "a\u{202E}b\u{200B}c\u{E0041} \u{1F469}\u{200D}\u{1F4BB}";
        assert_eq!(MessageText::parse(typed).unwrap().as_str(), typed);
    }
}
