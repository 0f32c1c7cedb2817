//! taskflowd's schema migrations, one file per migration, applied in order by
//! the daemon itself at start-up (under an advisory lock, see
//! `taskflowd::db::migrate`).
pub use sea_orm_migration::prelude::*;

#[macro_use]
mod sql_migration;
mod missing_table;

mod m20261129_000001_create_members;
mod m20261129_000002_members_change_notify;
mod m20261202_000001_change_counter;
mod m20261202_000101_create_task_enums;
mod m20261202_000102_create_tasks;
mod m20261202_000103_create_sub_tasks;
mod m20261202_000104_create_daily_updates;
mod m20261202_000105_member_id_default;
mod m20261202_000106_alembic_stamp;
mod m20261202_000107_count_task_changes;

pub use m20261129_000001_create_members::UQ_MEMBERS_EMAIL;
pub use m20261202_000001_change_counter::{change_trigger_name, count_changes_on};
pub use m20261202_000102_create_tasks::FK_TASKS_ASSIGNEE_ID;
pub use m20261202_000103_create_sub_tasks::{FK_SUB_TASKS_TASK_ID, UQ_SUB_TASKS_TASK_ID_POSITION};
pub use m20261202_000104_create_daily_updates::{
    FK_DAILY_UPDATES_AUTHOR_ID, FK_DAILY_UPDATES_TASK_ID,
};
pub use m20261202_000106_alembic_stamp::ALEMBIC_HEAD;

/// Applies taskflowd's migrations in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_members::Migration),
            Box::new(m20261129_000002_members_change_notify::Migration),
            Box::new(m20261202_000001_change_counter::Migration),
            Box::new(m20261202_000101_create_task_enums::Migration),
            Box::new(m20261202_000102_create_tasks::Migration),
            Box::new(m20261202_000103_create_sub_tasks::Migration),
            Box::new(m20261202_000104_create_daily_updates::Migration),
            Box::new(m20261202_000105_member_id_default::Migration),
            Box::new(m20261202_000106_alembic_stamp::Migration),
            Box::new(m20261202_000107_count_task_changes::Migration),
        ]
    }
}
