//! Database access: connecting ([`connect`]), migrating ([`migrate`]), the
//! sea-orm [`entities`] and the queries per resource ([`members`]).

pub mod connect;
pub mod entities;
pub mod members;
pub mod migrate;
