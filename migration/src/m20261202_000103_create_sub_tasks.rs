//! The `sub_tasks` table as the original backend has it, with the unique
//! constraint `uq_sub_tasks_task_id_position (task_id, position)` that keeps
//! positions free of duplicates at every commit (not deferrable, as there:
//! the reorder query moves rows out of the way first, see
//! `taskflowd::db::sub_tasks::reorder`). Created only when missing, with the
//! id default where PostgreSQL has it ([`create_missing_table`]).

use sea_orm_migration::prelude::*;

use crate::missing_table::create_missing_table;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Name of the unique constraint on `(task_id, position)`.
pub const UQ_SUB_TASKS_TASK_ID_POSITION: &str = "uq_sub_tasks_task_id_position";
/// Name of the foreign key `sub_tasks.task_id → tasks.id` (ON DELETE CASCADE).
pub const FK_SUB_TASKS_TASK_ID: &str = "fk_sub_tasks_task_id";

/// The columns and constraints, in the original's order.
const SUB_TASKS: &str = "
            id UUID NOT NULL,
            task_id UUID NOT NULL,
            title VARCHAR(200) NOT NULL,
            completed BOOLEAN DEFAULT false NOT NULL,
            position INTEGER NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            PRIMARY KEY (id),
            CONSTRAINT fk_sub_tasks_task_id FOREIGN KEY(task_id) REFERENCES tasks (id) ON DELETE CASCADE
        ";

/// The unique constraint on positions, added once the table exists.
const UNIQUE_POSITION: &str =
    "ALTER TABLE sub_tasks ADD CONSTRAINT uq_sub_tasks_task_id_position UNIQUE (task_id, position)";

sql_migration! {
    up: [create_missing_table("sub_tasks", SUB_TASKS, &[UNIQUE_POSITION])],
    down: ["DROP TABLE IF EXISTS sub_tasks"],
}
