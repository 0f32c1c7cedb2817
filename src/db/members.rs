//! Queries on `members`. Handlers call exactly one of these per request; each
//! is one pooler-safe transaction ([`unit`]), so every mutation is atomic.
//!
//! All values travel as bind parameters (the query builder, or
//! `Statement::from_sql_and_values` for the reference counts); the only SQL
//! text written here is constant (no SQL is assembled at run time).

use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::sqlx::{self, postgres::PgConnection};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, QueryTrait, RuntimeErr, Statement,
};
use uuid::Uuid;

use super::entities::member::{self, Column, Entity as Members, Model as Member};
use super::unit;
use super::write_conn::WriteConn;
use crate::domain::member::{MemberPatch, NewMember};

/// What [`delete`] did, so the handler can answer 204, 404 or 409.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The row is gone.
    Deleted,
    /// No member has this id.
    NotFound,
    /// The member is still referenced and was kept.
    Referenced(References),
}

/// How many rows of later tables point at a member (0 when a table does not
/// exist yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct References {
    /// Rows of `tasks` whose `assignee_id` is the member.
    pub tasks: i64,
    /// Rows of `daily_updates` whose `author_id` is the member.
    pub daily_updates: i64,
}

impl References {
    /// Whether anything still points at the member.
    pub fn any(&self) -> bool {
        self.tasks > 0 || self.daily_updates > 0
    }
}

/// Every member, ordered by name (then id, so equal names keep a stable order
/// between calls), on `conn` (the connection the list cache checked the
/// change counter on: one pool checkout per list). The statement has no
/// parameters, so it goes by the simple protocol: no prepared statement,
/// safe behind any pooler without a [`unit`].
pub async fn list_on(conn: &mut PgConnection) -> Result<Vec<Member>, DbErr> {
    let sql = Members::find()
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .build(DbBackend::Postgres)
        .to_string();
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await
        .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e))))?;
    rows.into_iter()
        .map(|row| Member::from_query_result(&QueryResult::from(row), ""))
        .collect()
}

/// One member, or `None`.
pub async fn get(db: &DatabaseConnection, id: Uuid) -> Result<Option<Member>, DbErr> {
    unit::run(db, |txn| Box::pin(Members::find_by_id(id).one(txn))).await
}

/// Inserts a member with a fresh UUID v4 and returns the stored row.
/// A duplicate e-mail fails with the database's `uq_members_email` violation
/// (also when a concurrent insert wins the race), mapped to 409 by the caller.
pub async fn create(db: &WriteConn, new: NewMember) -> Result<Member, DbErr> {
    let row = member::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(new.name.into_inner()),
        email: Set(new.email.into_inner()),
        active: Set(new.active),
    };
    unit::run(db, |txn| Box::pin(row.insert(txn))).await
}

/// Changes only the given fields with one `UPDATE … RETURNING` and returns
/// the whole row, or `None` when no member has this id. An empty patch reads
/// the row instead (there is nothing to update). A new name is copied to
/// `tasks.assignee_name` of the member's tasks in the same transaction (the
/// tasks' `updated_at` stays: nobody changed those tasks).
pub async fn update(db: &WriteConn, id: Uuid, patch: MemberPatch) -> Result<Option<Member>, DbErr> {
    if patch.is_empty() {
        return get(db, id).await;
    }
    let renamed = patch.name.as_ref().map(|n| n.as_ref().to_owned());
    let txn = unit::begin(db).await?;
    let mut update = Members::update_many().filter(Column::Id.eq(id));
    if let Some(name) = patch.name {
        update = update.col_expr(Column::Name, Expr::value(name.into_inner()));
    }
    if let Some(email) = patch.email {
        update = update.col_expr(Column::Email, Expr::value(email.into_inner()));
    }
    if let Some(active) = patch.active {
        update = update.col_expr(Column::Active, Expr::value(active));
    }
    let member = update.exec_with_returning(&txn).await?.into_iter().next();
    if let (Some(_), Some(name)) = (&member, renamed) {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE tasks SET assignee_name = $1 \
             WHERE assignee_id = $2 AND assignee_name IS DISTINCT FROM $1",
            [name.into(), id.into()],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(member)
}

/// Deletes a member unless rows of `tasks` or `daily_updates` still point at
/// it. One transaction: the member row is locked first (`FOR UPDATE`), so a
/// concurrent insert that references it through a foreign key waits for us
/// and then fails, instead of slipping in between the count and the delete.
pub async fn delete(db: &WriteConn, id: Uuid) -> Result<DeleteOutcome, DbErr> {
    let txn = unit::begin(db).await?;
    if Members::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .is_none()
    {
        txn.rollback().await?;
        return Ok(DeleteOutcome::NotFound);
    }
    let refs = References {
        tasks: count_references(&txn, &TASKS_ASSIGNEE, id).await?,
        daily_updates: count_references(&txn, &DAILY_UPDATES_AUTHOR, id).await?,
    };
    if refs.any() {
        txn.rollback().await?;
        return Ok(DeleteOutcome::Referenced(refs));
    }
    Members::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(DeleteOutcome::Deleted)
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
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute \
             WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped)",
            [r.table.into(), r.column.into()],
        ))
        .await?
        .map(|row| row.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false);
    if !exists {
        return Ok(0);
    }
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        r.count_sql,
        [id.into()],
    ))
    .await?
    .map(|row| row.try_get_by_index::<i64>(0))
    .transpose()
    .map(Option::unwrap_or_default)
}
