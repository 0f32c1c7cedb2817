//! How a handler gets the database: [`pool`] for reads, and for writes the
//! pool together with a guard that drops the cached lists the write
//! [`Touches`] ([`pool_for_write`], or [`write()`] around a whole write), so
//! this daemon's own writes show in the very next list (TASKS-API.md: "a
//! daemon sees its own writes at once"); and how it answers a cached read
//! ([`cached_response`]).
//!
//! Invalidation happens here and nowhere else (docs/architecture.md, step
//! 7): a handler never calls `invalidate` itself. `tests/api/invalidation.rs`
//! walks every documented write and fails for one that leaves a cached list
//! standing, or that is not in its table.

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

/// Which cached lists a write may change: what its [`Written`] guard drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touches {
    /// The member list only (a member added or deleted: no task names it).
    Members,
    /// The task lists and pages (a task, sub-task or daily update).
    Tasks,
    /// Both (a member rename rewrites the tasks' `assignee_name`).
    MembersAndTasks,
}

/// Drops the cached lists a write [`Touches`] when dropped: at the end of
/// the handler that holds it, whatever the write's outcome (a failed or
/// timed-out write may still have committed), and only after the write's
/// transaction ended, so no reader can store a body from before it (see
/// `db/list_cache.rs`). The only way to a pool for a write is [`write()`] or
/// [`pool_for_write`], which hand it out with the pool.
#[derive(Debug)]
#[must_use = "hold it until the write is done: dropping it invalidates"]
pub struct Written {
    caches: Caches,
    touches: Touches,
}

impl Drop for Written {
    fn drop(&mut self) {
        if matches!(self.touches, Touches::Members | Touches::MembersAndTasks) {
            self.caches.members.invalidate();
        }
        if matches!(self.touches, Touches::Tasks | Touches::MembersAndTasks) {
            self.caches.invalidate_tasks();
        }
    }
}

/// [`pool`] for a handler that writes, with the guard that drops what the
/// write `touches`; hold the guard until the write is over.
pub async fn pool_for_write(
    ctx: &AppCtx,
    touches: Touches,
) -> Result<(DatabaseConnection, Written), ApiError> {
    let db = pool(ctx).await?;
    let written = Written {
        caches: ctx.caches.clone(),
        touches,
    };
    Ok((db, written))
}

/// The shape of every write whose query returns a [`QueryError`] (tasks,
/// sub-tasks, daily updates): the pool with its [`Written`] guard (held
/// until the write is over), the write, and its refusals and database
/// errors mapped by [`query_error`].
pub async fn write<T, W, F>(ctx: &AppCtx, touches: Touches, write: W) -> Result<T, ApiError>
where
    W: FnOnce(DatabaseConnection) -> F,
    F: Future<Output = Result<T, QueryError>>,
{
    let (db, _written) = pool_for_write(ctx, touches).await?;
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
