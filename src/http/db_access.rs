//! How a handler gets the database: [`pool`] for reads, and for writes the
//! pool together with a guard that drops the cached lists the write may
//! change ([`pool_writing_tasks`]), so this daemon's own writes show in the
//! very next list (TASKS-API.md: "a daemon sees its own writes at once"),
//! and [`write_tasks`] around a whole task write; and how it answers a cached
//! read ([`cached_response`]).

use std::future::Future;
use std::hash::Hash;

use sea_orm::DatabaseConnection;
use serde::Serialize;
use warp::http::StatusCode;
use warp::reply::Response;

use super::ctx::AppCtx;
use super::errors::{ApiError, json_bytes_response, query_error};
use crate::actors::db_supervisor;
use crate::config::policy::ACTOR_CALL_TIMEOUT;
use crate::db::caches::Caches;
use crate::db::list_cache::{ListCache, Listed};
use crate::db::outcome::QueryError;

/// The current pool, or 503 `Database not ready: <reason>` (or 503 when
/// the DbSupervisor itself does not answer).
pub async fn pool(ctx: &AppCtx) -> Result<DatabaseConnection, ApiError> {
    let actor = ctx.actors.db_supervisor()?;
    Ok(db_supervisor::get_pool(&actor, ACTOR_CALL_TIMEOUT).await?)
}

/// Invalidates the task lists and pages when dropped: at the end of the handler
/// that holds it, whatever the write's outcome (a failed or timed-out write
/// may still have committed), and only after the write's transaction ended,
/// so no reader can store a body from before it (see `db/list_cache.rs`).
#[derive(Debug)]
#[must_use = "hold it until the write is done: dropping it invalidates"]
pub struct TasksWritten(Caches);

impl Drop for TasksWritten {
    fn drop(&mut self) {
        self.0.invalidate_tasks();
    }
}

/// [`pool`] for a handler that writes to tasks, sub-tasks or daily updates
/// (or, like a member rename, to what the task list shows).
pub async fn pool_writing_tasks(
    ctx: &AppCtx,
) -> Result<(DatabaseConnection, TasksWritten), ApiError> {
    let db = pool(ctx).await?;
    Ok((db, TasksWritten(ctx.caches.clone())))
}

/// The shape of every task, sub-task and daily-update write: the pool with
/// its [`TasksWritten`] guard (held until the write is over), the write, and
/// its refusals and database errors mapped by [`query_error`].
pub async fn write_tasks<T, W, F>(ctx: &AppCtx, write: W) -> Result<T, ApiError>
where
    W: FnOnce(DatabaseConnection) -> F,
    F: Future<Output = Result<T, QueryError>>,
{
    let (db, _written) = pool_writing_tasks(ctx).await?;
    write(db).await.map_err(|e| query_error(ctx, e))
}

/// 200 with a cached read's body: the stored one, or the fresh rows
/// serialized once and offered to `cache`.
pub fn cached_response<K, T>(
    cache: &ListCache<K>,
    listed: Listed<T, K>,
) -> Result<Response, ApiError>
where
    K: Eq + Hash + Clone,
    T: Serialize,
{
    let body = cache
        .body(listed)
        .map_err(|e| ApiError::Unexpected(format!("serializing: {e}")))?;
    Ok(json_bytes_response(StatusCode::OK, body))
}
