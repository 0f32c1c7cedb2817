//! The `sub_tasks` table (created by `m20261202_000103_create_sub_tasks`):
//! one row is one item of a task's checklist, and is also the API's sub-task.
//! Read with raw SQL (see `entities::task` for why); deserialisable because
//! a task's sub-tasks arrive as a JSON array built by PostgreSQL.

use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A sub-task (TASKS-API.md "Sub-tasks").
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult, Serialize, Deserialize, ToSchema)]
pub struct SubTask {
    /// The id.
    pub id: Uuid,
    /// The task it belongs to.
    pub task_id: Uuid,
    /// Trimmed, 1–200 characters.
    pub title: String,
    /// Whether it is ticked off.
    pub completed: bool,
    /// 0..n-1 within the task, without gaps (`uq_sub_tasks_task_id_position`).
    pub position: i32,
    /// RFC 3339 UTC with microseconds.
    #[schema(format = DateTime)]
    pub created_at: String,
}
