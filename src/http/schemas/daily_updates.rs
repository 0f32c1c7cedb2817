//! The daily updates' request bodies (parsed by `domain::daily_update`).

use utoipa::ToSchema;
use uuid::Uuid;

#[cfg(doc)]
use crate::domain::daily_update::{NewDailyUpdate, UpdateContent};

/// `{author_id, content}`, for the OpenAPI document (parsed by [`NewDailyUpdate::from_json`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewDailyUpdateBody {
    /// An existing member (inactive ones too).
    author_id: Uuid,
    /// Trimmed.
    #[schema(min_length = 1, max_length = 1000)]
    content: String,
}

/// `{content}`, for the OpenAPI document (parsed by [`UpdateContent::from_json`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateContentBody {
    /// Trimmed.
    #[schema(min_length = 1, max_length = 1000)]
    content: String,
}
