//! The `daily_updates` table (created by
//! `m20261202_000104_create_daily_updates`): one row is one progress note on
//! a task, and is also the API's daily update. Read with raw SQL (see
//! `entities::task` for why); deserialisable because a task's updates
//! arrive as a JSON array built by PostgreSQL.

use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A daily update (TASKS-API.md "Daily updates").
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult, Serialize, Deserialize, ToSchema)]
pub struct DailyUpdate {
    /// The id.
    pub id: Uuid,
    /// The task it is about.
    pub task_id: Uuid,
    /// The member who wrote it (`ON DELETE RESTRICT`).
    pub author_id: Uuid,
    /// The author's name when it was written.
    pub author_name: String,
    /// Trimmed, 1–1000 characters.
    pub content: String,
    /// RFC 3339 UTC with microseconds.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339 UTC with microseconds; moves on an edit.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Whether it was edited after being written.
    pub edited: bool,
}
