//! taskflowd: the TaskFlow backend as a supervised per-user daemon.

pub mod actors;
pub mod domain;
pub mod security;
