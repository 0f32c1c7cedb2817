//! taskflowd's schema migrations, one file per migration, applied in order by
//! the daemon itself at start-up (under an advisory lock, see
//! `taskflowd::db::migrate`).
pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_members;
mod m20261129_000002_members_change_notify;
mod m20261202_000001_change_counter;

pub use m20261129_000001_create_members::UQ_MEMBERS_EMAIL;
pub use m20261202_000001_change_counter::{change_trigger_name, count_changes_on};

/// Applies taskflowd's migrations in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_members::Migration),
            Box::new(m20261129_000002_members_change_notify::Migration),
            Box::new(m20261202_000001_change_counter::Migration),
        ]
    }
}
