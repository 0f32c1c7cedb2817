//! Queries on `members`. Handlers call exactly one of these per request; each
//! is one pooler-safe transaction ([`unit`]), so every mutation is atomic.
//!
//! The statements are constant SQL with every value a bind parameter, built
//! once (`LazyLock`) from the columns of the members' field table
//! (`entities::member`), as the task queries are: the same pattern for
//! every resource (docs/architecture.md).

use std::sync::{Arc, LazyLock};

use sea_orm::sqlx::{self, postgres::PgConnection};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult, RuntimeErr};
use uuid::Uuid;

use super::entities::member::{READ, WRITTEN, patched_values, written_values};
use super::entities::{bind_list, name_list, patch_set_list};
use super::outcome::{QueryError, References, Refusal};
use super::task_writes::stmt;
use super::unit;
use super::write_conn::WriteConn;
use crate::domain::member::{Member, MemberFields, MemberPatch, NewMember};

/// `id` and the table's columns, as a SELECT or RETURNING list.
static COLUMNS: LazyLock<String> = LazyLock::new(|| format!("id, {}", READ.join(", ")));
/// Every member, by name (then id, so equal names keep a stable order).
static LIST_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM members ORDER BY name, id", *COLUMNS));
/// One member.
static GET_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM members WHERE id = $1", *COLUMNS));
/// One member, locked until the transaction ends.
static LOCK_SQL: LazyLock<String> = LazyLock::new(|| format!("{} FOR UPDATE", *GET_SQL));
/// `$1` the id, then the written columns.
static INSERT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO members (id, {}) VALUES ($1, {}) RETURNING {}",
        name_list(WRITTEN),
        bind_list(WRITTEN, 2),
        *COLUMNS
    )
});
/// `$1` the id, then each written column's flag and value
/// (`patched_values`), then whether the name is given: the patch applied to
/// the row in one statement, and a new name copied to the member's tasks in
/// the same statement (their `updated_at` stays: nobody changed those
/// tasks). A single statement is atomic, and it sees the row it updates.
static UPDATE_SQL: LazyLock<String> = LazyLock::new(|| {
    let renamed = 2 + 2 * WRITTEN.len();
    format!(
        "WITH m AS (UPDATE members SET {} WHERE id = $1 RETURNING {}), \
         renamed AS (UPDATE tasks SET assignee_name = m.name FROM m \
         WHERE ${renamed} AND tasks.assignee_id = m.id \
         AND tasks.assignee_name IS DISTINCT FROM m.name) \
         SELECT * FROM m",
        patch_set_list(WRITTEN, 2),
        *COLUMNS
    )
});
const DELETE_SQL: &str = "DELETE FROM members WHERE id = $1";

/// Every member, ordered by name, on `conn` (the connection the list cache
/// checked the change counter on: one pool checkout per list). The
/// statement has no parameters, so it goes by the simple protocol: no
/// prepared statement, safe behind any pooler without a [`unit`].
pub async fn list_on(conn: &mut PgConnection) -> Result<Vec<Member>, DbErr> {
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(LIST_SQL.as_str()))
        .fetch_all(conn)
        .await
        .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))?;
    rows.into_iter()
        .map(|row| Member::from_query_result(&QueryResult::from(row), ""))
        .collect()
}

/// One member; `MemberNotFound` when none has this id.
pub async fn get(db: &sea_orm::DatabaseConnection, id: Uuid) -> Result<Member, QueryError> {
    unit::run(db, |txn| {
        Box::pin(Member::find_by_statement(stmt(&GET_SQL, vec![id.into()])).one(txn))
    })
    .await?
    .ok_or_else(|| Refusal::MemberNotFound.into())
}

/// Inserts a member with a fresh UUID v4 and returns the stored row.
/// A duplicate e-mail fails with the database's `uq_members_email` violation
/// (also when a concurrent insert wins the race), mapped to 409 by the caller.
pub async fn create(db: &WriteConn, new: NewMember) -> Result<Member, QueryError> {
    let insert = stmt(&INSERT_SQL, row_values(Uuid::new_v4(), &new.0));
    let created = unit::run(db, |txn| {
        Box::pin(Member::find_by_statement(insert).one(txn))
    })
    .await?;
    created.ok_or_else(|| DbErr::RecordNotInserted.into())
}

/// Changes only the given fields, merged into the row by the `UPDATE`
/// itself ([`UPDATE_SQL`]: one statement, so one round trip inside the unit
/// and no lost update between concurrent patches of different fields); a
/// given name is copied to `tasks.assignee_name` of the member's tasks.
/// `MemberNotFound` when no member has this id.
pub async fn update(db: &WriteConn, id: Uuid, patch: MemberPatch) -> Result<Member, QueryError> {
    if patch.is_empty() {
        return get(db, id).await;
    }
    let mut values = vec![id.into()];
    values.extend(patched_values(&patch));
    values.push(patch.name.is_some().into());
    let update = stmt(&UPDATE_SQL, values);
    unit::run(db, |txn| {
        Box::pin(Member::find_by_statement(update).one(txn))
    })
    .await?
    .ok_or_else(|| Refusal::MemberNotFound.into())
}

/// Deletes a member unless rows of `tasks` or `daily_updates` still point at
/// it (`MemberReferenced`). One transaction: the member row is locked first
/// (`FOR UPDATE`), so a concurrent insert that references it through a
/// foreign key waits for us and then fails, instead of slipping in between
/// the count and the delete.
pub async fn delete(db: &WriteConn, id: Uuid) -> Result<(), QueryError> {
    let txn = unit::begin(db).await?;
    Member::find_by_statement(stmt(&LOCK_SQL, vec![id.into()]))
        .one(&txn)
        .await?
        .ok_or(Refusal::MemberNotFound)?;
    let refs = References {
        tasks: count_references(&txn, &TASKS_ASSIGNEE, id).await?,
        daily_updates: count_references(&txn, &DAILY_UPDATES_AUTHOR, id).await?,
    };
    if refs.any() {
        return Err(Refusal::MemberReferenced(refs).into());
    }
    txn.execute_raw(stmt(DELETE_SQL, vec![id.into()])).await?;
    txn.commit().await?;
    Ok(())
}

/// The bind values of [`INSERT_SQL`].
fn row_values(id: Uuid, f: &MemberFields) -> Vec<sea_orm::Value> {
    let mut values = vec![id.into()];
    values.extend(written_values(f));
    values
}

/// A column of a later table that references `members.id`.
struct Reference {
    /// Schema-qualified table name, for `to_regclass`.
    table: &'static str,
    /// The referencing column.
    column: &'static str,
    /// The count, written out in full so no SQL is ever assembled at run time.
    count_sql: &'static str,
}

const TASKS_ASSIGNEE: Reference = Reference {
    table: "public.tasks",
    column: "assignee_id",
    count_sql: "SELECT count(*) FROM public.tasks WHERE assignee_id = $1",
};

const DAILY_UPDATES_AUTHOR: Reference = Reference {
    table: "public.daily_updates",
    column: "author_id",
    count_sql: "SELECT count(*) FROM public.daily_updates WHERE author_id = $1",
};

/// Rows that reference member `id` through `r`; 0 when that table (or column)
/// does not exist yet — those tables arrive with later features, and a
/// database shared with the original backend may already have them.
async fn count_references<C: ConnectionTrait>(
    db: &C,
    r: &Reference,
    id: Uuid,
) -> Result<i64, DbErr> {
    let exists = db
        .query_one_raw(stmt(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute \
             WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped)",
            vec![r.table.into(), r.column.into()],
        ))
        .await?
        .map(|row| row.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false);
    if !exists {
        return Ok(0);
    }
    db.query_one_raw(stmt(r.count_sql, vec![id.into()]))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()
        .map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statements_are_built_from_the_table() {
        assert_eq!(
            LIST_SQL.as_str(),
            "SELECT id, name, email, active FROM members ORDER BY name, id"
        );
        assert_eq!(
            LOCK_SQL.as_str(),
            "SELECT id, name, email, active FROM members WHERE id = $1 FOR UPDATE"
        );
        assert_eq!(
            INSERT_SQL.as_str(),
            "INSERT INTO members (id, name, email, active) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, email, active"
        );
        assert_eq!(
            UPDATE_SQL.as_str(),
            "WITH m AS (UPDATE members SET name = CASE WHEN $2 THEN $3 ELSE name END, \
             email = CASE WHEN $4 THEN $5 ELSE email END, \
             active = CASE WHEN $6 THEN $7 ELSE active END \
             WHERE id = $1 RETURNING id, name, email, active), \
             renamed AS (UPDATE tasks SET assignee_name = m.name FROM m \
             WHERE $8 AND tasks.assignee_id = m.id \
             AND tasks.assignee_name IS DISTINCT FROM m.name) \
             SELECT * FROM m"
        );
    }
}
