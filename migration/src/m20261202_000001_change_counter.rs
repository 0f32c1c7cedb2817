//! Cache coherence that works through any connection pooler: a change
//! counter per watched table, bumped in the writing transaction by a
//! statement-level trigger, replaces the `NOTIFY` trigger of
//! `m20261129_000002` (a transaction pooler cannot deliver notifications to
//! a `LISTEN`ing session, because there is no session).
//!
//! `taskflow_changes` holds one row per watched table; the trigger function
//! `taskflow_count_change()` upserts `version = version + 1` for
//! `TG_TABLE_NAME`. The bump commits (or rolls back) with the write itself,
//! so a reader that sees an unchanged counter has seen every committed write
//! (see `taskflowd::db::coherence`). Writes by other daemons, the Python
//! backend and direct SQL all count. Another table joins with one line:
//! `db.execute_unprepared(&count_changes_on("tasks"))` in its own migration.
//!
//! The old `NOTIFY` trigger and its function are dropped here; the applied
//! migration that created them stays as it was.

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counter table and the trigger function, shared by every watched table.
const COUNTER: &str = r#"DO $do$
BEGIN
    CREATE TABLE IF NOT EXISTS taskflow_changes (
        table_name text PRIMARY KEY,
        version bigint NOT NULL DEFAULT 0
    );
    CREATE OR REPLACE FUNCTION taskflow_count_change() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        INSERT INTO taskflow_changes AS c (table_name, version) VALUES (TG_TABLE_NAME, 1)
        ON CONFLICT (table_name) DO UPDATE SET version = c.version + 1;
        RETURN NULL;
    END
    $fn$;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'change counter not installed: %', SQLERRM;
END
$do$"#;

/// The old `NOTIFY` trigger, dropped where this role may (a role that does
/// not own `members` never had it).
const DROP_NOTIFY: &str = r#"DO $do$
BEGIN
    DROP TRIGGER IF EXISTS taskflow_members_changed ON members;
    DROP FUNCTION IF EXISTS taskflow_members_changed();
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'members notify trigger not dropped: %', SQLERRM;
END
$do$"#;

/// The name of the counting trigger on `table` (the daemon checks it exists
/// and is enabled before trusting the counter).
pub fn change_trigger_name(table: &str) -> String {
    format!("taskflow_{table}_count")
}

/// DDL that makes every writing statement on `table` bump its counter.
/// All or nothing, like `m20261129_000002`: a role that may use `table` but
/// does not own it cannot create the trigger, and must still become ready
/// (the daemon then reads that table uncached). `table` is a constant
/// identifier from a migration, never user input.
pub fn count_changes_on(table: &str) -> String {
    let trigger = change_trigger_name(table);
    format!(
        r#"DO $do$
BEGIN
    DROP TRIGGER IF EXISTS {trigger} ON {table};
    CREATE TRIGGER {trigger}
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION taskflow_count_change();
EXCEPTION WHEN insufficient_privilege OR undefined_function THEN
    RAISE NOTICE '{table} change trigger not installed: %', SQLERRM;
END
$do$"#
    )
}

const DOWN: [&str; 3] = [
    "DROP TRIGGER IF EXISTS taskflow_members_count ON members",
    "DROP FUNCTION IF EXISTS taskflow_count_change()",
    "DROP TABLE IF EXISTS taskflow_changes",
];

sql_migration! {
    up: [COUNTER, DROP_NOTIFY, &count_changes_on("members")],
    down: DOWN,
}
