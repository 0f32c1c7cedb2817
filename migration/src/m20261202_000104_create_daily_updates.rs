//! The `daily_updates` table as the original backend has it: cascading with
//! its task, and `ON DELETE RESTRICT` towards its author (a member with
//! updates cannot be deleted; the API answers 409 with the count first).
//! Created only when missing; the id default as for `tasks`.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Name of the foreign key `daily_updates.task_id → tasks.id` (ON DELETE CASCADE).
pub const FK_DAILY_UPDATES_TASK_ID: &str = "fk_daily_updates_task_id";
/// Name of the foreign key `daily_updates.author_id → members.id` (ON DELETE RESTRICT).
pub const FK_DAILY_UPDATES_AUTHOR_ID: &str = "fk_daily_updates_author_id";

const UP: [&str; 2] = [
    r#"DO $do$
BEGIN
    IF to_regclass('public.daily_updates') IS NULL THEN
        CREATE TABLE daily_updates (
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
        );
        IF to_regprocedure('gen_random_uuid()') IS NOT NULL THEN
            ALTER TABLE daily_updates ALTER COLUMN id SET DEFAULT gen_random_uuid();
        END IF;
    END IF;
END
$do$"#,
    "CREATE INDEX IF NOT EXISTS idx_daily_updates_task_id ON daily_updates (task_id)",
];

sql_migration! {
    up: UP,
    down: ["DROP TABLE IF EXISTS daily_updates"],
}
