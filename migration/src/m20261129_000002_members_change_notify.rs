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

const UP: [&str; 3] = [
    r#"CREATE OR REPLACE FUNCTION taskflow_members_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('taskflow_members_changed', '');
    RETURN NULL;
END
$$"#,
    "DROP TRIGGER IF EXISTS taskflow_members_changed ON members",
    "CREATE TRIGGER taskflow_members_changed \
     AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON members \
     FOR EACH STATEMENT EXECUTE FUNCTION taskflow_members_changed()",
];

const DOWN: [&str; 2] = [
    "DROP TRIGGER IF EXISTS taskflow_members_changed ON members",
    "DROP FUNCTION IF EXISTS taskflow_members_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in UP {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in DOWN {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
