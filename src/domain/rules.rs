//! A field's rule as a value: how one JSON value of a body is parsed (with
//! the contract's exact message), and the limits the OpenAPI document states
//! for it. A resource's field table names one rule per field
//! (`domain::field_table`), so a limit is written once: the parser checks it
//! and `http::schemas` reads it from the same value.
//!
//! The rule of a field is about its value alone; whether it may be absent
//! or `null` is the table's `create` and `patch` words, and a rule that
//! spans fields (a task's blocking reason) stays a function of its resource.

use std::marker::PhantomData;

use serde_json::Value;
use uuid::Uuid;

use super::ValidationError;
use super::fields::{string, text_of, uuid};
use super::labels::Label;

/// Parses one field's JSON value (never `null`'s absence: the table's words
/// decide that before the rule is asked).
pub trait FieldRule {
    /// What the value becomes.
    type Value;

    /// The value given as `field`, or its 400.
    fn parse(&self, v: &Value, field: &'static str) -> Result<Self::Value, ValidationError>;

    /// The value of a field the table declares `create default` when the
    /// body leaves it out: the type's default, unless the rule says
    /// otherwise (a member's `active` is `true`).
    fn absent(&self) -> Self::Value
    where
        Self::Value: Default,
    {
        Self::Value::default()
    }
}

/// A string of `min..=max` characters (no upper bound when `max` is
/// `None`), trimmed first when `trim` is set; NUL is refused (PostgreSQL's
/// text cannot hold it).
#[derive(Debug, Clone, Copy)]
pub struct Text {
    /// Leading and trailing white space removed before counting and storing.
    pub trim: bool,
    /// Fewest characters.
    pub min: usize,
    /// Most characters, if bounded (the column's `VARCHAR(n)`).
    pub max: Option<usize>,
    /// What the document says of it besides its limits (`None`: "Trimmed."
    /// when trimmed, nothing otherwise).
    pub note: Option<&'static str>,
}

impl Text {
    /// Trimmed, `min..=max` characters.
    pub const fn trimmed(min: usize, max: Option<usize>) -> Self {
        Self {
            trim: true,
            min,
            max,
            note: None,
        }
    }

    /// As sent, at most `max` characters.
    pub const fn as_sent(max: Option<usize>) -> Self {
        Self {
            trim: false,
            min: 0,
            max,
            note: None,
        }
    }

    /// The same rule, described by `note`.
    pub const fn noted(self, note: &'static str) -> Self {
        Self {
            note: Some(note),
            ..self
        }
    }

    /// What the document says of it.
    pub fn description(&self) -> Option<&'static str> {
        self.note
            .or(if self.trim { Some("Trimmed.") } else { None })
    }
}

impl FieldRule for Text {
    type Value = String;

    fn parse(&self, v: &Value, field: &'static str) -> Result<String, ValidationError> {
        text_of(
            v,
            field,
            self.trim,
            self.min,
            self.max.unwrap_or(usize::MAX),
        )
    }
}

/// The id of a member, any form the `uuid` crate reads. Whether that member
/// exists is the query layer's check (inactive ones count).
#[derive(Debug, Clone, Copy)]
pub struct MemberId;

impl MemberId {
    /// What the document says of it.
    pub const DESCRIPTION: &'static str = "An existing member (inactive ones too).";
}

impl FieldRule for MemberId {
    type Value = Uuid;

    fn parse(&self, v: &Value, field: &'static str) -> Result<Uuid, ValidationError> {
        uuid(v, field)
    }
}

/// A string of exactly `count` ASCII digits. Parsing takes any string as it
/// is: whether it [`matches`](Self::matches) is a rule of its resource, run
/// after every field's own check (the contract's order).
#[derive(Debug, Clone, Copy)]
pub struct Digits {
    /// How many.
    pub count: usize,
}

impl Digits {
    /// Whether `s` is exactly `count` ASCII digits (`""`, `" 123"` and
    /// full-width digits are not).
    pub fn matches(&self, s: &str) -> bool {
        s.len() == self.count && s.bytes().all(|b| b.is_ascii_digit())
    }

    /// The regular expression the document states (`^[0-9]{4}$`).
    pub fn pattern(&self) -> String {
        format!("^[0-9]{{{}}}$", self.count)
    }

    /// What the document says of it.
    pub fn description(&self) -> String {
        format!("Exactly {} ASCII digits.", self.count)
    }
}

impl FieldRule for Digits {
    type Value = String;

    fn parse(&self, v: &Value, field: &'static str) -> Result<String, ValidationError> {
        string(v, field).map(str::to_owned)
    }
}

/// One of the labels of `T` (a PostgreSQL enum).
#[derive(Debug)]
pub struct OneOf<T>(PhantomData<T>);

impl<T> OneOf<T> {
    /// The rule.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for OneOf<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Label> FieldRule for OneOf<T> {
    type Value = T;

    fn parse(&self, v: &Value, field: &'static str) -> Result<T, ValidationError> {
        T::parse(v, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digits_match_exactly_their_pattern() {
        let four = Digits { count: 4 };
        let re = regex::Regex::new(&four.pattern()).unwrap();
        for s in [
            "1234",
            "0000",
            "",
            "123",
            "12345",
            "12a4",
            " 123",
            "１２３４",
            "123\n",
        ] {
            assert_eq!(four.matches(s), re.is_match(s), "{s:?}");
        }
        assert_eq!(four.parse(&json!(" 12"), "g").unwrap(), " 12");
        assert_eq!(
            four.parse(&json!(12), "g").unwrap_err().to_string(),
            "g: Input should be a valid string"
        );
    }

    #[test]
    fn text_reads_its_limits() {
        let t = Text::trimmed(1, Some(3));
        assert_eq!(t.parse(&json!(" ab "), "t").unwrap(), "ab");
        assert_eq!(
            t.parse(&json!("abcd"), "t").unwrap_err().to_string(),
            "t: String should have at most 3 characters"
        );
        assert_eq!(
            Text::as_sent(None).parse(&json!(" a "), "t").unwrap(),
            " a "
        );
        assert_eq!(t.description(), Some("Trimmed."));
        assert_eq!(Text::as_sent(None).description(), None);
        assert_eq!(t.noted("n").description(), Some("n"));
    }
}
