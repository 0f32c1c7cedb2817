//! One daemon per config folder, and how others find it (DESIGN.md "One
//! user's daemon"): the instance lock ([`lock`]) held for the process's
//! life, and the discovery file ([`discovery`]) naming its pid and url.
//!
//! The order at start is the point: the lock first (so a second daemon on
//! the same folder exits 4 naming the first, whatever port it asked for),
//! then the bind, then the discovery file, as soon as the port listens.

pub mod discovery;
pub mod lock;
