//! Team members as the API accepts and answers them: `member_table!`, the
//! members' field table (`domain::field_table`), expanded here into
//! [`MemberFields`], [`MemberPatch`] and the read model [`Member`]; the
//! rules of its fields in the members' own, older wording (DESIGN.md
//! "Members": `is required`, `must be at most 100 characters`, …); and the
//! bodies of `POST /api/v1/members` ([`NewMember`]) and
//! `PATCH /api/v1/members/{id}` ([`MemberPatch`]).
//!
//! Parsing happens here, once, so that the query layer only ever sees values
//! the `members` table accepts (a value PostgreSQL would refuse, such as a NUL
//! character, would otherwise surface as a 500).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::field_table::field_structs;
use super::fields::{Legacy, Wording};
use super::rules::FieldRule;
use super::{ValidationError, has_control, no_control, trimmed_bounded};

/// Longest accepted name, in characters (the column is `VARCHAR(100)`).
pub const MAX_NAME_CHARS: usize = 100;
/// Longest accepted e-mail address, in characters (the column is `VARCHAR(320)`).
pub const MAX_EMAIL_CHARS: usize = 320;

/// The contract's e-mail syntax (DESIGN.md "Members"): deliberately loose,
/// exactly what the original TaskFlow backend accepted. Also the pattern
/// the OpenAPI document states (`http::schemas::members`).
pub const EMAIL_PATTERN: &str = r"^[^@\s]+@[^@\s]+\.[^@\s]+$";

static EMAIL_RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(EMAIL_PATTERN).ok());

/// A display name: trimmed, 1–`max` characters, no control characters.
#[derive(Debug, Clone, Copy)]
pub struct Name {
    /// Most characters (the column's `VARCHAR(n)`).
    pub max: usize,
}

impl FieldRule for Name {
    type Value = String;

    fn parse(&self, v: &Value, field: &'static str) -> Result<String, ValidationError> {
        let value = trimmed_bounded(field, string(v, field)?, self.max)?;
        no_control(field, value)?;
        Ok(value.to_owned())
    }
}

/// An e-mail address: trimmed, at most `max` characters, matching
/// [`EMAIL_PATTERN`]. Kept as typed (not lower-cased): uniqueness is the
/// database's, and the contract does not ask for case folding.
#[derive(Debug, Clone, Copy)]
pub struct EmailAddress {
    /// Most characters (the column's `VARCHAR(n)`).
    pub max: usize,
}

impl FieldRule for EmailAddress {
    type Value = String;

    fn parse(&self, v: &Value, field: &'static str) -> Result<String, ValidationError> {
        let value = trimmed_bounded(field, string(v, field)?, self.max)?;
        // `\s` does not cover every control character (e.g. NUL, which
        // PostgreSQL refuses to store), so those are excluded explicitly.
        let matches = EMAIL_RE.as_ref().is_some_and(|re| re.is_match(value));
        if !matches || has_control(value) {
            return Err(ValidationError::new(field, "must be a valid email address"));
        }
        Ok(value.to_owned())
    }
}

/// A JSON boolean, `absent` when a create body leaves it out.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The value of a create body without it.
    pub absent: bool,
}

impl FieldRule for Flag {
    type Value = bool;

    fn parse(&self, v: &Value, field: &'static str) -> Result<bool, ValidationError> {
        v.as_bool()
            .ok_or_else(|| ValidationError::new(field, "must be a boolean"))
    }

    fn absent(&self) -> bool {
        self.absent
    }
}

/// A JSON string, in the members' wording.
fn string<'a>(v: &'a Value, field: &'static str) -> Result<&'a str, ValidationError> {
    v.as_str()
        .ok_or_else(|| ValidationError::new(field, "must be a string"))
}

/// The rules of a member's fields, named by `member_table!`'s rows.
pub struct MemberRules;

impl MemberRules {
    /// `name`'s rule.
    pub const NAME: Name = Name {
        max: MAX_NAME_CHARS,
    };
    /// `email`'s rule.
    pub const EMAIL: EmailAddress = EmailAddress {
        max: MAX_EMAIL_CHARS,
    };
    /// `active`'s rule: `true` when a new member's body leaves it out.
    pub const ACTIVE: Flag = Flag { absent: true };
}

/// The members' field table. `$expand` receives the header and the rows.
macro_rules! member_table {
    ($expand:path) => {
        $expand! {
            [MemberFields, MemberPatch, answer Member, rules $crate::domain::member::MemberRules,
                wording $crate::domain::fields::Legacy]
            /// Trimmed, 1–100 characters.
            name: String = NAME, create required, patch not_null, column plain;
            /// Unique (constraint `uq_members_email`), up to 320 characters.
            email: String = EMAIL, create required, patch not_null, column plain;
            /// Inactive members are kept (history) but not offered for new work.
            active: bool = ACTIVE, create default, patch not_null, column plain;
        }
    };
}
pub(crate) use member_table;

// `MemberFields`, `MemberPatch` (their parsing in the table's order, the
// merge) and the read model `Member`, from the one declaration of a
// member's fields.
member_table!(field_structs);

/// The body of `POST /api/v1/members`: the fields of the new member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember(pub MemberFields);

impl NewMember {
    /// Parses the body. Fields are checked in the table's order (name,
    /// email, active) and the first problem is returned, so messages are
    /// stable. Unknown fields are ignored.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        MemberFields::from_object(Legacy::object(body)?).map(Self)
    }
}

impl MemberPatch {
    /// Parses the body. An explicit `null` is an error (`"<field>: field
    /// cannot be null"`) rather than "unchanged", so a client bug that sends
    /// `null` is not silently ignored. Unknown fields are ignored.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        Self::from_object(Legacy::object(body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn new_err(body: Value) -> String {
        NewMember::from_json(&body).unwrap_err().to_string()
    }

    fn patch_err(body: Value) -> String {
        MemberPatch::from_json(&body).unwrap_err().to_string()
    }

    #[test]
    fn the_members_wording_differs_from_the_tasks_where_the_contracts_do() {
        use crate::domain::fields::{Pydantic, Wording};
        let body = json!({"a": null});
        let obj = body.as_object().unwrap();
        assert_eq!(
            Legacy::required(obj, "a").unwrap_err().to_string(),
            "a: is required"
        );
        assert!(Pydantic::required(obj, "a").unwrap().is_null());
        assert_eq!(
            Legacy::object(&json!([])).unwrap_err().to_string(),
            "body: must be a JSON object"
        );
        assert!(MemberRules::ACTIVE.absent());
        assert!(!Flag { absent: false }.absent());
    }

    #[test]
    fn email_pattern_compiles() {
        assert!(EMAIL_RE.is_some());
    }

    fn name(raw: &str) -> Result<String, ValidationError> {
        MemberRules::NAME.parse(&json!(raw), "name")
    }

    fn email(raw: &str) -> Result<String, ValidationError> {
        MemberRules::EMAIL.parse(&json!(raw), "email")
    }

    #[test]
    fn new_member_trims_and_defaults_active() {
        let m = NewMember::from_json(
            &json!({"name": "  Ada Lovelace ", "email": " ada@example.org\t"}),
        )
        .unwrap();
        assert_eq!(m.0.name, "Ada Lovelace");
        assert_eq!(m.0.email, "ada@example.org");
        assert!(m.0.active);
        let m =
            NewMember::from_json(&json!({"name": "A", "email": "a@b.c", "active": false, "x": 1}))
                .unwrap();
        assert!(!m.0.active);
    }

    #[test]
    fn name_boundaries() {
        assert!(name(&"é".repeat(100)).is_ok());
        assert_eq!(
            name(&"n".repeat(101)).unwrap_err().to_string(),
            "name: must be at most 100 characters"
        );
        // Trimming happens before the length check.
        assert!(name(&format!("  {}  ", "n".repeat(100))).is_ok());
        assert_eq!(
            name("   ").unwrap_err().to_string(),
            "name: must not be empty"
        );
        assert_eq!(
            name("a\u{0}b").unwrap_err().to_string(),
            "name: must not contain control characters"
        );
    }

    #[test]
    fn email_syntax() {
        for good in ["a@b.c", "first.last+tag@sub.example.co.uk", "x@y.z.w"] {
            assert!(email(good).is_ok(), "{good}");
        }
        for bad in [
            "plain",
            "a@b",
            "@b.c",
            "a@.c",
            "a@b.",
            "a b@c.d",
            "a@@b.c",
            "a@b@c.d",
            "a\u{0}@b.c",
        ] {
            assert_eq!(
                email(bad).unwrap_err().to_string(),
                "email: must be a valid email address",
                "{bad:?}"
            );
        }
        assert_eq!(
            email("  ").unwrap_err().to_string(),
            "email: must not be empty"
        );
        let long = format!("{}@example.org", "a".repeat(MAX_EMAIL_CHARS));
        assert_eq!(
            email(&long).unwrap_err().to_string(),
            "email: must be at most 320 characters"
        );
        let max = format!("{}@b.co", "a".repeat(MAX_EMAIL_CHARS - 5));
        assert_eq!(max.chars().count(), MAX_EMAIL_CHARS);
        assert!(email(&max).is_ok());
    }

    #[test]
    fn new_member_errors() {
        assert_eq!(new_err(json!({"email": "a@b.c"})), "name: is required");
        assert_eq!(
            new_err(json!({"name": null, "email": "a@b.c"})),
            "name: is required"
        );
        assert_eq!(new_err(json!({"name": "A"})), "email: is required");
        assert_eq!(
            new_err(json!({"name": 5, "email": "a@b.c"})),
            "name: must be a string"
        );
        assert_eq!(
            new_err(json!({"name": "A", "email": ["a@b.c"]})),
            "email: must be a string"
        );
        assert_eq!(
            new_err(json!({"name": "A", "email": "a@b.c", "active": "yes"})),
            "active: must be a boolean"
        );
        assert_eq!(
            new_err(json!({"name": "A", "email": "a@b.c", "active": null})),
            "active: must be a boolean"
        );
        // The first problem wins: name before email.
        assert_eq!(
            new_err(json!({"name": "", "email": "bad"})),
            "name: must not be empty"
        );
        for body in [json!([1]), json!("x"), json!(null), json!(3)] {
            assert_eq!(new_err(body), "body: must be a JSON object");
        }
    }

    #[test]
    fn patch_parses_only_given_fields() {
        let p = MemberPatch::from_json(&json!({})).unwrap();
        assert!(p.is_empty());
        let p = MemberPatch::from_json(&json!({"name": " B "})).unwrap();
        assert_eq!(p.name.unwrap(), "B");
        assert!(p.email.is_none() && p.active.is_none());
        let p = MemberPatch::from_json(&json!({"active": false, "email": "x@y.z"})).unwrap();
        assert_eq!(p.active, Some(false));
        assert_eq!(p.email.unwrap(), "x@y.z");
    }

    #[test]
    fn patch_rejects_null_and_wrong_types() {
        assert_eq!(
            patch_err(json!({"name": null})),
            "name: field cannot be null"
        );
        assert_eq!(
            patch_err(json!({"email": null})),
            "email: field cannot be null"
        );
        assert_eq!(
            patch_err(json!({"active": null})),
            "active: field cannot be null"
        );
        assert_eq!(patch_err(json!({"name": 1})), "name: must be a string");
        assert_eq!(
            patch_err(json!({"email": "nope"})),
            "email: must be a valid email address"
        );
        assert_eq!(patch_err(json!({"active": 1})), "active: must be a boolean");
        assert_eq!(patch_err(json!([])), "body: must be a JSON object");
    }
}
