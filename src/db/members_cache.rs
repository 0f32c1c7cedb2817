//! [`MembersCache`]: the serialized `GET /api/v1/members` body, a
//! [`ListCache`] checked against the `members` change counter (see
//! [`super::list_cache`] for why that is never stale).
//!
//! The counter read and the list query share one pool checkout: sqlx
//! returns a connection to the pool in a spawned task, so a second checkout
//! right after the first could open a second server session, which a full
//! server refuses.

use std::sync::Arc;
use std::time::Instant;

use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};

use super::coherence;
use super::list_cache::{ListCache, Listed, Lookup};
use super::members;
use crate::domain::member::Member;

/// The member list's cache (one variant: the whole list).
pub type MembersCache = ListCache<()>;

/// The member list: the cached body if its version is current, else the
/// rows (for [`ListCache::body`]).
pub async fn list(
    cache: &MembersCache,
    db: &DatabaseConnection,
) -> Result<Listed<Vec<Member>, ()>, DbErr> {
    if let Some(body) = cache.recent(&()) {
        return Ok(Listed::Cached(body));
    }
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
    let generation = cache.generation();
    let asked = Instant::now();
    let version = coherence::version(&mut conn, coherence::MEMBERS).await?;
    match cache.decide((), generation, asked, version) {
        Lookup::Hit(body) => Ok(Listed::Cached(body)),
        Lookup::Miss(ticket) => Ok(Listed::Fresh {
            rows: members::list_on(&mut conn).await?,
            ticket,
        }),
    }
}
