//! The daily updates' schemas: the twin of `DailyUpdate`, and the request
//! bodies (parsed by `domain::daily_update`).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::schema_twin;
use crate::domain::daily_update::DailyUpdate;
#[cfg(doc)]
use crate::domain::daily_update::{NewDailyUpdate, UpdateContent};

/// A daily update (TASKS-API.md "Daily updates").
#[derive(Serialize, ToSchema)]
#[schema(as = DailyUpdate)]
#[allow(dead_code)]
struct DailyUpdateTwin {
    /// The id.
    id: Uuid,
    /// The task it is about.
    task_id: Uuid,
    /// The member who wrote it (`ON DELETE RESTRICT`).
    author_id: Uuid,
    /// The author's name when it was written.
    author_name: String,
    /// Trimmed, 1–1000 characters.
    content: String,
    /// RFC 3339 UTC with microseconds.
    #[schema(format = DateTime)]
    created_at: String,
    /// RFC 3339 UTC with microseconds; moves on an edit.
    #[schema(format = DateTime)]
    updated_at: String,
    /// Whether it was edited after being written.
    edited: bool,
}
schema_twin!(DailyUpdate => DailyUpdateTwin);

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

/// A daily update with every field set, for the twins' tests.
#[cfg(test)]
pub(crate) fn sample() -> DailyUpdate {
    DailyUpdate {
        id: Uuid::nil(),
        task_id: Uuid::nil(),
        author_id: Uuid::nil(),
        author_name: "a".into(),
        content: "c".into(),
        created_at: "2026-12-02T05:53:26.076755Z".into(),
        updated_at: "2026-12-02T05:53:26.076755Z".into(),
        edited: false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{json_keys, schema_keys};
    use super::*;

    #[test]
    fn the_twin_names_exactly_what_a_daily_update_serialises() {
        assert_eq!(
            schema_keys::<DailyUpdate>(),
            json_keys(&[serde_json::json!(sample())])
        );
    }
}
