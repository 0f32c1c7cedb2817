//! The `daily_updates` table (created by
//! `m20261202_000104_create_daily_updates`): one row is one progress note on
//! a task, read with raw SQL (see `entities::task` for why) straight into
//! the domain's [`DailyUpdate`].

use sea_orm::{DbErr, FromQueryResult, QueryResult};

use crate::domain::daily_update::DailyUpdate;

/// A row of `daily_updates`, column by column (the columns the queries select).
impl FromQueryResult for DailyUpdate {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.try_get(pre, "id")?,
            task_id: row.try_get(pre, "task_id")?,
            author_id: row.try_get(pre, "author_id")?,
            author_name: row.try_get(pre, "author_name")?,
            content: row.try_get(pre, "content")?,
            created_at: row.try_get(pre, "created_at")?,
            updated_at: row.try_get(pre, "updated_at")?,
            edited: row.try_get(pre, "edited")?,
        })
    }
}
