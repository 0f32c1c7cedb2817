//! The `tasks` table (created by `m20261202_000102_create_tasks`), as the
//! queries of `db::tasks` read it, and the domain's [`Task`] built from it.
//!
//! Rows are read with raw, constant SQL rather than through a sea-orm
//! `Entity`: the enum columns are read as their labels (`status::text`), the
//! timestamps as the contract's RFC 3339 text (formatted by PostgreSQL, so no
//! date-time crate is needed), and a task's sub-tasks and daily updates come
//! in the same statement as JSON arrays (a list reads its sub-tasks with one
//! second statement).
//!
//! What a write sets and how a row maps back to `TaskFields` follow from the
//! one declaration of a task's fields (`domain::task_fields`), expanded here
//! by `task_db!`: a field added to the table is in `TaskRow`, written, and
//! read back into `TaskFields` and [`Task`] without an edit here.

use sea_orm::{DbErr, FromQueryResult};
use uuid::Uuid;

use super::{column_read, column_take, column_type, field_columns};
use crate::domain::task::{Priority, Status, Task, TaskFields, TaskPatch};
use crate::domain::task_fields::task_table;
#[cfg(doc)]
use crate::domain::{daily_update::DailyUpdate, sub_task::SubTask};

/// The task's answer expansion of `task_table!` in the query layer:
/// `TaskRow`, one row of the task queries (the written columns as read,
/// labels as text, around the id, the resolved name, the timestamps and the
/// children), and `TaskRow::fields` and `TaskRow::into_task`, the row read
/// back. The columns a write sets are the shared `field_columns!`'s.
macro_rules! task_db {
    ([$($header:tt)*] $(
        $(#[doc = $doc:literal])*
        $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch:ident,
        column $kind:ident $($sql_type:literal)?
        $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
    )*) => {
        /// One row of the task queries.
        #[derive(Debug, Clone, FromQueryResult)]
        pub struct TaskRow {
            /// Primary key (UUID v4 from the daemon, or the Python backend's default).
            pub id: Uuid,
            $(
                $(#[doc = $doc])* pub $name: column_type!($kind, $ty),
                $( $(#[doc = $rdoc])* pub $extra: $extra_ty, )?
            )*
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
            pub fn fields(&self) -> Result<TaskFields, sea_orm::DbErr> {
                Ok(TaskFields {
                    $( $name: column_read!($kind, self.$name, $ty, $name), )*
                })
            }

            /// The domain's (and the API's) task: each column moved out of
            /// the row (a label parsed), the children parsed from their JSON.
            pub fn into_task(self) -> Result<Task, DbErr> {
                let json = |what: &str, e: serde_json::Error| DbErr::Custom(format!("{what}: {e}"));
                Ok(Task {
                    id: self.id,
                    $(
                        $name: column_take!($kind, self.$name, $ty, $name),
                        $( $extra: self.$extra, )?
                    )*
                    sub_tasks: serde_json::from_str(&self.sub_tasks)
                        .map_err(|e| json("sub_tasks", e))?,
                    daily_updates: serde_json::from_str(&self.daily_updates)
                        .map_err(|e| json("daily_updates", e))?,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                })
            }
        }
    };
}

// `WRITTEN`, `READ` and `written_values` (the shared expansion), and
// `TaskRow`, `TaskRow::fields` and `TaskRow::into_task`, from the one
// declaration of a task's fields.
task_table!(field_columns);
task_table!(task_db);
