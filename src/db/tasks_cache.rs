//! [`TasksCache`]: the serialized `GET /api/v1/tasks` bodies, one per filter
//! and sort the UI asks for, each a [`ListCache`] entry checked against the
//! `tasks` and `sub_tasks` change counters; and [`TaskPageCache`]: the
//! `GET /api/v1/tasks/{id}` bodies, checked against those and the
//! `daily_updates` counter (see [`super::list_cache`] for why neither is
//! ever stale).
//!
//! The dashboard list is ~550 KiB of JSON for 500 tasks of 4 sub-tasks;
//! reading and serializing it costs milliseconds of database and daemon CPU
//! per call, while checking the counters costs one tiny query. The counter
//! is read first *inside* the list's snapshot transaction, so on a miss the
//! rows read next are exactly that version's.

use std::hash::Hash;
use std::time::Instant;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use uuid::Uuid;

use super::coherence;
use super::list_cache::{ListCache, Listed, Lookup};
use super::tasks;
use super::unit::{self, UnitFuture};
use crate::domain::task::Task;
use crate::domain::task::TaskQuery;

/// The task list's cache, keyed by the parsed query (filters and sort).
pub type TasksCache = ListCache<TaskQuery>;

/// The task pages' cache, keyed by task id.
pub type TaskPageCache = ListCache<Uuid>;

/// The tasks matching `q`: the cached body if its version is current, else
/// the rows (for [`ListCache::body`]).
pub async fn list(
    cache: &TasksCache,
    db: &DatabaseConnection,
    q: &TaskQuery,
) -> Result<Listed<Vec<Task>, TaskQuery>, DbErr> {
    let query = q.clone();
    read(cache, db, q.clone(), coherence::TASK_LIST, move |txn| {
        Box::pin(async move { tasks::list_in(txn, &query).await })
    })
    .await
}

/// Task `id` with its sub-tasks and daily updates: the cached body if its
/// version is current, else the row (`None`: no such task, never cached).
pub async fn page(
    cache: &TaskPageCache,
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<Listed<Option<Task>, Uuid>, DbErr> {
    read(cache, db, id, coherence::TASK_PAGE, |txn| {
        Box::pin(tasks::get(txn, id))
    })
    .await
}

/// The shared path: a body confirmed within the freshness window is served
/// as is; otherwise the `watched` version is read first inside a read-only
/// snapshot, and on a miss `fresh` reads the rows in that same snapshot.
async fn read<K, T, F>(
    cache: &ListCache<K>,
    db: &DatabaseConnection,
    key: K,
    watched: coherence::Watched,
    fresh: F,
) -> Result<Listed<T, K>, DbErr>
where
    K: Eq + Hash + Clone,
    T: Send,
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> UnitFuture<'t, T>,
{
    if let Some(body) = cache.recent(&key) {
        return Ok(Listed::Cached(body));
    }
    let generation = cache.generation();
    let txn = unit::begin_snapshot(db).await?;
    let asked = Instant::now();
    let version = coherence::version_in(&txn, watched).await?;
    let listed = match cache.decide(key, generation, asked, version) {
        Lookup::Hit(body) => Listed::Cached(body),
        Lookup::Miss(ticket) => Listed::Fresh {
            rows: fresh(&txn).await?,
            ticket,
        },
    };
    txn.commit().await?;
    Ok(listed)
}
