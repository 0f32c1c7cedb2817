//! The members' request bodies (parsed by `domain::member`).

use utoipa::ToSchema;

#[cfg(doc)]
use crate::domain::member::{MemberPatch, NewMember};

/// The body of `POST /api/v1/members`, for the OpenAPI document (parsed by
/// [`NewMember::from_json`], which gives the messages). Strings are trimmed; the name must not
/// contain control characters. Unknown fields are ignored.
#[derive(ToSchema)]
#[schema(as = NewMember)]
#[allow(dead_code)]
pub struct NewMemberBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(max_length = 320, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    email: String,
    /// `true` when absent.
    #[schema(nullable = false)]
    active: Option<bool>,
}

/// The body of `PATCH /api/v1/members/{id}`, for the OpenAPI document (parsed
/// by [`MemberPatch::from_json`]): only the given fields change;
/// `null` is refused (`<field>: field cannot be null`).
#[derive(ToSchema)]
#[schema(as = MemberPatch)]
#[allow(dead_code)]
pub struct MemberPatchBody {
    #[schema(nullable = false, min_length = 1, max_length = 100)]
    name: Option<String>,
    #[schema(
        nullable = false,
        max_length = 320,
        pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )]
    email: Option<String>,
    #[schema(nullable = false)]
    active: Option<bool>,
}
