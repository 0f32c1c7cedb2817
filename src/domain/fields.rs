//! Field rules shared by tasks, sub-tasks and daily updates, worded in the
//! vocabulary of TASKS-API.md (the original backend's Pydantic messages,
//! which the UI shows as they are): `<field>: Field required`,
//! `<field>: Input should be a valid string`, `<field>: String should have at
//! least 1 character`, … Members keep their own older wording (DESIGN.md):
//! [`Wording`] names the two.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::ValidationError;

/// A field of a PATCH body: absent (unchanged), `null`, or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given<T> {
    /// Not in the body: the stored value stays.
    Absent,
    /// Explicitly `null`.
    Null,
    /// A value.
    Value(T),
}

/// How a resource words the two checks of a body that come before any
/// field's rule: that the body is an object, and that a required field is
/// there. A field table names its wording (`domain::field_table`); the
/// rules of its fields word the rest.
pub trait Wording {
    /// The body as an object, or the resource's 400.
    fn object(body: &Value) -> Result<&Map<String, Value>, ValidationError>;

    /// A field a create body must give, or the resource's 400.
    fn required<'a>(
        obj: &'a Map<String, Value>,
        field: &'static str,
    ) -> Result<&'a Value, ValidationError>;
}

/// TASKS-API.md's wording (tasks, sub-tasks, daily updates): the original
/// backend's Pydantic messages. `null` counts as given: the field's rule
/// answers it (`Input should be a valid string`).
pub struct Pydantic;

impl Wording for Pydantic {
    fn object(body: &Value) -> Result<&Map<String, Value>, ValidationError> {
        object(body)
    }

    fn required<'a>(
        obj: &'a Map<String, Value>,
        field: &'static str,
    ) -> Result<&'a Value, ValidationError> {
        required(obj, field)
    }
}

/// DESIGN.md's older wording (members): `body: must be a JSON object`, and
/// `<field>: is required` for a required field absent or `null`.
pub struct Legacy;

impl Wording for Legacy {
    fn object(body: &Value) -> Result<&Map<String, Value>, ValidationError> {
        body.as_object()
            .ok_or_else(|| ValidationError::new("body", "must be a JSON object"))
    }

    fn required<'a>(
        obj: &'a Map<String, Value>,
        field: &'static str,
    ) -> Result<&'a Value, ValidationError> {
        obj.get(field)
            .filter(|v| !v.is_null())
            .ok_or_else(|| ValidationError::new(field, "is required"))
    }
}

/// The body as an object (`body: Input should be a valid dictionary …` otherwise).
pub(crate) fn object(body: &Value) -> Result<&Map<String, Value>, ValidationError> {
    body.as_object().ok_or_else(|| {
        ValidationError::new(
            "body",
            "Input should be a valid dictionary or object to extract fields from",
        )
    })
}

/// A field that must be present (`null` counts as present: the type check
/// that follows answers it).
pub(crate) fn required<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a Value, ValidationError> {
    obj.get(field)
        .ok_or_else(|| ValidationError::new(field, "Field required"))
}

/// A field of a PATCH body, with its presence.
pub(crate) fn given<'a>(obj: &'a Map<String, Value>, field: &str) -> Given<&'a Value> {
    match obj.get(field) {
        None => Given::Absent,
        Some(Value::Null) => Given::Null,
        Some(v) => Given::Value(v),
    }
}

/// `<field>: field cannot be null`, for PATCH fields that may not be cleared.
pub(crate) fn not_null(field: &'static str) -> ValidationError {
    ValidationError::new(field, "field cannot be null")
}

/// A JSON string.
pub(crate) fn string<'a>(v: &'a Value, field: &'static str) -> Result<&'a str, ValidationError> {
    v.as_str()
        .ok_or_else(|| ValidationError::new(field, "Input should be a valid string"))
}

/// [`text`] of a JSON value, which must be a string.
pub(crate) fn text_of(
    v: &Value,
    field: &'static str,
    trim: bool,
    min: usize,
    max: usize,
) -> Result<String, ValidationError> {
    text(field, string(v, field)?, trim, min, max)
}

/// Text of at most `max` characters (and at least `min`), after trimming when
/// `trim` is set; PostgreSQL cannot store NUL, so that is refused too (rather
/// than surfacing as a 500).
pub(crate) fn text(
    field: &'static str,
    raw: &str,
    trim: bool,
    min: usize,
    max: usize,
) -> Result<String, ValidationError> {
    let value = if trim { raw.trim() } else { raw };
    let n = value.chars().count();
    if n < min {
        let s = if min == 1 { "" } else { "s" };
        return Err(ValidationError::new(
            field,
            format!("String should have at least {min} character{s}"),
        ));
    }
    if n > max {
        return Err(ValidationError::new(
            field,
            format!("String should have at most {max} characters"),
        ));
    }
    if value.contains('\0') {
        return Err(ValidationError::new(
            field,
            "String should not contain NUL characters",
        ));
    }
    Ok(value.to_owned())
}

/// A UUID given as a string (any form the `uuid` crate reads: hyphenated,
/// simple, braced, URN).
pub(crate) fn uuid(v: &Value, field: &'static str) -> Result<Uuid, ValidationError> {
    v.as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| invalid_uuid(field))
}

/// `<field>: Input should be a valid UUID`.
pub(crate) fn invalid_uuid(field: &'static str) -> ValidationError {
    ValidationError::new(field, "Input should be a valid UUID")
}

/// An id from the path; a malformed one is a 400 naming the parameter.
pub fn path_id(raw: &str, field: &'static str) -> Result<Uuid, ValidationError> {
    Uuid::parse_str(raw).map_err(|_| invalid_uuid(field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_rules() {
        assert_eq!(text("t", "  a ", true, 1, 3).unwrap(), "a");
        assert_eq!(text("t", "  a ", false, 1, 4).unwrap(), "  a ");
        assert_eq!(
            text("t", "   ", true, 1, 3).unwrap_err().to_string(),
            "t: String should have at least 1 character"
        );
        assert_eq!(
            text("t", "abcd", true, 1, 3).unwrap_err().to_string(),
            "t: String should have at most 3 characters"
        );
        assert_eq!(text("t", "ééé", true, 1, 3).unwrap(), "ééé");
        assert_eq!(text("t", "", false, 0, 3).unwrap(), "");
        assert_eq!(
            text("t", "a\0", true, 1, 3).unwrap_err().to_string(),
            "t: String should not contain NUL characters"
        );
    }

    #[test]
    fn uuids_and_presence() {
        assert!(uuid(&json!("67e55044-10b1-426f-9247-bb680e5fe0c8"), "a").is_ok());
        assert_eq!(
            uuid(&json!(5), "a").unwrap_err().to_string(),
            "a: Input should be a valid UUID"
        );
        assert_eq!(
            path_id("x", "task_id").unwrap_err().to_string(),
            "task_id: Input should be a valid UUID"
        );
        let body = json!({"a": null, "b": 1});
        let obj = object(&body).unwrap();
        assert_eq!(given(obj, "a"), Given::Null);
        assert_eq!(given(obj, "c"), Given::Absent);
        assert_eq!(
            required(obj, "c").unwrap_err().to_string(),
            "c: Field required"
        );
        assert!(object(&json!([])).is_err());
    }
}
