//! [`ListCache`]: serialized list bodies kept in the daemon, each checked
//! against a change [`Version`] of the tables it was read from (see
//! [`coherence`](super::coherence)), so that writes made by any daemon, the
//! original Python backend or direct SQL are seen at the next read, through
//! any pooler. One cache per list ([`super::members_cache`],
//! [`super::tasks_cache`]); a key `K` tells apart the variants of one list
//! (the task list's filters and sort).
//!
//! # Why this is correct
//!
//! A read first asks the database for the current [`Version`] (one cheap
//! query). If the cache holds a body for the key stored under that same
//! version, no write has committed since that body's version was read, so
//! the body is current: it is served. Otherwise the reader gets a [`Ticket`]
//! carrying the version just read and this cache's local *generation*,
//! queries the list, and [`ListCache::store`]s the body under the ticket's
//! version. The version was read *before* the list (or in the same
//! snapshot), so the body is at least as new as its version: a write it
//! misses, or one racing it, moves the version and the next lookup reloads.
//!
//! A body confirmed less than [`RECHECK_AFTER`] ago is served without the
//! query: under load the database sees a few checks a second per key, and
//! another daemon's write is seen at most that much later (the 1 s rule).
//!
//! The generation guards the daemon's own writes: a handler that wrote
//! calls [`ListCache::invalidate`] (even when the write's outcome is
//! unknown), which drops every body and makes every older ticket unable to
//! store. When the change trigger is missing or disabled the lookup finds no
//! version and nothing is stored: every list is read from the database. The
//! DbSupervisor [`resets`](ListCache::reset) the caches whenever it leaves
//! `Ready` or changes database, so a version from one database is never
//! compared with another's.
//!
//! The lock is a `std::sync::Mutex` held only for a few field updates, never
//! across an `.await`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;

use super::coherence::Version;
use crate::config::policy::RECHECK_AFTER;

/// Most variants kept of one list; storing one more starts afresh (the UI
/// asks for a handful: the dashboard and the filters someone is using).
pub const MAX_KEYS: usize = 32;

/// Shared handle; clones refer to the same cache.
#[derive(Debug)]
pub struct ListCache<K> {
    inner: Arc<Mutex<Inner<K>>>,
}

impl<K> Clone for ListCache<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K> Default for ListCache<K> {
    fn default() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::new(),
                generation: 0,
                enabled: false,
            })),
        }
    }
}

#[derive(Debug)]
struct Inner<K> {
    /// The exact JSON body of each key's last list, with its version.
    entries: HashMap<K, Entry>,
    /// Bumped by every local invalidation and reset.
    generation: u64,
    /// Whether the last lookup found the change trigger active.
    enabled: bool,
}

#[derive(Debug)]
struct Entry {
    version: Version,
    body: Bytes,
    /// When `version` was last confirmed current: the instant *before* the
    /// confirming query was sent.
    confirmed: Instant,
}

impl<K> Inner<K> {
    fn invalidate(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.entries.clear();
    }
}

/// What a cached list read answers.
#[derive(Debug)]
pub enum Listed<T, K> {
    /// The cached body, current.
    Cached(Bytes),
    /// Read from the database: [`ListCache::body`] serializes and stores it.
    Fresh {
        /// The rows, ordered.
        rows: T,
        /// For [`ListCache::store`].
        ticket: Ticket<K>,
    },
}

/// What a version check decided.
#[derive(Debug)]
pub enum Lookup<K> {
    /// The cached body is current.
    Hit(Bytes),
    /// Query the list, then [`store`](ListCache::store) with this ticket.
    Miss(Ticket<K>),
}

/// Taken by a lookup before the list query; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Ticket<K> {
    key: K,
    generation: u64,
    /// When the version was asked for.
    asked: Instant,
    /// `None`: the trigger is off, the body must not be kept.
    version: Option<Version>,
}

impl<K: Eq + Hash + Clone> ListCache<K> {
    fn lock(&self) -> MutexGuard<'_, Inner<K>> {
        // The critical sections cannot panic half-way, so a poisoned lock
        // still holds consistent data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The generation to pass to [`decide`](Self::decide): read it before
    /// the version query.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// `key`'s body, if it was confirmed current less than [`RECHECK_AFTER`] ago.
    /// Counted as a cache hit (`taskflow_list_cache_hits_total`) when it answers.
    pub fn recent(&self, key: &K) -> Option<Bytes> {
        let body = self.recent_within(key, RECHECK_AFTER);
        if body.is_some() {
            crate::metrics::counters::list_cache_hit();
        }
        body
    }

    fn recent_within(&self, key: &K, window: Duration) -> Option<Bytes> {
        let inner = self.lock();
        inner
            .entries
            .get(key)
            .filter(|e| e.confirmed.elapsed() < window)
            .map(|e| e.body.clone())
    }

    /// Compares `version` (read at `asked`, after [`generation`](Self::generation)
    /// returned `generation`) with the body stored for `key`.
    pub fn decide(
        &self,
        key: K,
        generation: u64,
        asked: Instant,
        version: Option<Version>,
    ) -> Lookup<K> {
        let mut inner = self.lock();
        inner.enabled = version.is_some();
        if version.is_none() {
            // Nothing counts the writes now: no body can be checked.
            inner.entries.clear();
        }
        let current = inner.generation == generation;
        match (inner.entries.get_mut(&key), &version) {
            (Some(entry), Some(v)) if entry.version == *v && current => {
                entry.confirmed = entry.confirmed.max(asked);
                crate::metrics::counters::list_cache_hit();
                Lookup::Hit(entry.body.clone())
            }
            _ => {
                crate::metrics::counters::list_cache_miss();
                Lookup::Miss(Ticket {
                    key,
                    generation,
                    asked,
                    version,
                })
            }
        }
    }

    /// Keeps `body` under the ticket's key and version, unless the trigger
    /// was off or this daemon wrote since the ticket was taken. Returns
    /// whether it was kept.
    pub fn store(&self, ticket: Ticket<K>, body: Bytes) -> bool {
        let mut inner = self.lock();
        let Some(version) = ticket.version else {
            return false;
        };
        if inner.generation != ticket.generation {
            return false;
        }
        if inner.entries.len() >= MAX_KEYS && !inner.entries.contains_key(&ticket.key) {
            inner.entries.clear();
        }
        inner.entries.insert(
            ticket.key,
            Entry {
                version,
                body,
                confirmed: ticket.asked,
            },
        );
        true
    }

    /// The body to answer: the cached one, or the fresh rows serialized
    /// once and offered to the cache.
    pub fn body<T: Serialize>(&self, listed: Listed<T, K>) -> Result<Bytes, serde_json::Error> {
        match listed {
            Listed::Cached(body) => Ok(body),
            Listed::Fresh { rows, ticket } => {
                let body = Bytes::from(serde_json::to_vec(&rows)?);
                self.store(ticket, body.clone());
                Ok(body)
            }
        }
    }

    /// This daemon wrote to the list's tables (or may have): drop every body.
    pub fn invalidate(&self) {
        self.lock().invalidate();
    }

    /// The database is no longer `Ready`, or is another one: forget all.
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.enabled = false;
        inner.invalidate();
    }

    /// `key`'s stored body, unchecked (for the test hook and diagnostics
    /// only: serving goes through a version check).
    pub fn get(&self, key: &K) -> Option<Bytes> {
        self.lock().entries.get(key).map(|e| e.body.clone())
    }

    /// Whether the last lookup found the change trigger active (for tests
    /// and diagnostics).
    pub fn is_enabled(&self) -> bool {
        self.lock().enabled
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<Version> {
        Some(Version::from_test(s))
    }

    fn miss<K: std::fmt::Debug>(l: Lookup<K>) -> Ticket<K> {
        match l {
            Lookup::Miss(t) => t,
            Lookup::Hit(b) => panic!("unexpected hit: {b:?}"),
        }
    }

    fn lookup<K: Eq + Hash + Clone>(
        c: &ListCache<K>,
        key: K,
        version: Option<Version>,
    ) -> Lookup<K> {
        let generation = c.generation();
        c.decide(key, generation, Instant::now(), version)
    }

    #[test]
    fn a_recently_confirmed_body_is_served_without_asking_until_the_window_ends() {
        let c = ListCache::<()>::default();
        assert_eq!(c.recent_within(&(), Duration::from_secs(3600)), None);
        let t = miss(lookup(&c, (), v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        assert_eq!(
            c.recent_within(&(), Duration::from_secs(3600)),
            Some(Bytes::from_static(b"[1]"))
        );
        assert_eq!(
            c.recent_within(&(), Duration::ZERO),
            None,
            "past the window: ask again"
        );
        c.invalidate();
        assert_eq!(
            c.recent_within(&(), Duration::from_secs(3600)),
            None,
            "own write: ask again"
        );
    }

    #[test]
    fn same_version_hits_and_a_moved_version_misses() {
        let c = ListCache::<()>::default();
        let t = miss(lookup(&c, (), v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        assert!(matches!(lookup(&c, (), v("1")), Lookup::Hit(b) if b == "[1]"));
        let t = miss(lookup(&c, (), v("2")));
        assert!(c.store(t, Bytes::from_static(b"[2]")));
        assert!(matches!(lookup(&c, (), v("2")), Lookup::Hit(b) if b == "[2]"));
        assert!(c.is_enabled());
    }

    #[test]
    fn keys_are_kept_apart_and_a_version_move_misses_them_all() {
        let c = ListCache::<&str>::default();
        let t = miss(lookup(&c, "all", v("1")));
        assert!(c.store(t, Bytes::from_static(b"[a]")));
        let t = miss(lookup(&c, "done", v("1")));
        assert!(c.store(t, Bytes::from_static(b"[d]")));
        assert!(matches!(lookup(&c, "all", v("1")), Lookup::Hit(b) if b == "[a]"));
        assert!(matches!(lookup(&c, "done", v("1")), Lookup::Hit(b) if b == "[d]"));
        assert!(matches!(lookup(&c, "all", v("2")), Lookup::Miss(_)));
        assert!(matches!(lookup(&c, "done", v("2")), Lookup::Miss(_)));
    }

    #[test]
    fn more_keys_than_the_cap_start_afresh() {
        let c = ListCache::<usize>::default();
        for k in 0..MAX_KEYS {
            let t = miss(lookup(&c, k, v("1")));
            assert!(c.store(t, Bytes::from_static(b"[]")));
        }
        assert!(c.get(&0).is_some());
        let t = miss(lookup(&c, MAX_KEYS, v("1")));
        assert!(c.store(t, Bytes::from_static(b"[new]")));
        assert_eq!(c.get(&0), None, "the old variants were dropped");
        assert_eq!(c.get(&MAX_KEYS), Some(Bytes::from_static(b"[new]")));
    }

    #[test]
    fn without_the_trigger_nothing_is_stored_or_served() {
        let c = ListCache::<()>::default();
        let t = miss(lookup(&c, (), None));
        assert!(!c.store(t, Bytes::from_static(b"[]")));
        assert!(!c.is_enabled());
        let t = miss(lookup(&c, (), v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        assert!(matches!(lookup(&c, (), None), Lookup::Miss(_)));
    }

    #[test]
    fn an_own_write_since_the_ticket_discards_the_store() {
        let c = ListCache::<()>::default();
        let t = miss(lookup(&c, (), v("1")));
        c.invalidate();
        assert!(!c.store(t, Bytes::from_static(b"[stale]")));
        assert_eq!(c.get(&()), None);
    }

    #[test]
    fn an_own_write_between_lookup_start_and_decision_is_a_miss() {
        let c = ListCache::<()>::default();
        let t = miss(lookup(&c, (), v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        let generation = c.generation();
        c.invalidate();
        assert!(matches!(
            c.decide((), generation, Instant::now(), v("1")),
            Lookup::Miss(_)
        ));
    }

    #[test]
    fn reset_forgets_the_bodies() {
        let c = ListCache::<()>::default();
        let t = miss(lookup(&c, (), v("1")));
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        c.reset();
        assert_eq!(c.get(&()), None);
        assert!(!c.is_enabled());
        assert!(matches!(lookup(&c, (), v("1")), Lookup::Miss(_)));
    }

    #[test]
    fn body_serializes_fresh_rows_once_and_keeps_them() {
        let c = ListCache::<()>::default();
        let ticket = miss(lookup(&c, (), v("1")));
        let body = c
            .body(Listed::Fresh {
                rows: vec![1, 2],
                ticket,
            })
            .unwrap();
        assert_eq!(body, "[1,2]");
        assert_eq!(c.get(&()), Some(body.clone()));
        let cached: Listed<Vec<u8>, ()> = Listed::Cached(body.clone());
        assert_eq!(c.body(cached).unwrap(), body);
    }
}
