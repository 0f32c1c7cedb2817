//! [`MembersCache`]: the serialized `GET /api/v1/members` body, kept in the
//! daemon and checked against the `members` change counter on every read
//! (see [`coherence`](super::coherence)), so that writes made by any daemon,
//! the original Python backend or direct SQL are seen at the next read,
//! through any pooler.
//!
//! # Why this is correct
//!
//! A read first asks the database for the current [`Version`] of `members`
//! ([`MembersCache::list`], one query). If the cache holds a body stored
//! under that same version, no write has committed since that body's version
//! was read, so the body is current: it is served. Otherwise the reader gets
//! a [`Ticket`] carrying the version just read and this cache's local
//! *generation*, queries the list, and [`MembersCache::store`]s the body
//! under the ticket's version. The version was read *before* the list, so
//! the body is at least as new as its version: a write it misses, or one
//! racing it, moves the version and the next lookup reloads.
//!
//! A body confirmed less than [`RECHECK_AFTER`] ago is served without the
//! query: under load the database sees a few checks a second, and another
//! daemon's write is seen at most that much later (the 1 s rule).
//!
//! The generation guards the daemon's own writes: a handler that wrote
//! calls [`MembersCache::invalidate`] (even when the write's outcome is
//! unknown), which drops the body and makes every older ticket unable to
//! store. When the trigger is missing or disabled the lookup finds no
//! version and nothing is stored: every list is read from the database.
//! The DbSupervisor [`resets`](MembersCache::reset) the cache whenever it
//! leaves `Ready` or changes database, so a version from one database is
//! never compared with another's.
//!
//! The lock is a `std::sync::Mutex` held only for a few field updates, never
//! across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};

use super::coherence::{self, Version};
use super::entities::member::Model as Member;
use super::members;

/// Shared handle; clones refer to the same cache.
#[derive(Clone, Debug, Default)]
pub struct MembersCache {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The exact JSON body of the last successful list and the version it
    /// was stored under.
    value: Option<(Version, Bytes)>,
    /// Bumped by every local invalidation and reset.
    generation: u64,
    /// Whether the last lookup found the change trigger active.
    enabled: bool,
    /// When `value`'s version was last confirmed current: the instant
    /// *before* the confirming query was sent.
    confirmed: Option<Instant>,
}

impl Inner {
    fn invalidate(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.value = None;
        self.confirmed = None;
    }
}

/// How long a confirmed body is served without asking the database again.
/// Bounds the coherence queries to a few per second however busy the list
/// is, and keeps other daemons' writes visible within TASKS-API.md's 1 s
/// (a write committed after a confirmation shows at most this much later;
/// this daemon's own writes drop the body at once).
pub const RECHECK_AFTER: Duration = Duration::from_millis(250);

/// What [`MembersCache::list`] answers.
#[derive(Debug)]
pub enum Listed {
    /// The cached body, current.
    Cached(Bytes),
    /// Read from the database: serialize, then store with the ticket.
    Fresh {
        /// The rows, ordered.
        members: Vec<Member>,
        /// For [`MembersCache::store`].
        ticket: Ticket,
    },
}

/// What a version check decided.
#[derive(Debug)]
enum Lookup {
    /// The cached body is current.
    Hit(Bytes),
    /// Query the list, then [`store`](MembersCache::store) with this ticket.
    Miss(Ticket),
}

/// Taken by a lookup before the list query; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Ticket {
    generation: u64,
    /// When the version was asked for.
    asked: Instant,
    /// `None`: the trigger is off, the body must not be kept.
    version: Option<Version>,
}

impl MembersCache {
    /// A new, empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The critical sections cannot panic half-way, so a poisoned lock
        // still holds consistent data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The member list: the cached body if its version is current, else the
    /// rows (to serialize and [`store`](Self::store) with the ticket). One
    /// pool checkout for both queries: sqlx returns a connection to the pool
    /// in a spawned task, so a second checkout right after the first could
    /// open a second server session, which a full server refuses.
    pub async fn list(&self, db: &DatabaseConnection) -> Result<Listed, DbErr> {
        if let Some(body) = self.recent(RECHECK_AFTER) {
            return Ok(Listed::Cached(body));
        }
        let mut conn = db
            .get_postgres_connection_pool()
            .acquire()
            .await
            .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
        let generation = self.lock().generation;
        let asked = Instant::now();
        let version = coherence::version(&mut conn, coherence::MEMBERS).await?;
        match self.decide(generation, asked, version) {
            Lookup::Hit(body) => Ok(Listed::Cached(body)),
            Lookup::Miss(ticket) => Ok(Listed::Fresh {
                members: members::list_on(&mut conn).await?,
                ticket,
            }),
        }
    }

    /// The body, if it was confirmed current less than `window` ago.
    fn recent(&self, window: Duration) -> Option<Bytes> {
        let inner = self.lock();
        match (&inner.value, inner.confirmed) {
            (Some((_, body)), Some(at)) if at.elapsed() < window => Some(body.clone()),
            _ => None,
        }
    }

    fn decide(&self, generation: u64, asked: Instant, version: Option<Version>) -> Lookup {
        let mut inner = self.lock();
        inner.enabled = version.is_some();
        if version.is_none() {
            // Nothing counts the writes now: the body can no longer be checked.
            inner.value = None;
        }
        match (&inner.value, &version) {
            (Some((stored, body)), Some(current))
                if stored == current && inner.generation == generation =>
            {
                let body = body.clone();
                inner.confirmed = inner.confirmed.max(Some(asked));
                Lookup::Hit(body)
            }
            _ => Lookup::Miss(Ticket {
                generation,
                asked,
                version,
            }),
        }
    }

    /// Keeps `body` under the ticket's version, unless the trigger was off
    /// or this daemon wrote since the ticket was taken. Returns whether it
    /// was kept.
    pub fn store(&self, ticket: Ticket, body: Bytes) -> bool {
        let mut inner = self.lock();
        match ticket.version {
            Some(version) if inner.generation == ticket.generation => {
                inner.value = Some((version, body));
                inner.confirmed = Some(ticket.asked);
                true
            }
            _ => false,
        }
    }

    /// This daemon wrote to `members` (or may have): drop the body at once.
    pub fn invalidate(&self) {
        self.lock().invalidate();
    }

    /// The database is no longer `Ready`, or is another one: forget all.
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.enabled = false;
        inner.invalidate();
    }

    /// The stored body, unchecked (for the test hook and diagnostics only:
    /// serving goes through [`list`](Self::list)).
    pub fn get(&self) -> Option<Bytes> {
        self.lock().value.as_ref().map(|(_, body)| body.clone())
    }

    /// Whether the last lookup found the change trigger active (for tests
    /// and diagnostics).
    pub fn is_enabled(&self) -> bool {
        self.lock().enabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<Version> {
        Some(Version::from_test(s))
    }

    fn miss(l: Lookup) -> Ticket {
        match l {
            Lookup::Miss(t) => t,
            Lookup::Hit(b) => panic!("unexpected hit: {b:?}"),
        }
    }

    fn lookup(c: &MembersCache, version: Option<Version>) -> Lookup {
        let generation = c.lock().generation;
        c.decide(generation, Instant::now(), version)
    }

    #[test]
    fn a_recently_confirmed_body_is_served_without_asking_until_the_window_ends() {
        let c = MembersCache::new();
        assert_eq!(c.recent(Duration::from_secs(3600)), None);
        let t = miss(lookup(&c, v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        assert_eq!(
            c.recent(Duration::from_secs(3600)),
            Some(Bytes::from_static(b"[1]"))
        );
        assert_eq!(c.recent(Duration::ZERO), None, "past the window: ask again");
        c.invalidate();
        assert_eq!(
            c.recent(Duration::from_secs(3600)),
            None,
            "own write: ask again"
        );
    }

    #[test]
    fn same_version_hits_and_a_moved_version_misses() {
        let c = MembersCache::new();
        let t = miss(lookup(&c, v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        assert!(matches!(lookup(&c, v("1")), Lookup::Hit(b) if b == "[1]"));
        let t = miss(lookup(&c, v("2")));
        assert!(c.store(t, Bytes::from_static(b"[2]")));
        assert!(matches!(lookup(&c, v("2")), Lookup::Hit(b) if b == "[2]"));
        assert!(c.is_enabled());
    }

    #[test]
    fn without_the_trigger_nothing_is_stored_or_served() {
        let c = MembersCache::new();
        let t = miss(lookup(&c, None));
        assert!(!c.store(t, Bytes::from_static(b"[]")));
        assert!(!c.is_enabled());
        let t = miss(lookup(&c, v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        assert!(matches!(lookup(&c, None), Lookup::Miss(_)));
    }

    #[test]
    fn an_own_write_since_the_ticket_discards_the_store() {
        let c = MembersCache::new();
        let t = miss(lookup(&c, v("1")));
        c.invalidate();
        assert!(!c.store(t, Bytes::from_static(b"[stale]")));
        assert_eq!(c.get(), None);
    }

    #[test]
    fn an_own_write_between_lookup_start_and_decision_is_a_miss() {
        let c = MembersCache::new();
        let t = miss(lookup(&c, v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        let generation = c.lock().generation;
        c.invalidate();
        assert!(matches!(
            c.decide(generation, Instant::now(), v("1")),
            Lookup::Miss(_)
        ));
    }

    #[test]
    fn reset_forgets_the_body() {
        let c = MembersCache::new();
        let t = miss(lookup(&c, v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        c.reset();
        assert_eq!(c.get(), None);
        assert!(!c.is_enabled());
        assert!(matches!(lookup(&c, v("1")), Lookup::Miss(_)));
    }
}
