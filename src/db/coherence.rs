//! Cache coherence through any pooler: the change counter of a watched table
//! (migration `m20261202_000001`), read in one cheap query.
//!
//! Every writing statement on a watched table bumps its row in
//! `taskflow_changes` inside the writing transaction, so the bump becomes
//! visible exactly when the write does. A cache that stored a body together
//! with the [`Version`] read *before* the body's query serves it again only
//! while a fresh read of the version is unchanged:
//!
//! - a write committed before the version read is in the body (the body's
//!   query ran later) and in the version;
//! - a write committed after the version read moves the version, so the next
//!   check reloads (at worst one needless reload, never a stale body).
//!
//! No session state is involved (no `LISTEN`, no prepared statement: the
//! query is sent with the simple protocol), so this holds behind PgBouncer in
//! session and transaction mode alike. The version is the counter and the
//! `xmin` of its row, so a counter reset (the table emptied and refilled)
//! still reads as a change.

use sea_orm::sqlx::{self, Row, postgres::PgConnection};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, RuntimeErr, Statement};
use std::sync::Arc;

/// A watched table: its name and the statement that reads its version.
#[derive(Debug, Clone, Copy)]
pub struct Watched {
    /// The table (for logs).
    pub table: &'static str,
    /// `SELECT version, trigger_active`: constant text, see [`watched!`].
    sql: &'static str,
}

/// Declares a [`Watched`] list over one or more tables: its version is each
/// table's counter (`-` while a table was never written), and it counts only
/// while every table's trigger exists and is enabled. The trigger names must
/// be the ones `migration::change_trigger_name` gives
/// (`taskflow_<table>_count`; a unit test checks).
macro_rules! watched {
    ($($table:literal),+) => {
        Watched {
            table: concat!($($table, " "),+),
            sql: concat!(
                "SELECT concat_ws(','",
                $(
                    ", coalesce((SELECT version::text || '.' || xmin::text FROM taskflow_changes \
                     WHERE table_name = '",
                    $table,
                    "'), '-')",
                )+
                "), true",
                $(
                    " AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'taskflow_",
                    $table,
                    "_count' AND tgrelid = to_regclass('",
                    $table,
                    "') AND tgenabled IN ('O', 'A'))",
                )+
            ),
        }
    };
}

/// `members`, whose list the daemon caches.
pub const MEMBERS: Watched = watched!("members");

/// What the task list shows: `tasks` and their `sub_tasks`. (A daily
/// update's write touches its task, and a member's rename rewrites the
/// tasks' `assignee_name`, so those move this version too.)
pub const TASK_LIST: Watched = watched!("tasks", "sub_tasks");

/// What a task page shows: the task, its sub-tasks and its daily updates.
pub const TASK_PAGE: Watched = watched!("tasks", "sub_tasks", "daily_updates");

/// A watched table's change version. Equal versions mean no write committed
/// in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(Option<String>);

impl Version {
    /// A version for unit tests of the caches.
    #[cfg(test)]
    pub fn from_test(v: &str) -> Self {
        Self(Some(v.to_owned()))
    }
}

/// Reads `table`'s version on `conn`, or `None` when its trigger is missing
/// or disabled (nothing would count the writes, so nothing may be cached).
pub async fn version(conn: &mut PgConnection, table: Watched) -> Result<Option<Version>, DbErr> {
    read(conn, table)
        .await
        .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))
}

/// [`version`] on a sea-orm connection or transaction: the task list reads
/// it first in its snapshot, so the rows it then reads are exactly that
/// version's.
pub async fn version_in<C: ConnectionTrait>(
    db: &C,
    table: Watched,
) -> Result<Option<Version>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, table.sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the {} change version", table.table)))?;
    let counted: bool = row.try_get_by_index(1)?;
    counted
        .then(|| row.try_get_by_index::<Option<String>>(0).map(Version))
        .transpose()
}

async fn read(conn: &mut PgConnection, table: Watched) -> Result<Option<Version>, sqlx::Error> {
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(table.sql))
        .fetch_one(conn)
        .await?;
    let counted: bool = row.try_get(1)?;
    counted
        .then(|| row.try_get::<Option<String>, _>(0).map(Version))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_triggers_checked_are_the_ones_the_migrations_create() {
        for (watched, tables) in [
            (MEMBERS, &["members"][..]),
            (TASK_LIST, &["tasks", "sub_tasks"]),
            (TASK_PAGE, &["tasks", "sub_tasks", "daily_updates"]),
        ] {
            for table in tables {
                let trigger = migration::change_trigger_name(table);
                assert!(
                    watched.sql.contains(&format!(
                        "tgname = '{trigger}' AND tgrelid = to_regclass('{table}')"
                    )),
                    "{}",
                    watched.sql
                );
            }
        }
    }
}
