//! Database access: connecting ([`connect`], the failures worded by
//! [`connect_errors`]), migrating ([`migrate`]), the
//! sea-orm [`entities`], the queries per resource ([`members`], [`tasks`],
//! [`sub_tasks`], [`daily_updates`]) with their [`outcome`] and what the
//! writes below a task share ([`task_writes`]), the in-daemon
//! list caches ([`caches`]: [`members_cache`], [`tasks_cache`], both a
//! [`list_cache`]) kept coherent by change counters
//! ([`coherence`]), pooler-safe units of work ([`unit`]), the connection a write takes
//! ([`write_conn`], which drops the cached lists it touches), and [`tls`]: the
//! TLS relay that makes the verify modes trust exactly `ssl_root_cert`.

/// `$col` (a `timestamptz`) as the contract's timestamp text: RFC 3339 in UTC
/// with microseconds and a `Z`, e.g. `2026-12-02T05:53:26.076755Z`.
macro_rules! utc_text {
    ($col:literal) => {
        concat!(
            "to_char(",
            $col,
            " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        )
    };
}

pub mod caches;
pub mod coherence;
pub mod connect;
pub mod connect_errors;
pub mod daily_updates;
pub mod database_url;
pub mod entities;
pub mod list_cache;
pub mod members;
pub mod members_cache;
pub mod migrate;
pub mod outcome;
pub mod sub_tasks;
pub mod task_writes;
pub mod tasks;
pub mod tasks_cache;
pub mod tls;
pub mod unit;
pub mod write_conn;
