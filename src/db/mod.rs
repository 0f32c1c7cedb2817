//! Database access: connecting ([`connect`]), migrating ([`migrate`]), the
//! sea-orm [`entities`], the queries per resource ([`members`]), the
//! in-daemon list cache ([`members_cache`]) kept coherent by change counters
//! ([`coherence`]), pooler-safe units of work ([`unit`]), and [`tls`]: the
//! TLS relay that makes the verify modes trust exactly `ssl_root_cert`.

pub mod coherence;
pub mod connect;
pub mod entities;
pub mod members;
pub mod members_cache;
pub mod migrate;
pub mod tls;
pub mod unit;
