//! Queries on `tasks`. Each handler calls one of these; every mutation is one
//! transaction that first locks the task row (`FOR UPDATE`), so concurrent
//! changes to one task (its sub-tasks and updates included, see
//! [`super::sub_tasks`]) are applied one after the other.
//!
//! These are the reads behind the caches: `GET /tasks` and `GET /tasks/{id}`
//! go through [`super::tasks_cache`], which serves a stored body only while
//! the change counters say no write committed since (so a write by another
//! daemon or by the Python backend shows within `RECHECK_AFTER`, this
//! daemon's own at once), and calls `list_in` and `get` otherwise. A task alone is read
//! with its sub-tasks and daily updates as JSON arrays built in the same
//! statement; the dashboard's list of ~500 tasks is two statements (the tasks,
//! then all their sub-tasks), not one per task. All SQL text is constant; values are bind parameters.

use std::collections::HashMap;
use std::sync::LazyLock;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use uuid::Uuid;

use super::entities::task::{TaskRow, WRITTEN, written_values};
use super::entities::{bind_list, name_list, set_list};
use super::outcome::{QueryError, Refusal};
use super::task_writes::stmt;
use super::unit;
use super::write_conn::WriteConn;
use crate::domain::sub_task::SubTask;
use crate::domain::task::{
    AssigneeFilter, Label, NewTask, Sort, Task, TaskFields, TaskPatch, TaskQuery,
};
use crate::domain::task_fields::task_table;

/// One written column in a SELECT list, by column kind: a label is read
/// as its text (`TaskRow` holds it as a `String`).
macro_rules! column_select {
    (plain, $name:ident) => {
        concat!("t.", stringify!($name), ", ")
    };
    (label, $name:ident) => {
        concat!(
            "t.",
            stringify!($name),
            "::text AS ",
            stringify!($name),
            ", "
        )
    };
}

/// The field table's expansion for reads: `table_columns!()`, the
/// SELECT list of the table's columns, each followed by what the server
/// resolves from it (each followed by `, `).
macro_rules! task_select {
    ([$($header:tt)*] $(
        $(#[doc = $doc:literal])*
        $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch:ident,
        column $kind:ident $($sql_type:literal)?
        $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
    )*) => {
        macro_rules! table_columns {
            () => {
                concat!($(
                    column_select!($kind, $name),
                    $( column_select!(plain, $extra), )?
                )*)
            };
        }
    };
}
task_table!(task_select);

/// The columns of a task row: the id, the table's columns (from the field
/// table) and the timestamps.
macro_rules! task_fields {
    () => {
        concat!(
            "SELECT t.id, ",
            table_columns!(),
            utc_text!("t.created_at"),
            " AS created_at, ",
            utc_text!("t.updated_at"),
            " AS updated_at"
        )
    };
}

/// The columns of a task, with its sub-tasks by position as a JSON array
/// (for one task: one statement).
macro_rules! task_columns {
    () => {
        concat!(
            task_fields!(),
            ", COALESCE((SELECT json_agg(json_build_object('id', s.id, 'task_id', s.task_id, \
             'title', s.title, 'completed', s.completed, 'position', s.position, \
             'created_at', ",
            utc_text!("s.created_at"),
            ") ORDER BY s.position) FROM sub_tasks s WHERE s.task_id = t.id), '[]')::text \
             AS sub_tasks"
        )
    };
}

/// The list's filters as bind parameters (`NULL` = not filtered); the search
/// is a literal substring (`strpos`, so `%`, `_` and `\` are not wildcards).
macro_rules! list_filter {
    () => {
        "WHERE ($1::text IS NULL OR t.status = $1::task_status) \
         AND ($2::text IS NULL OR t.priority = $2::task_priority) \
         AND (NOT $3::bool OR t.assignee_id IS NULL) \
         AND ($4::uuid IS NULL OR t.assignee_id = $4::uuid) \
         AND ($5::text IS NULL \
              OR strpos(lower(t.title), lower($5::text)) > 0 \
              OR strpos(lower(coalesce(t.description, '')), lower($5::text)) > 0 \
              OR strpos(lower(coalesce(t.gear_id, '')), lower($5::text)) > 0) "
    };
}

/// The list's tasks, without their sub-tasks (read by [`LIST_SUB_TASKS_SQL`]):
/// aggregating 2,000 sub-tasks into JSON in PostgreSQL cost ~10 ms per list,
/// two plain statements ~1 ms (BENCHMARKS.md).
macro_rules! list_sql {
    ($order:literal) => {
        concat!(
            task_fields!(),
            ", '[]'::text AS sub_tasks, '[]'::text AS daily_updates FROM tasks t ",
            list_filter!(),
            "ORDER BY ",
            $order
        )
    };
}

/// The sub-tasks of the listed tasks, grouped by task, by position.
const LIST_SUB_TASKS_SQL: &str = concat!(
    "SELECT s.id, s.task_id, s.title, s.completed, s.position, ",
    utc_text!("s.created_at"),
    " AS created_at FROM sub_tasks s WHERE s.task_id IN (SELECT t.id FROM tasks t ",
    list_filter!(),
    ") ORDER BY s.task_id, s.position"
);

const LIST_BY_UPDATED: &str = list_sql!("t.updated_at DESC, t.id");
const LIST_BY_PRIORITY: &str = list_sql!("t.priority, t.updated_at DESC, t.id");
const LIST_BY_STATUS: &str = list_sql!("t.status, t.updated_at DESC, t.id");

/// One task with its sub-tasks and its daily updates, newest first.
const GET_SQL: &str = concat!(
    task_columns!(),
    ", COALESCE((SELECT json_agg(json_build_object('id', u.id, 'task_id', u.task_id, \
     'author_id', u.author_id, 'author_name', u.author_name, 'content', u.content, \
     'created_at', ",
    utc_text!("u.created_at"),
    ", 'updated_at', ",
    utc_text!("u.updated_at"),
    ", 'edited', u.edited) ORDER BY u.created_at DESC, u.id) \
     FROM daily_updates u WHERE u.task_id = t.id), '[]')::text AS daily_updates \
     FROM tasks t WHERE t.id = $1"
);

/// The stored task, locked for the rest of the transaction.
const LOCK_SQL: &str = concat!(
    task_columns!(),
    ", '[]'::text AS daily_updates FROM tasks t WHERE t.id = $1 FOR UPDATE OF t"
);

/// `INSERT` of a task: `$1` the id, then the [`WRITTEN`] columns, then the
/// assignee's name (the bind values of [`row_values`]). Built once from
/// the field table; constant from then on.
static INSERT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO tasks (id, {}, assignee_name) VALUES ($1, {}, ${})",
        name_list(WRITTEN),
        bind_list(WRITTEN, 2),
        WRITTEN.len() + 2
    )
});

/// `UPDATE` of a task, bound as [`INSERT_SQL`] is; it moves `updated_at`.
static UPDATE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE tasks SET {}, assignee_name = ${}, updated_at = now() WHERE id = $1",
        set_list(WRITTEN, 2),
        WRITTEN.len() + 2
    )
});

/// The member's name, share-locked: the member cannot be deleted or renamed
/// before this transaction ends, so the name stored with the task is current.
const MEMBER_NAME_SQL: &str = "SELECT name FROM members WHERE id = $1 FOR SHARE";

/// Tasks matching `q`, in its order, each with its sub-tasks: two
/// statements, run inside the caller's read-only `REPEATABLE READ`
/// transaction ([`super::tasks_cache::list`]) so both see the same snapshot
/// (no sub-task of a task created in between).
pub(crate) async fn list_in<C: ConnectionTrait>(
    txn: &C,
    q: &TaskQuery,
) -> Result<Vec<Task>, DbErr> {
    let sql = match q.sort {
        Sort::Updated => LIST_BY_UPDATED,
        Sort::Priority => LIST_BY_PRIORITY,
        Sort::Status => LIST_BY_STATUS,
    };
    let (unassigned, member) = match q.assignee {
        None => (false, None),
        Some(AssigneeFilter::Unassigned) => (true, None),
        Some(AssigneeFilter::Member(id)) => (false, Some(id)),
    };
    let values: Vec<Value> = vec![
        q.status.map(|s| s.as_str().to_owned()).into(),
        q.priority.map(|p| p.as_str().to_owned()).into(),
        unassigned.into(),
        member.into(),
        q.search.clone().into(),
    ];
    let rows = TaskRow::find_by_statement(stmt(sql, values.clone()))
        .all(txn)
        .await?;
    let sub_tasks = SubTask::find_by_statement(stmt(LIST_SUB_TASKS_SQL, values))
        .all(txn)
        .await?;
    let mut by_task: HashMap<Uuid, Vec<SubTask>> = HashMap::new();
    for s in sub_tasks {
        by_task.entry(s.task_id).or_default().push(s);
    }
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            let mut task = row.into_task()?;
            task.sub_tasks = by_task.remove(&id).unwrap_or_default();
            Ok(task)
        })
        .collect()
}

/// One task with its sub-tasks and daily updates, or `None`, inside the
/// caller's transaction (the cached path is [`super::tasks_cache::page`]).
pub(crate) async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<Task>, DbErr> {
    TaskRow::find_by_statement(stmt(GET_SQL, vec![id.into()]))
        .one(db)
        .await?
        .map(TaskRow::into_task)
        .transpose()
}

/// Inserts a task with a fresh UUID v4; `AssigneeNotFound` when the assignee
/// is not a member.
pub async fn create(db: &WriteConn, new: NewTask) -> Result<Task, QueryError> {
    let fields = new.0;
    let txn = unit::begin(db).await?;
    let assignee_name = match fields.assignee_id {
        Some(a) => Some(
            member_name(&txn, a)
                .await?
                .ok_or(Refusal::AssigneeNotFound)?,
        ),
        None => None,
    };
    let id = Uuid::new_v4();
    txn.execute_raw(stmt(&INSERT_SQL, row_values(id, &fields, assignee_name)))
        .await?;
    let task = get(&txn, id).await?.ok_or(Refusal::TaskNotFound)?;
    txn.commit().await?;
    Ok(task)
}

/// Applies a patch, in the contract's order: 404, the blocking-reason rule
/// against the result, then the assignee. A patch that changes nothing
/// writes nothing (`updated_at` stays).
pub async fn update(db: &WriteConn, id: Uuid, patch: TaskPatch) -> Result<Task, QueryError> {
    let txn = unit::begin(db).await?;
    let stored = TaskRow::find_by_statement(stmt(LOCK_SQL, vec![id.into()]))
        .one(&txn)
        .await?
        .ok_or(Refusal::TaskNotFound)?;
    let before = stored.fields()?;
    let after = patch.apply(&before).map_err(Refusal::Invalid)?;
    if after != before {
        let assignee_name = match after.assignee_id {
            a if a == before.assignee_id => stored.assignee_name.clone(),
            Some(a) => Some(
                member_name(&txn, a)
                    .await?
                    .ok_or(Refusal::AssigneeNotFound)?,
            ),
            None => None,
        };
        txn.execute_raw(stmt(&UPDATE_SQL, row_values(id, &after, assignee_name)))
            .await?;
    }
    let task = get(&txn, id).await?.ok_or(Refusal::TaskNotFound)?;
    txn.commit().await?;
    Ok(task)
}

/// Deletes a task (its sub-tasks and daily updates go with it, by the
/// foreign keys' `ON DELETE CASCADE`); `TaskNotFound` when there was none.
pub async fn delete(db: &WriteConn, id: Uuid) -> Result<(), QueryError> {
    let done = unit::run(db, |txn| {
        Box::pin(txn.execute_raw(stmt("DELETE FROM tasks WHERE id = $1", vec![id.into()])))
    })
    .await?;
    if done.rows_affected() == 0 {
        return Err(Refusal::TaskNotFound.into());
    }
    Ok(())
}

/// The name of member `id`, share-locked until the transaction ends.
pub(crate) async fn member_name<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<String>, DbErr> {
    db.query_one_raw(stmt(MEMBER_NAME_SQL, vec![id.into()]))
        .await?
        .map(|row| row.try_get_by_index::<String>(0))
        .transpose()
}

/// The bind values of [`INSERT_SQL`] and [`UPDATE_SQL`].
fn row_values(id: Uuid, f: &TaskFields, assignee_name: Option<String>) -> Vec<Value> {
    let mut values = vec![id.into()];
    values.extend(written_values(f));
    values.push(assignee_name.into());
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_is_what_it_should_be() {
        assert!(LIST_BY_PRIORITY.ends_with("ORDER BY t.priority, t.updated_at DESC, t.id"));
        assert!(GET_SQL.contains("ORDER BY u.created_at DESC"));
        assert!(GET_SQL.contains(r#"'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"#));
        assert!(GET_SQL.starts_with(
            "SELECT t.id, t.title, t.description, t.status::text AS status, \
             t.priority::text AS priority, t.assignee_id, t.assignee_name, t.gear_id, \
             t.blocking_reason, to_char("
        ));
        assert_eq!(
            *INSERT_SQL,
            "INSERT INTO tasks (id, title, description, status, priority, assignee_id, \
             gear_id, blocking_reason, assignee_name) VALUES ($1, $2, $3, $4::task_status, \
             $5::task_priority, $6, $7, $8, $9)"
        );
        assert_eq!(
            *UPDATE_SQL,
            "UPDATE tasks SET title = $2, description = $3, status = $4::task_status, \
             priority = $5::task_priority, assignee_id = $6, gear_id = $7, \
             blocking_reason = $8, assignee_name = $9, updated_at = now() WHERE id = $1"
        );
    }
}
