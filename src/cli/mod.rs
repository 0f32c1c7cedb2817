//! Operator commands on the same binary. They speak to a *running* daemon over
//! its HTTP API — the config folder's daemon, found through its discovery
//! file ([`find`]), and only once the listener is proven this user's
//! ([`trust`]) — so they show exactly what the desktop shell would see;
//! except `paths` and `rotate-key`, which work on the config folder itself
//! (the latter under its writer lock). None of them ever takes a password on
//! the command line or prints one.

pub mod client;
pub mod commands;
pub mod find;
pub mod stop;
pub mod target_flags;
pub mod trust;
