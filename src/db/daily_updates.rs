//! Queries on `daily_updates`. Every mutation is one transaction that locks
//! the task row first and touches the task's `updated_at`
//! ([`super::task_writes`]). The 24-hour edit window is measured by the
//! database clock (`now() - created_at`), the same clock that stamped
//! `created_at`.

use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use super::outcome::{QueryError, Refusal};
use super::task_writes::{begin_locked, lock_task, stmt, touch, write_row};
use super::tasks::member_name;
use super::unit;
use super::write_conn::WriteConn;
use crate::domain::daily_update::DailyUpdate;
use crate::domain::daily_update::{NewDailyUpdate, UpdateContent};

macro_rules! columns {
    () => {
        concat!(
            "id, task_id, author_id, author_name, content, ",
            utc_text!("created_at"),
            " AS created_at, ",
            utc_text!("updated_at"),
            " AS updated_at, edited"
        )
    };
}

/// The update's content and whether its 24 hours are over.
const STATE_SQL: &str = "SELECT content, now() - created_at > interval '24 hours' \
     FROM daily_updates WHERE id = $1 AND task_id = $2";
const INSERT_SQL: &str = concat!(
    "INSERT INTO daily_updates (id, task_id, author_id, author_name, content) \
     VALUES ($1, $2, $3, $4, $5) RETURNING ",
    columns!()
);
const EDIT_SQL: &str = concat!(
    "UPDATE daily_updates SET content = $3, edited = true, updated_at = now() \
     WHERE id = $1 AND task_id = $2 RETURNING ",
    columns!()
);
const GET_SQL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM daily_updates WHERE id = $1 AND task_id = $2"
);
const DELETE_SQL: &str = "DELETE FROM daily_updates WHERE id = $1 AND task_id = $2";

/// The stored content and whether the window is over (`UpdateNotFound` if none).
async fn state<C: ConnectionTrait>(
    db: &C,
    task_id: Uuid,
    id: Uuid,
) -> Result<(String, bool), QueryError> {
    let row = db
        .query_one_raw(stmt(STATE_SQL, vec![id.into(), task_id.into()]))
        .await?
        .ok_or(Refusal::UpdateNotFound)?;
    Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?))
}

/// Adds an update: the author is checked before the task, as the contract
/// orders it; the author's name is stored with it.
pub async fn create(
    db: &WriteConn,
    task_id: Uuid,
    new: NewDailyUpdate,
) -> Result<DailyUpdate, QueryError> {
    let txn = unit::begin(db).await?;
    let author_name = member_name(&txn, new.author_id)
        .await?
        .ok_or(Refusal::AuthorNotFound)?;
    lock_task(&txn, task_id).await?;
    let values = vec![
        Uuid::new_v4().into(),
        task_id.into(),
        new.author_id.into(),
        author_name.into(),
        new.content.into(),
    ];
    write_row(
        txn,
        task_id,
        stmt(INSERT_SQL, values),
        Refusal::UpdateNotFound,
    )
    .await
}

/// Edits the content within 24 hours of `created_at` (checked before the
/// no-change case); the same content writes nothing.
pub async fn edit(
    db: &WriteConn,
    task_id: Uuid,
    id: Uuid,
    content: UpdateContent,
) -> Result<DailyUpdate, QueryError> {
    let txn = begin_locked(db, task_id).await?;
    let (stored, expired) = state(&txn, task_id, id).await?;
    if expired {
        return Err(Refusal::EditWindowClosed.into());
    }
    let changed = stored != content.0;
    let query = if changed {
        stmt(EDIT_SQL, vec![id.into(), task_id.into(), content.0.into()])
    } else {
        stmt(GET_SQL, vec![id.into(), task_id.into()])
    };
    let update = DailyUpdate::find_by_statement(query)
        .one(&txn)
        .await?
        .ok_or(Refusal::UpdateNotFound)?;
    if changed {
        touch(&txn, task_id).await?;
    }
    txn.commit().await?;
    Ok(update)
}

/// Deletes an update within 24 hours of `created_at`.
pub async fn delete(db: &WriteConn, task_id: Uuid, id: Uuid) -> Result<(), QueryError> {
    let txn = begin_locked(db, task_id).await?;
    let (_, expired) = state(&txn, task_id, id).await?;
    if expired {
        return Err(Refusal::DeleteWindowClosed.into());
    }
    txn.execute_raw(stmt(DELETE_SQL, vec![id.into(), task_id.into()]))
        .await?;
    touch(&txn, task_id).await?;
    txn.commit().await?;
    Ok(())
}
