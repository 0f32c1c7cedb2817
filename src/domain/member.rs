//! Team members as the API accepts them: [`MemberName`], [`Email`], and the
//! bodies of `POST /api/v1/members` ([`NewMember`]) and
//! `PATCH /api/v1/members/{id}` ([`MemberPatch`]).
//!
//! Parsing happens here, once, so that the query layer only ever sees values
//! the `members` table accepts (a value PostgreSQL would refuse, such as a NUL
//! character, would otherwise surface as a 500).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::{ValidationError, has_control, no_control, trimmed_bounded, validated_text};

/// Longest accepted name, in characters (the column is `VARCHAR(100)`).
pub const MAX_NAME_CHARS: usize = 100;
/// Longest accepted e-mail address, in characters (the column is `VARCHAR(320)`).
pub const MAX_EMAIL_CHARS: usize = 320;

/// The contract's e-mail syntax (DESIGN.md "Members"): deliberately loose,
/// exactly what the original TaskFlow backend accepted. Also the pattern
/// the OpenAPI document states (`http::schemas::members`).
pub const EMAIL_PATTERN: &str = r"^[^@\s]+@[^@\s]+\.[^@\s]+$";

static EMAIL_RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(EMAIL_PATTERN).ok());

/// A member's display name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberName(String);

impl MemberName {
    /// Parses a raw name; the error message is the part after `"name: "`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let value = trimmed_bounded("name", raw, MAX_NAME_CHARS)?;
        no_control("name", value)?;
        Ok(Self(value.to_owned()))
    }
}

validated_text!(MemberName);

/// A member's e-mail address: trimmed, at most 320 characters, matching the
/// contract's pattern. Kept as typed (not lower-cased): uniqueness is the
/// database's, and the contract does not ask for case folding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses a raw address; the error message is the part after `"email: "`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let value = trimmed_bounded("email", raw, MAX_EMAIL_CHARS)?;
        // `\s` does not cover every control character (e.g. NUL, which
        // PostgreSQL refuses to store), so those are excluded explicitly.
        let matches = EMAIL_RE.as_ref().is_some_and(|re| re.is_match(value));
        if !matches || has_control(value) {
            return Err(ValidationError::new(
                "email",
                "must be a valid email address",
            ));
        }
        Ok(Self(value.to_owned()))
    }
}

validated_text!(Email);

/// The body of `POST /api/v1/members`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    /// Required.
    pub name: MemberName,
    /// Required; unique across members (enforced by the database).
    pub email: Email,
    /// Optional in the body; `true` when absent.
    pub active: bool,
}

impl NewMember {
    /// Parses the body. Fields are checked in a fixed order (name, email,
    /// active) and the first problem is returned, so messages are stable.
    /// Unknown fields are ignored.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let obj = object(body)?;
        let name = match obj.get("name") {
            None | Some(Value::Null) => return Err(ValidationError::new("name", "is required")),
            Some(v) => MemberName::parse(string(v, "name")?)?,
        };
        let email = match obj.get("email") {
            None | Some(Value::Null) => return Err(ValidationError::new("email", "is required")),
            Some(v) => Email::parse(string(v, "email")?)?,
        };
        let active = match obj.get("active") {
            None => true,
            Some(v) => boolean(v)?,
        };
        Ok(Self {
            name,
            email,
            active,
        })
    }
}

/// The body of `PATCH /api/v1/members/{id}`: only the given fields change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPatch {
    /// New name, when given.
    pub name: Option<MemberName>,
    /// New e-mail address, when given.
    pub email: Option<Email>,
    /// New active flag, when given.
    pub active: Option<bool>,
}

impl MemberPatch {
    /// Parses the body. An explicit `null` is an error (`"<field>: field
    /// cannot be null"`) rather than "unchanged", so a client bug that sends
    /// `null` is not silently ignored. Unknown fields are ignored.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let obj = object(body)?;
        let name = optional(obj, "name", |v| MemberName::parse(string(v, "name")?))?;
        let email = optional(obj, "email", |v| Email::parse(string(v, "email")?))?;
        let active = optional(obj, "active", boolean)?;
        Ok(Self {
            name,
            email,
            active,
        })
    }

    /// Whether the patch changes nothing (an empty object).
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.active.is_none()
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ValidationError> {
    body.as_object()
        .ok_or_else(|| ValidationError::new("body", "must be a JSON object"))
}

fn string<'a>(v: &'a Value, field: &'static str) -> Result<&'a str, ValidationError> {
    v.as_str()
        .ok_or_else(|| ValidationError::new(field, "must be a string"))
}

fn boolean(v: &Value) -> Result<bool, ValidationError> {
    v.as_bool()
        .ok_or_else(|| ValidationError::new("active", "must be a boolean"))
}

fn optional<T>(
    obj: &Map<String, Value>,
    field: &'static str,
    parse: impl FnOnce(&Value) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Null) => Err(ValidationError::new(field, "field cannot be null")),
        Some(v) => parse(v).map(Some),
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
    fn email_pattern_compiles() {
        assert!(EMAIL_RE.is_some());
    }

    #[test]
    fn new_member_trims_and_defaults_active() {
        let m = NewMember::from_json(
            &json!({"name": "  Ada Lovelace ", "email": " ada@example.org\t"}),
        )
        .unwrap();
        assert_eq!(m.name.as_ref(), "Ada Lovelace");
        assert_eq!(m.email.as_ref(), "ada@example.org");
        assert!(m.active);
        let m =
            NewMember::from_json(&json!({"name": "A", "email": "a@b.c", "active": false, "x": 1}))
                .unwrap();
        assert!(!m.active);
    }

    #[test]
    fn name_boundaries() {
        assert!(MemberName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            MemberName::parse(&"n".repeat(101)).unwrap_err().to_string(),
            "name: must be at most 100 characters"
        );
        // Trimming happens before the length check.
        assert!(MemberName::parse(&format!("  {}  ", "n".repeat(100))).is_ok());
        assert_eq!(
            MemberName::parse("   ").unwrap_err().to_string(),
            "name: must not be empty"
        );
        assert_eq!(
            MemberName::parse("a\u{0}b").unwrap_err().to_string(),
            "name: must not contain control characters"
        );
    }

    #[test]
    fn email_syntax() {
        for good in ["a@b.c", "first.last+tag@sub.example.co.uk", "x@y.z.w"] {
            assert!(Email::parse(good).is_ok(), "{good}");
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
                Email::parse(bad).unwrap_err().to_string(),
                "email: must be a valid email address",
                "{bad:?}"
            );
        }
        assert_eq!(
            Email::parse("  ").unwrap_err().to_string(),
            "email: must not be empty"
        );
        let long = format!("{}@example.org", "a".repeat(MAX_EMAIL_CHARS));
        assert_eq!(
            Email::parse(&long).unwrap_err().to_string(),
            "email: must be at most 320 characters"
        );
        let max = format!("{}@b.co", "a".repeat(MAX_EMAIL_CHARS - 5));
        assert_eq!(max.chars().count(), MAX_EMAIL_CHARS);
        assert!(Email::parse(&max).is_ok());
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
        assert_eq!(p.name.unwrap().as_ref(), "B");
        assert!(p.email.is_none() && p.active.is_none());
        let p = MemberPatch::from_json(&json!({"active": false, "email": "x@y.z"})).unwrap();
        assert_eq!(p.active, Some(false));
        assert_eq!(p.email.unwrap().as_ref(), "x@y.z");
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
