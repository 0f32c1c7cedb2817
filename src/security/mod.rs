//! Secrets at rest and in memory: the redacting [`password::Password`] type,
//! the Fernet key and credential files, atomic durable writes.
//!
//! One concept per file: [`config_dir`] (where the files live),
//! [`atomic_write`] (how bytes reach the disk), [`owner_only`] (who may have
//! written them), [`fernet_key`] and [`credential_token`] (the two formats),
//! and [`credential_folder`] (the load/save rules that tie them together), and
//! [`key_rotation`] (replacing the key, crash-safe).

pub mod atomic_write;
pub mod config_dir;
pub mod credential_folder;
pub mod credential_token;
pub mod fernet_key;
pub mod key_rotation;
pub mod owner_only;
pub mod password;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod fernet_spec_tests;
