//! [`sql_migration!`]: the `MigrationTrait` impl of a migration written as
//! SQL, which all of them but the first are. Each file keeps its own
//! `#[derive(DeriveMigrationName)] pub struct Migration;` (the name recorded
//! in `seaql_migrations` comes from the file that derives it) and says only
//! what it runs.

use sea_orm_migration::prelude::*;

/// Runs each statement in order with the simple protocol (no parameters,
/// one round trip, nothing prepared: safe behind any pooler).
pub(crate) async fn run_statements<I, S>(
    manager: &SchemaManager<'_>,
    statements: I,
) -> Result<(), DbErr>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql.as_ref()).await?;
    }
    Ok(())
}

/// `impl MigrationTrait for Migration`: `up` runs the `up` statements in
/// order, `down` the `down` ones; `down: nothing` when the migration is
/// never undone (the caller says why).
macro_rules! sql_migration {
    (up: $up:expr, down: nothing $(,)?) => {
        sql_migration!(@impl $up, ::std::iter::empty::<&str>());
    };
    (up: $up:expr, down: $down:expr $(,)?) => {
        sql_migration!(@impl $up, $down);
    };
    (@impl $up:expr, $down:expr) => {
        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::sql_migration::run_statements(manager, $up).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::sql_migration::run_statements(manager, $down).await
            }
        }
    };
}
