//! The members' schemas: `Member` and the request bodies (parsed by
//! `domain::member`), the document's expansion (`field_bodies!`) of the
//! members' field table, so each field's type, limits and description are
//! written once, in `domain::member`.

use super::rules::body;
use super::{built_schema, field_bodies};
use crate::domain::member::{Member, member_table};
#[cfg(doc)]
use crate::domain::member::{MemberPatch, NewMember};

member_table!(field_bodies);

built_schema!(Member => body(
    "A team member, as the API answers it: a person tasks can be assigned to.",
    answer_properties(),
));

/// The body of `POST /api/v1/members`, for the OpenAPI document (parsed by
/// [`NewMember::from_json`], which gives the messages).
pub struct NewMemberBody;
built_schema!(NewMemberBody as "NewMember" => body(
    "The body of `POST /api/v1/members`, for the OpenAPI document (parsed by\n\
     [`NewMember::from_json`], which gives the messages). Strings are trimmed; the name must not\n\
     contain control characters. Unknown fields are ignored.",
    create_properties(),
));

/// The body of `PATCH /api/v1/members/{id}`, for the OpenAPI document (parsed
/// by [`MemberPatch::from_json`]): only the given fields change.
pub struct MemberPatchBody;
built_schema!(MemberPatchBody as "MemberPatch" => body(
    "The body of `PATCH /api/v1/members/{id}`, for the OpenAPI document (parsed\n\
     by [`MemberPatch::from_json`]): only the given fields change;\n\
     `null` is refused (`<field>: field cannot be null`).",
    patch_properties(),
));

#[cfg(test)]
mod tests {
    use super::super::{json_keys, schema_keys};
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_member_schema_names_exactly_what_a_member_serialises() {
        let member = Member {
            id: Uuid::nil(),
            name: "n".into(),
            email: "n@example.org".into(),
            active: true,
        };
        assert_eq!(
            schema_keys::<Member>(),
            json_keys(&[serde_json::json!(member)])
        );
    }

    #[test]
    fn the_bodies_carry_the_rules_limits_and_words() {
        let new = serde_json::to_value(<NewMemberBody as utoipa::PartialSchema>::schema())
            .unwrap_or_default();
        assert_eq!(new["required"], serde_json::json!(["name", "email"]));
        assert_eq!(new["properties"]["name"]["maxLength"], 100);
        assert_eq!(new["properties"]["email"]["maxLength"], 320);
        assert_eq!(
            new["properties"]["active"]["description"],
            "`true` when absent."
        );
        let patch = serde_json::to_value(<MemberPatchBody as utoipa::PartialSchema>::schema())
            .unwrap_or_default();
        assert!(patch.get("required").is_none());
        assert_eq!(patch["properties"]["active"]["type"], "boolean");
    }
}
