//! [`WriteConn`]: the only connection the write queries take. It carries
//! the invalidation of the cached lists the write [`Touches`], run when it
//! is dropped, so a write cannot be issued without dropping what it may
//! change (docs/architecture.md, step 7).
//!
//! Dropped at the end of the write's future: whatever the write's outcome
//! (a failed or timed-out write may still have committed), and only after
//! its transaction ended, so no reader can store a body from before it (see
//! [`super::list_cache`]). Handlers get one from `http::db_access`.

use std::ops::Deref;

use sea_orm::DatabaseConnection;

/// Which cached lists a write may change: what its [`WriteConn`] drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touches {
    /// The member list only (a member added or deleted: no task names it).
    Members,
    /// The task lists and pages (a task, sub-task or daily update).
    Tasks,
    /// Both (a member rename rewrites the tasks' `assignee_name`).
    MembersAndTasks,
}

/// What a dropped [`WriteConn`] tells: the daemon's caches
/// (`db::caches::Caches`). A trait so that this file needs nothing of the
/// caches, whose queries take a `WriteConn` (no import circle).
pub trait Invalidate: Send + Sync + std::fmt::Debug {
    /// Drops the cached lists a write that `touches` these may have changed.
    fn invalidate(&self, touches: Touches);
}

/// The pool, for one write; dropping it invalidates what the write touches.
#[derive(Debug)]
#[must_use = "hold it until the write is done: dropping it invalidates"]
pub struct WriteConn {
    conn: DatabaseConnection,
    caches: Box<dyn Invalidate>,
    touches: Touches,
}

impl WriteConn {
    /// `conn` for a write that `touches` these of `caches`.
    pub fn new(
        conn: DatabaseConnection,
        caches: impl Invalidate + 'static,
        touches: Touches,
    ) -> Self {
        Self {
            conn,
            caches: Box::new(caches),
            touches,
        }
    }
}

impl Deref for WriteConn {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

impl Drop for WriteConn {
    fn drop(&mut self) {
        self.caches.invalidate(self.touches);
    }
}
