//! How a handler gets the database: [`pool`] for reads, and for writes a
//! [`WriteConn`], the pool with the invalidation of the cached lists the
//! write [`Touches`], given to the write by [`write()`], so this daemon's own writes show in the very next list
//! (TASKS-API.md: "a daemon sees its own writes at once"); and how it
//! answers a cached read ([`cached_response`]).
//!
//! Invalidation happens in `WriteConn` and nowhere else (docs/architecture.md,
//! step 7): a handler never calls `invalidate` itself, and the write queries
//! take a `WriteConn`, so a write without it does not compile. `tests/api/invalidation.rs`
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
use crate::db::list_cache::{ListCache, Listed};
use crate::db::outcome::QueryError;
pub use crate::db::write_conn::{Touches, WriteConn};

/// The current pool, or 503 `Database not ready: <reason>` (or 503 when
/// the DbSupervisor itself does not answer).
pub async fn pool(ctx: &AppCtx) -> Result<DatabaseConnection, ApiError> {
    let actor = ctx.actors.db_supervisor()?;
    Ok(db_supervisor::get_pool(&actor, ACTOR_CALL_TIMEOUT).await?)
}

/// [`pool`] for a write: the write queries take only a [`WriteConn`],
/// which drops what the write `touches` when it is dropped.
async fn pool_for_write(ctx: &AppCtx, touches: Touches) -> Result<WriteConn, ApiError> {
    let db = pool(ctx).await?;
    Ok(WriteConn::new(db, ctx.caches.clone(), touches))
}

/// The shape of every write (members, tasks, sub-tasks, daily updates): the [`WriteConn`] (dropped when the write is
/// over), the write, and its refusals and database errors mapped by
/// [`query_error`].
pub async fn write<T, W, F>(ctx: &AppCtx, touches: Touches, write: W) -> Result<T, ApiError>
where
    W: FnOnce(WriteConn) -> F,
    F: Future<Output = Result<T, QueryError>>,
{
    let db = pool_for_write(ctx, touches).await?;
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
