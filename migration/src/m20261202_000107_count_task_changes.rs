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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&count_changes_on(table)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            let trigger = change_trigger_name(table);
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger} ON {table}"))
                .await?;
        }
        Ok(())
    }
}
