//! What every write below a task — its sub-tasks, its daily updates — shares.
//!
//! The transaction locks the task row before anything else
//! (`SELECT … FOR UPDATE`), so writes on one task run one after the other
//! (the sub-task positions stay `0..n-1`) and a task deleted meanwhile is
//! `TaskNotFound`, never a foreign-key error. An effective change touches the
//! task's `updated_at` in the same transaction (TASKS-API.md's touch rule).
//! And [`stmt`], the one way the task queries write a statement.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, FromQueryResult,
    Statement, Value,
};
use uuid::Uuid;

use super::outcome::{QueryError, Refusal};
use super::unit;

const LOCK_TASK_SQL: &str = "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE";
const TOUCH_SQL: &str = "UPDATE tasks SET updated_at = now() WHERE id = $1";

/// A PostgreSQL statement with its bind values.
pub(crate) fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Locks task `task_id` in `txn` until it ends (`TaskNotFound` if none).
pub(crate) async fn lock_task<C: ConnectionTrait>(
    txn: &C,
    task_id: Uuid,
) -> Result<(), QueryError> {
    match txn
        .query_one_raw(stmt(LOCK_TASK_SQL, vec![task_id.into()]))
        .await?
    {
        Some(_) => Ok(()),
        None => Err(Refusal::TaskNotFound.into()),
    }
}

/// Begins the unit and locks task `task_id` first.
pub(crate) async fn begin_locked(
    db: &DatabaseConnection,
    task_id: Uuid,
) -> Result<DatabaseTransaction, QueryError> {
    let txn = unit::begin(db).await?;
    lock_task(&txn, task_id).await?;
    Ok(txn)
}

/// Sets the task's `updated_at` to now (the touch rule).
pub(crate) async fn touch<C: ConnectionTrait>(txn: &C, task_id: Uuid) -> Result<(), DbErr> {
    txn.execute_raw(stmt(TOUCH_SQL, vec![task_id.into()]))
        .await?;
    Ok(())
}

/// The end of a write that changes one row and returns it: runs `statement`,
/// touches the task and commits; `missing` when the statement returned no row
/// (the transaction is then rolled back as it is dropped).
pub(crate) async fn write_row<M: FromQueryResult>(
    txn: DatabaseTransaction,
    task_id: Uuid,
    statement: Statement,
    missing: Refusal,
) -> Result<M, QueryError> {
    let row = M::find_by_statement(statement)
        .one(&txn)
        .await?
        .ok_or(missing)?;
    touch(&txn, task_id).await?;
    txn.commit().await?;
    Ok(row)
}
