//! The `sub_tasks` table as the original backend has it, with the unique
//! constraint `uq_sub_tasks_task_id_position (task_id, position)` that keeps
//! positions free of duplicates at every commit (not deferrable, as there:
//! the reorder query moves rows out of the way first, see
//! `taskflowd::db::sub_tasks::reorder`). Created only when missing; the id
//! default as for `tasks`.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Name of the unique constraint on `(task_id, position)`.
pub const UQ_SUB_TASKS_TASK_ID_POSITION: &str = "uq_sub_tasks_task_id_position";
/// Name of the foreign key `sub_tasks.task_id → tasks.id` (ON DELETE CASCADE).
pub const FK_SUB_TASKS_TASK_ID: &str = "fk_sub_tasks_task_id";

const UP: &str = r#"DO $do$
BEGIN
    IF to_regclass('public.sub_tasks') IS NULL THEN
        CREATE TABLE sub_tasks (
            id UUID NOT NULL,
            task_id UUID NOT NULL,
            title VARCHAR(200) NOT NULL,
            completed BOOLEAN DEFAULT false NOT NULL,
            position INTEGER NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            PRIMARY KEY (id),
            CONSTRAINT fk_sub_tasks_task_id FOREIGN KEY(task_id) REFERENCES tasks (id) ON DELETE CASCADE
        );
        ALTER TABLE sub_tasks ADD CONSTRAINT uq_sub_tasks_task_id_position UNIQUE (task_id, position);
        IF to_regprocedure('gen_random_uuid()') IS NOT NULL THEN
            ALTER TABLE sub_tasks ALTER COLUMN id SET DEFAULT gen_random_uuid();
        END IF;
    END IF;
END
$do$"#;

sql_migration! {
    up: [UP],
    down: ["DROP TABLE IF EXISTS sub_tasks"],
}
