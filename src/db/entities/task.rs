//! The `tasks` table (created by `m20261202_000102_create_tasks`), as the
//! queries of `db::tasks` read it, and the domain's [`Task`] built from it.
//!
//! Rows are read with raw, constant SQL rather than through a sea-orm
//! `Entity`: the enum columns are read as their labels (`status::text`), the
//! timestamps as the contract's RFC 3339 text (formatted by PostgreSQL, so no
//! date-time crate is needed), and a task's sub-tasks and daily updates come
//! in the same statement as JSON arrays (a list reads its sub-tasks with one
//! second statement).

use sea_orm::{DbErr, FromQueryResult};
use uuid::Uuid;

use crate::domain::task::{Label, Priority, Status, Task, TaskFields};
#[cfg(doc)]
use crate::domain::{daily_update::DailyUpdate, sub_task::SubTask};

/// One row of the task queries.
#[derive(Debug, Clone, FromQueryResult)]
pub struct TaskRow {
    /// Primary key (UUID v4 from the daemon, or the Python backend's default).
    pub id: Uuid,
    /// The title.
    pub title: String,
    /// The description.
    pub description: Option<String>,
    /// `task_status` label.
    pub status: String,
    /// `task_priority` label.
    pub priority: String,
    /// The assignee.
    pub assignee_id: Option<Uuid>,
    /// The assignee's name when assigned (kept in step by member renames).
    pub assignee_name: Option<String>,
    /// Four digits, or none.
    pub gear_id: Option<String>,
    /// Non-blank only when blocked.
    pub blocking_reason: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC.
    pub updated_at: String,
    /// JSON array of [`SubTask`], by position (`[]` in lists, which read them
    /// with a second statement).
    pub sub_tasks: String,
    /// JSON array of [`DailyUpdate`], newest first (`[]` in lists).
    pub daily_updates: String,
}

impl TaskRow {
    /// The writable fields as stored.
    pub fn fields(&self) -> Result<TaskFields, DbErr> {
        Ok(TaskFields {
            title: self.title.clone(),
            description: self.description.clone(),
            status: Status::from_label(&self.status)
                .ok_or_else(|| DbErr::Custom(format!("unknown task status {:?}", self.status)))?,
            priority: Priority::from_label(&self.priority).ok_or_else(|| {
                DbErr::Custom(format!("unknown task priority {:?}", self.priority))
            })?,
            assignee_id: self.assignee_id,
            gear_id: self.gear_id.clone(),
            blocking_reason: self.blocking_reason.clone(),
        })
    }

    /// The domain's (and the API's) task.
    pub fn into_task(self) -> Result<Task, DbErr> {
        let fields = self.fields()?;
        let json = |what: &str, e: serde_json::Error| DbErr::Custom(format!("{what}: {e}"));
        Ok(Task {
            id: self.id,
            title: self.title,
            description: self.description,
            status: fields.status,
            priority: fields.priority,
            assignee_id: self.assignee_id,
            assignee_name: self.assignee_name,
            gear_id: self.gear_id,
            blocking_reason: self.blocking_reason,
            sub_tasks: serde_json::from_str(&self.sub_tasks).map_err(|e| json("sub_tasks", e))?,
            daily_updates: serde_json::from_str(&self.daily_updates)
                .map_err(|e| json("daily_updates", e))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
