//! The `tasks` table, exactly as the original backend's Alembic head has it
//! (names of the foreign key and indexes included: they are part of the
//! contract, TASKS-API.md "Database").
//!
//! Created only when missing (a Python-created database keeps its table and
//! rows). The id default `gen_random_uuid()` is set only where PostgreSQL
//! has that function without an extension (13+, or pgcrypto already there):
//! taskflowd generates its ids itself, but the Python backend may rely on the
//! default, and no extension is ever created (the team's role may not).

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Name of the foreign key `tasks.assignee_id → members.id` (ON DELETE SET NULL).
pub const FK_TASKS_ASSIGNEE_ID: &str = "fk_tasks_assignee_id";

const UP: [&str; 3] = [
    r#"DO $do$
BEGIN
    IF to_regclass('public.tasks') IS NULL THEN
        CREATE TABLE tasks (
            id UUID NOT NULL,
            title VARCHAR(200) NOT NULL,
            description VARCHAR(2000),
            status task_status NOT NULL,
            priority task_priority NOT NULL,
            assignee_id UUID,
            assignee_name VARCHAR(100),
            gear_id VARCHAR(4),
            blocking_reason VARCHAR DEFAULT '' NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            PRIMARY KEY (id),
            CONSTRAINT fk_tasks_assignee_id FOREIGN KEY(assignee_id) REFERENCES members (id) ON DELETE SET NULL
        );
        IF to_regprocedure('gen_random_uuid()') IS NOT NULL THEN
            ALTER TABLE tasks ALTER COLUMN id SET DEFAULT gen_random_uuid();
        END IF;
    END IF;
END
$do$"#,
    "CREATE INDEX IF NOT EXISTS idx_tasks_status ON tasks (status)",
    "CREATE INDEX IF NOT EXISTS idx_tasks_assignee_id ON tasks (assignee_id)",
];

sql_migration! {
    up: UP,
    down: ["DROP TABLE IF EXISTS tasks"],
}
