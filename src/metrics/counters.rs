//! Events counted where they happen, as plain atomics: a connection attempt
//! in the DbSupervisor, a list-cache lookup in `db::list_cache`. This module
//! is a leaf (no crate imports), so the actors and the database layer can
//! count without depending on the exposition; [`super::render`] reads the
//! totals at scrape time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

static DB_CONNECT_ATTEMPTS: AtomicU64 = AtomicU64::new(0);
static LIST_CACHE_HITS: AtomicU64 = AtomicU64::new(0);
static LIST_CACHE_MISSES: AtomicU64 = AtomicU64::new(0);

/// The DbSupervisor starts a connection attempt (first, retry or reconnect).
pub fn db_connect_attempted() {
    DB_CONNECT_ATTEMPTS.fetch_add(1, Relaxed);
}

/// A list or page was answered from the cache.
pub fn list_cache_hit() {
    LIST_CACHE_HITS.fetch_add(1, Relaxed);
}

/// A list or page had to be read from the database.
pub fn list_cache_miss() {
    LIST_CACHE_MISSES.fetch_add(1, Relaxed);
}

/// The totals so far: (connect attempts, cache hits, cache misses).
pub fn totals() -> (u64, u64, u64) {
    (
        DB_CONNECT_ATTEMPTS.load(Relaxed),
        LIST_CACHE_HITS.load(Relaxed),
        LIST_CACHE_MISSES.load(Relaxed),
    )
}
