//! taskflowd's schema migrations.
pub use sea_orm_migration::prelude::*;

/// Applies taskflowd's migrations in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }
}
