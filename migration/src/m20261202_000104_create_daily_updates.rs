//! The `daily_updates` table as the original backend has it: cascading with
//! its task, and `ON DELETE RESTRICT` towards its author (a member with
//! updates cannot be deleted; the API answers 409 with the count first).
//! Created only when missing, with the id default where PostgreSQL has it
//! ([`create_missing_table`]).

use sea_orm_migration::prelude::*;

use crate::missing_table::create_missing_table;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Name of the foreign key `daily_updates.task_id → tasks.id` (ON DELETE CASCADE).
pub const FK_DAILY_UPDATES_TASK_ID: &str = "fk_daily_updates_task_id";
/// Name of the foreign key `daily_updates.author_id → members.id` (ON DELETE RESTRICT).
pub const FK_DAILY_UPDATES_AUTHOR_ID: &str = "fk_daily_updates_author_id";

/// The columns and constraints, in the original's order.
const DAILY_UPDATES: &str = "
            id UUID NOT NULL,
            task_id UUID NOT NULL,
            author_id UUID NOT NULL,
            author_name VARCHAR(100) NOT NULL,
            content VARCHAR(1000) NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            edited BOOLEAN DEFAULT false NOT NULL,
            PRIMARY KEY (id),
            CONSTRAINT fk_daily_updates_task_id FOREIGN KEY(task_id) REFERENCES tasks (id) ON DELETE CASCADE,
            CONSTRAINT fk_daily_updates_author_id FOREIGN KEY(author_id) REFERENCES members (id) ON DELETE RESTRICT
        ";

sql_migration! {
    up: [
        &create_missing_table("daily_updates", DAILY_UPDATES, &[]),
        "CREATE INDEX IF NOT EXISTS idx_daily_updates_task_id ON daily_updates (task_id)",
    ],
    down: ["DROP TABLE IF EXISTS daily_updates"],
}
