//! The task API's change counters: `tasks`, `sub_tasks` and `daily_updates`
//! count their writes like `members` (see `m20261202_000001_change_counter`),
//! so the daemon can keep the dashboard list and task pages in memory and
//! still see every write by any daemon, the Python backend or direct SQL at
//! the next read.

use sea_orm_migration::prelude::*;

use crate::m20261202_000001_change_counter::{change_trigger_name, count_changes_on};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["tasks", "sub_tasks", "daily_updates"];

sql_migration! {
    up: TABLES.map(count_changes_on),
    down: TABLES.map(|table| {
        let trigger = change_trigger_name(table);
        format!("DROP TRIGGER IF EXISTS {trigger} ON {table}")
    }),
}
