//! Pooler-safe units of work: every statement with bind parameters runs
//! inside [`run`]'s explicit transaction.
//!
//! sqlx sends a parameterised statement in two round trips (Parse/Describe
//! then Sync, Bind/Execute then Sync). Behind PgBouncer in transaction mode
//! the server session is handed to another client at every `ReadyForQuery`
//! outside a transaction, so the two halves could reach different server
//! sessions; inside `BEGIN … COMMIT` they cannot. With the statement cache
//! off (`connect.rs`) sqlx still *names* each statement (`sqlx_s_N`, counted
//! per client connection) and never closes it, so a server session passed
//! between clients would collect names that collide ("prepared statement
//! \"sqlx_s_1\" already exists"). Each unit therefore starts with
//! `DEALLOCATE ALL`: whatever an earlier client left on the server session
//! this transaction got is gone, and the names this unit creates are unique
//! within it. Statements without parameters (pings, the change-counter read,
//! the migration lock) use the simple protocol and need none of this.

use std::future::Future;
use std::pin::Pin;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};

/// The boxed future a unit's body returns.
pub type UnitFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DbErr>> + Send + 'a>>;

/// Clears the statement names earlier clients left on this server session.
pub const DEALLOCATE_ALL: &str = "DEALLOCATE ALL";

/// Runs `body` in one transaction: `BEGIN`, [`DEALLOCATE_ALL`], the body,
/// `COMMIT` (or `ROLLBACK` when the body fails).
pub async fn run<T, F>(db: &DatabaseConnection, body: F) -> Result<T, DbErr>
where
    T: Send,
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> UnitFuture<'t, T> + Send,
{
    let txn = begin(db).await?;
    match body(&txn).await {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(e) => {
            // The body's error is the one worth reporting; a failed
            // rollback ends the session, which rolls back too.
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}

/// `BEGIN` and [`DEALLOCATE_ALL`], for callers that manage the transaction
/// themselves (the migrations).
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared(DEALLOCATE_ALL).await?;
    Ok(txn)
}
