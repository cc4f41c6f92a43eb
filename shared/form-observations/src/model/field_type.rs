//! Formstack's field types, with room for the ones it adds later.

use serde::Serialize;

/// The 23 field types Formstack documents, plus whatever else arrives.
///
/// Unknown types are kept by name rather than rejected: a diagnostics tool
/// that refused a form because of a new field type would be useless on
/// exactly the forms people bring to support.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldType {
    Text,
    Textarea,
    Name,
    Address,
    Email,
    Phone,
    CreditCard,
    Datetime,
    File,
    Number,
    Select,
    Radio,
    Checkbox,
    Matrix,
    RichText,
    Embed,
    Product,
    Section,
    Signature,
    Rating,
    Table,
    TableHeader,
    TableCell,
    Other(String),
}

impl FieldType {
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "text" => Self::Text,
            "textarea" => Self::Textarea,
            "name" => Self::Name,
            "address" => Self::Address,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "creditcard" => Self::CreditCard,
            "datetime" => Self::Datetime,
            "file" => Self::File,
            "number" => Self::Number,
            "select" => Self::Select,
            "radio" => Self::Radio,
            "checkbox" => Self::Checkbox,
            "matrix" => Self::Matrix,
            "richtext" => Self::RichText,
            "embed" => Self::Embed,
            "product" => Self::Product,
            "section" => Self::Section,
            "signature" => Self::Signature,
            "rating" => Self::Rating,
            "table" => Self::Table,
            "tableheader" => Self::TableHeader,
            "tablecell" => Self::TableCell,
            _ => Self::Other(raw.trim().to_owned()),
        }
    }

    /// The name Formstack uses, for reports and graph nodes.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Text => "text",
            Self::Textarea => "textarea",
            Self::Name => "name",
            Self::Address => "address",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::CreditCard => "creditcard",
            Self::Datetime => "datetime",
            Self::File => "file",
            Self::Number => "number",
            Self::Select => "select",
            Self::Radio => "radio",
            Self::Checkbox => "checkbox",
            Self::Matrix => "matrix",
            Self::RichText => "richtext",
            Self::Embed => "embed",
            Self::Product => "product",
            Self::Section => "section",
            Self::Signature => "signature",
            Self::Rating => "rating",
            Self::Table => "table",
            Self::TableHeader => "tableheader",
            Self::TableCell => "tablecell",
            Self::Other(name) if name.is_empty() => "(none)",
            Self::Other(name) => name,
        }
    }

    pub fn is_section(&self) -> bool {
        matches!(self, Self::Section)
    }

    /// Whether a respondent (or a calculation) gives this field a value that
    /// logic can test. Layout-only types never do.
    pub fn holds_value(&self) -> bool {
        !matches!(
            self,
            Self::Section | Self::RichText | Self::Embed | Self::Table | Self::TableHeader
        )
    }

    /// Types whose value must be one of the field's `options`.
    pub fn has_options(&self) -> bool {
        matches!(self, Self::Select | Self::Radio | Self::Checkbox)
    }

    /// Option types that hold exactly one choice; a checkbox can hold several,
    /// so "equals A and equals B" is only a contradiction for these.
    pub fn single_choice(&self) -> bool {
        matches!(self, Self::Select | Self::Radio)
    }

    /// Whether the label is one a person types and reads. Table cells take
    /// generated labels from their row and column, layout fields have none.
    pub fn has_own_label(&self) -> bool {
        self.holds_value() && !matches!(self, Self::TableCell)
    }
}

impl Serialize for FieldType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_type_round_trips_through_its_name() {
        let names = [
            "text",
            "textarea",
            "name",
            "address",
            "email",
            "phone",
            "creditcard",
            "datetime",
            "file",
            "number",
            "select",
            "radio",
            "checkbox",
            "matrix",
            "richtext",
            "embed",
            "product",
            "section",
            "signature",
            "rating",
            "table",
            "tableheader",
            "tablecell",
        ];
        for name in names {
            let parsed = FieldType::parse(name);
            assert!(!matches!(parsed, FieldType::Other(_)), "{name}");
            assert_eq!(parsed.as_str(), name);
        }
    }

    #[test]
    fn unknown_types_are_kept_by_name() {
        assert_eq!(FieldType::parse("hologram").as_str(), "hologram");
    }
}
