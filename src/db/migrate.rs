//! Running the schema migrations safely when many daemons start at once.
//!
//! Every team member's daemon migrates the same shared database, often at the
//! same moment. The migrations run while this daemon holds a session-level
//! PostgreSQL advisory lock on a dedicated connection: the others wait, then
//! find nothing pending. The lock belongs to that session, so it is released
//! when the session ends, even if this process dies mid-migration.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::SqlxPostgresConnector;
use sea_orm::sqlx::{self, Connection, postgres::PgPool};

use super::connect::{ConnectionSource, connect_single};

/// Advisory lock key: the bytes of "taskflow" as an i64, so other
/// applications sharing the database are unlikely to pick the same key.
pub const MIGRATION_LOCK_KEY: i64 = 0x7461_736b_666c_6f77;

/// Applies pending migrations under the advisory lock.
pub async fn run_migrations(
    source: &ConnectionSource,
    pool: &PgPool,
    connect_timeout: Duration,
) -> Result<(), String> {
    let mut lock_conn = connect_single(source, connect_timeout).await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut lock_conn)
        .await
        .map_err(|e| format!("cannot take the migration lock: {e}"))?;

    let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
    let result = Migrator::up(&db, None)
        .await
        .map_err(|e| format!("migration failed: {e}"));

    // Explicit unlock, then close; if either fails the session end releases it anyway.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut lock_conn)
        .await;
    let _ = lock_conn.close().await;
    result
}
