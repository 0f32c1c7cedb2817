//! [`SecretValue`]: a setting that must never be printed. Here, beside the
//! other secrets' rules, so that the configuration (which holds such values)
//! and the readers of secret files share one type without importing each
//! other.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A configuration value that must never be printed (an access token, a
/// database URL with a password in it).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The plaintext; do not log or format it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Serialises as `[redacted]`, never the secret: serialisation only feeds the
/// defaults layer, where a secret has no default anyway.
impl Serialize for SecretValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
