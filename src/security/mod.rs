//! Secrets at rest and in memory: the redacting [`password::Password`] type,
//! the Fernet key and credential files, atomic durable writes.

pub mod password;
