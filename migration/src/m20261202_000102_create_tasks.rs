//! The `tasks` table, exactly as the original backend's Alembic head has it
//! (names of the foreign key and indexes included: they are part of the
//! contract, TASKS-API.md "Database").
//!
//! Created only when missing, with the id default where PostgreSQL has it
//! ([`create_missing_table`]).

use sea_orm_migration::prelude::*;

use crate::missing_table::create_missing_table;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Name of the foreign key `tasks.assignee_id → members.id` (ON DELETE SET NULL).
pub const FK_TASKS_ASSIGNEE_ID: &str = "fk_tasks_assignee_id";

/// The columns and constraints, in the original's order.
const TASKS: &str = "
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
        ";

sql_migration! {
    up: [
        &create_missing_table("tasks", TASKS, &[]),
        "CREATE INDEX IF NOT EXISTS idx_tasks_status ON tasks (status)",
        "CREATE INDEX IF NOT EXISTS idx_tasks_assignee_id ON tasks (assignee_id)",
    ],
    down: ["DROP TABLE IF EXISTS tasks"],
}
