//! The `sub_tasks` table (created by `m20261202_000103_create_sub_tasks`):
//! one row is one item of a task's checklist, read with raw SQL (see
//! `entities::task` for why) straight into the domain's [`SubTask`].

use sea_orm::{DbErr, FromQueryResult, QueryResult};

use crate::domain::sub_task::SubTask;

/// A row of `sub_tasks`, column by column (the columns the queries select).
impl FromQueryResult for SubTask {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.try_get(pre, "id")?,
            task_id: row.try_get(pre, "task_id")?,
            title: row.try_get(pre, "title")?,
            completed: row.try_get(pre, "completed")?,
            position: row.try_get(pre, "position")?,
            created_at: row.try_get(pre, "created_at")?,
        })
    }
}
