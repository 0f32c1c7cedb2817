//! What the OpenAPI document says of a field, read from its rule
//! (`domain::rules`): the type, the limits the parser checks, and a short
//! description. The request bodies of a resource with a field table
//! (`http::schemas::tasks`) are built from these, so a limit is written once,
//! in the rule, and the document cannot disagree with the parser.

use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};

use crate::domain::member::{EMAIL_PATTERN, EmailAddress, Flag, Name};
use crate::domain::rules::{Digits, MemberId, OneOf, Text};
use crate::domain::task::Label;

/// A rule's schema in a request body.
pub(crate) trait RuleSchema {
    /// The value's schema (not nullable), with the rule's description
    /// when `described`.
    fn schema(&self, described: bool) -> RefOr<Schema>;
}

/// A string schema, optionally with a description.
fn string(described: bool, description: Option<String>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(description.filter(|_| described))
}

impl RuleSchema for Text {
    fn schema(&self, described: bool) -> RefOr<Schema> {
        string(described, self.description().map(str::to_owned))
            .min_length(Some(self.min).filter(|&n| n > 0))
            .max_length(self.max)
            .into()
    }
}

impl RuleSchema for MemberId {
    fn schema(&self, described: bool) -> RefOr<Schema> {
        string(described, Some(Self::DESCRIPTION.to_owned()))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into()
    }
}

impl RuleSchema for Digits {
    fn schema(&self, described: bool) -> RefOr<Schema> {
        string(described, Some(self.description()))
            .pattern(Some(self.pattern()))
            .into()
    }
}

impl<T: Label + utoipa::ToSchema> RuleSchema for OneOf<T> {
    fn schema(&self, _described: bool) -> RefOr<Schema> {
        RefOr::Ref(Ref::from_schema_name(T::name()))
    }
}

impl RuleSchema for Name {
    fn schema(&self, _described: bool) -> RefOr<Schema> {
        string(false, None)
            .min_length(Some(1))
            .max_length(Some(self.max))
            .into()
    }
}

impl RuleSchema for EmailAddress {
    fn schema(&self, _described: bool) -> RefOr<Schema> {
        string(false, None)
            .max_length(Some(self.max))
            .pattern(Some(EMAIL_PATTERN))
            .into()
    }
}

impl RuleSchema for Flag {
    fn schema(&self, described: bool) -> RefOr<Schema> {
        let description = format!("`{}` when absent.", self.absent);
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .description(Some(description).filter(|_| described))
            .into()
    }
}

/// A UUID's schema.
pub(crate) fn uuid_schema() -> RefOr<Schema> {
    string(false, None)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

/// `schema` described by a doc comment's lines (each trimmed, joined by
/// newlines, as utoipa's derive does); a reference stays as it is.
pub(crate) fn described(schema: RefOr<Schema>, lines: &[&str]) -> RefOr<Schema> {
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            let text: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
            object.description = Some(text.join("\n"));
            RefOr::T(Schema::Object(object))
        }
        other => other,
    }
}

/// An object of `fields` (name, schema, required), described by
/// `description`: a request body.
pub(crate) fn body(description: &str, fields: Vec<(&str, RefOr<Schema>, bool)>) -> ObjectBuilder {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description));
    for (name, schema, required) in fields {
        object = object.property(name, schema);
        if required {
            object = object.required(name);
        }
    }
    object
}

/// `schema`, accepting `null` too when `nullable` (as utoipa writes an
/// `Option` field: `"type": [..., "null"]`, or `oneOf` with a reference).
pub(crate) fn property(schema: RefOr<Schema>, nullable: bool) -> RefOr<Schema> {
    if !nullable {
        return schema;
    }
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            let mut types = match object.schema_type {
                SchemaType::Type(t) => vec![t],
                SchemaType::Array(types) => types,
                SchemaType::AnyValue => Vec::new(),
            };
            types.push(Type::Null);
            object.schema_type = SchemaType::from_iter(types);
            RefOr::T(Schema::Object(object))
        }
        other => OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(other)
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: RefOr<Schema>) -> serde_json::Value {
        serde_json::to_value(s).unwrap_or_default()
    }

    #[test]
    fn limits_come_from_the_rule() {
        let t = Text::trimmed(1, Some(7));
        assert_eq!(
            json(t.schema(true)),
            serde_json::json!({"type": "string", "description": "Trimmed.", "minLength": 1, "maxLength": 7})
        );
        assert_eq!(
            json(property(Text::as_sent(None).schema(true), true)),
            serde_json::json!({"type": ["string", "null"]})
        );
        assert_eq!(
            json(Digits { count: 2 }.schema(false)),
            serde_json::json!({"type": "string", "pattern": "^[0-9]{2}$"})
        );
    }
}
