//! Domain types parsed from untrusted input ("parse, don't validate").
//!
//! Every parser returns a [`ValidationError`] whose `Display` is the exact
//! `"<field>: <what is wrong>"` message the HTTP contract prescribes.

pub mod credentials;
pub mod db_state;
pub mod member;
pub mod root_cert;

use std::fmt;

/// Bad input for one field. Displays as `"<field>: <message>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The JSON field name as the client sent it.
    pub field: &'static str,
    /// What is wrong, in words a user can act on. Never contains the value of a secret.
    pub message: String,
}

impl ValidationError {
    /// Builds an error for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}
