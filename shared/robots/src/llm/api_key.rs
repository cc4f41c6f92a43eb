//! [`ApiKey`]: a provider key that cannot be printed by accident.

use std::fmt;

/// A secret API key. `Debug` and `Display` print `ApiKey(***)`, so a key inside a
/// config, an error or a `tracing` field never reaches a log line; the only way to the
/// text is [`ApiKey::expose`], which is called where the request header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself. Named so that every use stands out in review.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// `text` with every occurrence of the key replaced by `***`: providers sometimes
    /// echo the key they rejected ("Incorrect API key provided: sk-…").
    pub(crate) fn scrub(&self, text: &str) -> String {
        // A very short key would turn ordinary words into stars; such a key is
        // rejected by the provider anyway and is not worth protecting this way.
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_hidden_in_debug_and_display() {
        let key = ApiKey::new("sk-very-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(***)");
        assert_eq!(format!("{key}"), "ApiKey(***)");
        assert_eq!(key.expose(), "sk-very-secret");
    }

    #[test]
    fn scrub_removes_echoed_key() {
        let key = ApiKey::new("sk-very-secret");
        assert_eq!(key.scrub("bad key sk-very-secret!"), "bad key ***!");
    }
}
