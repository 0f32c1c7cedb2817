//! Running the schema migrations safely when many daemons start at once.
//!
//! Every team member's daemon migrates the same shared database, often at the
//! same moment. All pending migrations run in one transaction that first
//! takes a *transaction-scoped* advisory lock (`pg_advisory_xact_lock`): the
//! others wait on the lock, then find nothing pending. The lock lives and
//! dies with the transaction, so it holds through PgBouncer in transaction
//! mode (where a session lock would stay on a server session some other
//! client gets next), needs no dedicated session, and is released when the
//! transaction ends in any way — commit, rollback, a dropped connection, or
//! this process dying mid-migration. PostgreSQL's DDL is transactional, so a
//! failed run leaves nothing half-applied.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgPool;
use sea_orm::{ConnectionTrait, SqlxPostgresConnector};

use super::unit;

/// Advisory lock key: the bytes of "taskflow" as an i64, so other
/// applications sharing the database are unlikely to pick the same key.
pub const MIGRATION_LOCK_KEY: i64 = 0x7461_736b_666c_6f77;

/// Takes the lock with [`MIGRATION_LOCK_KEY`] written out, so the statement
/// has no parameter and goes by the simple protocol.
const LOCK: &str = "SELECT pg_advisory_xact_lock(8386110886257651575)";

/// Applies pending migrations under the advisory lock, in one transaction.
pub async fn run_migrations(pool: &PgPool) -> Result<(), String> {
    let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
    let txn = unit::begin(&db)
        .await
        .map_err(|e| format!("cannot start the migration transaction: {e}"))?;
    txn.execute_unprepared(LOCK)
        .await
        .map_err(|e| format!("cannot take the migration lock: {e}"))?;
    Migrator::up(&txn, None)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    txn.commit()
        .await
        .map_err(|e| format!("migration failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_statement_uses_the_key() {
        assert_eq!(
            LOCK,
            format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        );
    }
}
