//! Database access: connecting ([`connect`]), migrating ([`migrate`]).

pub mod connect;
pub mod migrate;
