//! Queries on `sub_tasks`. Every mutation is one transaction that starts by
//! locking the task row ([`super::task_writes`]): appends, deletes and
//! reorders on one task then run one after the other, so the positions stay
//! `0..n-1` — the unique constraint `uq_sub_tasks_task_id_position` holds at
//! every commit — and a concurrent request waits instead of failing. Every
//! effective change touches the task's `updated_at` in the same transaction.
//!
//! The constraint is not deferrable (the original schema's), and PostgreSQL
//! checks it row by row; moving positions is therefore done in two
//! statements: first out of the way (to distinct negative values), then to
//! their final places.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

use super::outcome::{QueryError, Refusal};
use super::task_writes::{begin_locked, stmt, touch, write_row};
use super::write_conn::WriteConn;
use crate::domain::sub_task::SubTask;
use crate::domain::sub_task::{MAX_PER_TASK, Reorder};

macro_rules! columns {
    () => {
        concat!(
            "id, task_id, title, completed, position, ",
            utc_text!("created_at"),
            " AS created_at"
        )
    };
}

const COUNT_SQL: &str = "SELECT count(*) FROM sub_tasks WHERE task_id = $1";
const LIST_SQL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM sub_tasks WHERE task_id = $1 ORDER BY position"
);
const GET_SQL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM sub_tasks WHERE id = $1 AND task_id = $2"
);
const INSERT_SQL: &str = concat!(
    "INSERT INTO sub_tasks (id, task_id, title, position) VALUES ($1, $2, $3, $4) RETURNING ",
    columns!()
);
const TOGGLE_SQL: &str = concat!(
    "UPDATE sub_tasks SET completed = NOT completed WHERE id = $1 AND task_id = $2 RETURNING ",
    columns!()
);
const RENAME_SQL: &str = concat!(
    "UPDATE sub_tasks SET title = $3 WHERE id = $1 AND task_id = $2 RETURNING ",
    columns!()
);
const DELETE_SQL: &str = "DELETE FROM sub_tasks WHERE id = $1 AND task_id = $2 RETURNING position";
/// After a delete at `$2`: the ones behind it out of the way, then one up.
const CLOSE_GAP_SQL: [&str; 2] = [
    "UPDATE sub_tasks SET position = -position WHERE task_id = $1 AND position > $2",
    "UPDATE sub_tasks SET position = -position - 1 WHERE task_id = $1 AND position < 0",
];
/// A reorder: all out of the way, then each to its index in the JSON array `$2`.
const REORDER_SQL: [&str; 2] = [
    "UPDATE sub_tasks SET position = -1 - position WHERE task_id = $1",
    "UPDATE sub_tasks s SET position = o.ord - 1 \
     FROM json_array_elements_text($2::json) WITH ORDINALITY AS o(id, ord) \
     WHERE s.task_id = $1 AND s.id = o.id::uuid",
];

async fn all<C: ConnectionTrait>(db: &C, task_id: Uuid) -> Result<Vec<SubTask>, DbErr> {
    SubTask::find_by_statement(stmt(LIST_SQL, vec![task_id.into()]))
        .all(db)
        .await
}

/// Appends a sub-task (position = count); `TooManySubTasks` at 20.
pub async fn create(db: &WriteConn, task_id: Uuid, title: String) -> Result<SubTask, QueryError> {
    let txn = begin_locked(db, task_id).await?;
    let count = txn
        .query_one_raw(stmt(COUNT_SQL, vec![task_id.into()]))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or_default();
    if count >= MAX_PER_TASK as i64 {
        return Err(Refusal::TooManySubTasks.into());
    }
    let position = i32::try_from(count).map_err(|e| DbErr::Custom(e.to_string()))?;
    let values = vec![
        Uuid::new_v4().into(),
        task_id.into(),
        title.into(),
        position.into(),
    ];
    write_row(
        txn,
        task_id,
        stmt(INSERT_SQL, values),
        Refusal::SubTaskNotFound,
    )
    .await
}

/// Flips `completed`.
pub async fn toggle(db: &WriteConn, task_id: Uuid, id: Uuid) -> Result<SubTask, QueryError> {
    let txn = begin_locked(db, task_id).await?;
    let toggle = stmt(TOGGLE_SQL, vec![id.into(), task_id.into()]);
    write_row(txn, task_id, toggle, Refusal::SubTaskNotFound).await
}

/// Changes the title; the same title writes nothing.
pub async fn rename(
    db: &WriteConn,
    task_id: Uuid,
    id: Uuid,
    title: String,
) -> Result<SubTask, QueryError> {
    let txn = begin_locked(db, task_id).await?;
    let stored = SubTask::find_by_statement(stmt(GET_SQL, vec![id.into(), task_id.into()]))
        .one(&txn)
        .await?
        .ok_or(Refusal::SubTaskNotFound)?;
    if stored.title == title {
        return Ok(stored);
    }
    let values = vec![id.into(), task_id.into(), title.into()];
    write_row(
        txn,
        task_id,
        stmt(RENAME_SQL, values),
        Refusal::SubTaskNotFound,
    )
    .await
}

/// Puts the task's sub-tasks in the given order (positions 0..n-1);
/// `ReorderMismatch` unless the ids are exactly the task's sub-tasks. The
/// current order again writes nothing.
pub async fn reorder(
    db: &WriteConn,
    task_id: Uuid,
    order: Reorder,
) -> Result<Vec<SubTask>, QueryError> {
    let txn = begin_locked(db, task_id).await?;
    let current = all(&txn, task_id).await?;
    let ids = order.0;
    let same_set = ids.len() == current.len() && current.iter().all(|s| ids.contains(&s.id));
    if !same_set {
        return Err(Refusal::ReorderMismatch.into());
    }
    if current.iter().map(|s| s.id).eq(ids.iter().copied()) {
        return Ok(current);
    }
    let json = serde_json::to_string(&ids).map_err(|e| DbErr::Custom(e.to_string()))?;
    txn.execute_raw(stmt(REORDER_SQL[0], vec![task_id.into()]))
        .await?;
    txn.execute_raw(stmt(REORDER_SQL[1], vec![task_id.into(), json.into()]))
        .await?;
    touch(&txn, task_id).await?;
    let reordered = all(&txn, task_id).await?;
    txn.commit().await?;
    Ok(reordered)
}

/// Deletes a sub-task; the ones after it move up one.
pub async fn delete(db: &WriteConn, task_id: Uuid, id: Uuid) -> Result<(), QueryError> {
    let txn = begin_locked(db, task_id).await?;
    let position = txn
        .query_one_raw(stmt(DELETE_SQL, vec![id.into(), task_id.into()]))
        .await?
        .map(|row| row.try_get_by_index::<i32>(0))
        .transpose()?
        .ok_or(Refusal::SubTaskNotFound)?;
    txn.execute_raw(stmt(
        CLOSE_GAP_SQL[0],
        vec![task_id.into(), position.into()],
    ))
    .await?;
    txn.execute_raw(stmt(CLOSE_GAP_SQL[1], vec![task_id.into()]))
        .await?;
    touch(&txn, task_id).await?;
    txn.commit().await?;
    Ok(())
}
