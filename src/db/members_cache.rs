//! [`MembersCache`]: the serialized `GET /api/v1/members` body, kept in the
//! daemon and invalidated by PostgreSQL `NOTIFY` so that writes made by any
//! daemon (or the original Python backend) on the shared database are seen.
//!
//! # Why this is correct
//!
//! A trigger on `members` runs `pg_notify('taskflow_members_changed', '')`
//! for every writing statement; the notification is delivered only after the
//! writing transaction commits. A dedicated listener session (spawned by the
//! DbSupervisor while it is `Ready`) calls [`MembersCache::invalidate`] for
//! each notification. The cache is used only while that `LISTEN` is active
//! and the trigger exists and is enabled (checked after `LISTEN` and again on
//! every liveness check of the session).
//!
//! A reader that misses the cache takes a [`Ticket`] ([`MembersCache::begin`],
//! which records the current *generation*), then queries, then
//! [`MembersCache::store`]s its body, which is kept only if the generation is
//! still the one recorded. Consider any commit `C` on `members`:
//!
//! - if `C` committed before the reader's query snapshot, the reader saw it,
//!   so its body already reflects `C`;
//! - if `C` committed after the snapshot, its notification arrives after the
//!   commit, hence after `begin`: either before `store` (the generation moved,
//!   the stale body is discarded) or after it (the stored body is dropped).
//!
//! Either way no body that misses a committed write outlives that write's
//! notification. The notification is lost only when the listener's session
//! is; that is why the listener holds a [`Lease`]: losing the session
//! [`suspends`](MembersCache::suspend) the cache (disabled + invalidated) and
//! it is [`enabled`](MembersCache::enable) again only after `LISTEN` is
//! re-established. `enable` also bumps the generation, so a ticket taken
//! while the cache was disabled (whose snapshot may predate the `LISTEN`)
//! can never store. The DbSupervisor [`disables`](MembersCache::disable) the
//! cache when it leaves `Ready`, which also revokes every lease, so a
//! listener task that is being aborted cannot re-enable it.
//!
//! The lock is a `std::sync::Mutex` held only for a few field updates, never
//! across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

/// The `NOTIFY` channel the `members` trigger signals on.
pub const MEMBERS_CHANNEL: &str = "taskflow_members_changed";

/// Shared handle; clones refer to the same cache.
#[derive(Clone, Debug, Default)]
pub struct MembersCache {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The exact JSON body of the last successful list, if still valid.
    value: Option<Bytes>,
    /// Bumped by every invalidation (and by enable/disable).
    generation: u64,
    /// True only while a listener holding the current lease has `LISTEN` active.
    enabled: bool,
    /// Identifies the listener allowed to enable the cache.
    lease: u64,
}

impl Inner {
    fn invalidate(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.value = None;
    }
}

/// Recorded by [`MembersCache::begin`] before the query; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Ticket(u64);

/// The right of one listener task to enable the cache; revoked by
/// [`MembersCache::disable`] and by the next [`MembersCache::new_lease`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease(u64);

impl MembersCache {
    /// A new, disabled, empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The critical sections cannot panic half-way, so a poisoned lock
        // still holds consistent data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached body, only while enabled.
    pub fn get(&self) -> Option<Bytes> {
        let inner = self.lock();
        if inner.enabled {
            inner.value.clone()
        } else {
            None
        }
    }

    /// Call before querying; pass the ticket to [`store`](Self::store).
    pub fn begin(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Keeps `body` only if enabled and nothing was invalidated since `ticket`
    /// was taken. Returns whether it was kept.
    pub fn store(&self, ticket: Ticket, body: Bytes) -> bool {
        let mut inner = self.lock();
        if inner.enabled && inner.generation == ticket.0 {
            inner.value = Some(body);
            true
        } else {
            false
        }
    }

    /// `members` changed (a notification, or a local write committed).
    pub fn invalidate(&self) {
        self.lock().invalidate();
    }

    /// For a new listener task: revokes earlier leases, disables and
    /// invalidates, and returns the lease the new task will enable with.
    pub fn new_lease(&self) -> Lease {
        let mut inner = self.lock();
        inner.lease = inner.lease.wrapping_add(1);
        inner.enabled = false;
        inner.invalidate();
        Lease(inner.lease)
    }

    /// `LISTEN` is active for `lease`: start caching (from an empty value and
    /// a new generation). Ignored, returning false, if the lease was revoked.
    pub fn enable(&self, lease: Lease) -> bool {
        let mut inner = self.lock();
        if inner.lease != lease.0 {
            return false;
        }
        inner.enabled = true;
        inner.invalidate();
        true
    }

    /// The listener of `lease` lost its session (notifications may be
    /// missed): stop caching until it calls [`enable`](Self::enable) again.
    /// Ignored if the lease was revoked (a newer listener owns the cache).
    pub fn suspend(&self, lease: Lease) {
        let mut inner = self.lock();
        if inner.lease == lease.0 {
            inner.enabled = false;
            inner.invalidate();
        }
    }

    /// The database is no longer `Ready`: stop caching and revoke every lease.
    pub fn disable(&self) {
        let mut inner = self.lock();
        inner.lease = inner.lease.wrapping_add(1);
        inner.enabled = false;
        inner.invalidate();
    }

    /// Whether the cache is in use (for tests and diagnostics).
    pub fn is_enabled(&self) -> bool {
        self.lock().enabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> MembersCache {
        let c = MembersCache::new();
        let lease = c.new_lease();
        assert!(c.enable(lease));
        c
    }

    #[test]
    fn disabled_cache_never_stores_or_serves() {
        let c = MembersCache::new();
        let t = c.begin();
        assert!(!c.store(t, Bytes::from_static(b"[]")));
        assert_eq!(c.get(), None);
    }

    #[test]
    fn store_then_get() {
        let c = enabled();
        let t = c.begin();
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        assert_eq!(c.get(), Some(Bytes::from_static(b"[1]")));
    }

    #[test]
    fn store_after_an_invalidation_since_begin_is_discarded() {
        let c = enabled();
        let t = c.begin();
        c.invalidate();
        assert!(!c.store(t, Bytes::from_static(b"[stale]")));
        assert_eq!(c.get(), None);
        // A fresh reader stores.
        let t = c.begin();
        assert!(c.store(t, Bytes::from_static(b"[fresh]")));
        assert_eq!(c.get(), Some(Bytes::from_static(b"[fresh]")));
    }

    #[test]
    fn invalidation_after_store_drops_the_value() {
        let c = enabled();
        let t = c.begin();
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        c.invalidate();
        assert_eq!(c.get(), None);
    }

    #[test]
    fn ticket_taken_while_disabled_cannot_store_after_enable() {
        let c = MembersCache::new();
        let lease = c.new_lease();
        let t = c.begin();
        assert!(c.enable(lease));
        assert!(!c.store(t, Bytes::from_static(b"[old snapshot]")));
    }

    #[test]
    fn suspend_and_disable_stop_serving() {
        let c = MembersCache::new();
        let lease = c.new_lease();
        assert!(c.enable(lease));
        let t = c.begin();
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        c.suspend(lease);
        assert_eq!(c.get(), None);
        assert!(c.enable(lease));
        let t = c.begin();
        assert!(c.store(t, Bytes::from_static(b"[1]")));
        c.disable();
        assert_eq!(c.get(), None);
        assert!(!c.is_enabled());
    }

    #[test]
    fn revoked_lease_cannot_enable_or_suspend() {
        let c = MembersCache::new();
        let old = c.new_lease();
        c.disable();
        assert!(!c.enable(old));
        let new = c.new_lease();
        assert!(c.enable(new));
        c.suspend(old);
        assert!(c.is_enabled());
    }
}
