//! The enum types `task_status` and `task_priority`, with exactly the labels
//! (and label order) of the original backend: the order is what `sort=status`
//! and `sort=priority` rely on (PostgreSQL compares enum values by it).
//!
//! Created only when missing, so a database the Python backend created keeps
//! its own types untouched.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"DO $do$
BEGIN
    IF to_regtype('public.task_status') IS NULL THEN
        CREATE TYPE task_status AS ENUM ('To Do', 'In Progress', 'Blocked', 'Done');
    END IF;
    IF to_regtype('public.task_priority') IS NULL THEN
        CREATE TYPE task_priority AS ENUM ('High', 'Medium', 'Low');
    END IF;
END
$do$"#;

const DOWN: [&str; 2] = [
    "DROP TYPE IF EXISTS task_priority",
    "DROP TYPE IF EXISTS task_status",
];

sql_migration! {
    up: [UP],
    down: DOWN,
}
