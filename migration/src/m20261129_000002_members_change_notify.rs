//! A statement-level trigger on `members` that runs
//! `pg_notify('taskflow_members_changed', '')` after every INSERT, UPDATE,
//! DELETE or TRUNCATE. Each daemon LISTENs on that channel to invalidate its
//! in-memory copy of the member list (see `taskflowd::db::members_cache`);
//! because the trigger lives in the database, writes by other daemons and by
//! the original Python backend notify too.
//!
//! Idempotent (`CREATE OR REPLACE FUNCTION`, `DROP TRIGGER IF EXISTS`) and
//! needs no superuser: plpgsql is installed by default and the table owner
//! may create triggers on it. Statement-level, so a bulk write sends one
//! notification (PostgreSQL also folds identical notifications within a
//! transaction).

use sea_orm_migration::prelude::*;

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// One DO block, so it is all or nothing: a role that may use `members` but
/// does not own it (a database adopted from another owner) cannot create the
/// trigger. That must not stop the daemon from becoming ready: the block
/// then installs nothing, and the listener's trigger check keeps the members
/// list cache off (every list is read from the database, as before).
const UP: [&str; 1] = [r#"DO $do$
BEGIN
    CREATE OR REPLACE FUNCTION taskflow_members_changed() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        PERFORM pg_notify('taskflow_members_changed', '');
        RETURN NULL;
    END
    $fn$;
    DROP TRIGGER IF EXISTS taskflow_members_changed ON members;
    CREATE TRIGGER taskflow_members_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON members
        FOR EACH STATEMENT EXECUTE FUNCTION taskflow_members_changed();
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'members change trigger not installed: %', SQLERRM;
END
$do$"#];

const DOWN: [&str; 2] = [
    "DROP TRIGGER IF EXISTS taskflow_members_changed ON members",
    "DROP FUNCTION IF EXISTS taskflow_members_changed()",
];

sql_migration! {
    up: UP,
    down: DOWN,
}
