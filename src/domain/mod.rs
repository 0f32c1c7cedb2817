//! Domain types parsed from untrusted input ("parse, don't validate"), the
//! read models the API answers, and the pure state machines.
//!
//! Pure by rule (docs/architecture.md; CONTRIBUTING.md has the `grep` that
//! checks it): no OpenAPI or CLI derives, no async runtime, no file or
//! environment access here. The OpenAPI schemas are `http::schemas`', the
//! CLI flags `cli::target_flags`, and every file or environment read
//! `security`'s (the `ssl_root_cert` trust store: `security::trust_store`).
//!
//! Every parser returns a [`ValidationError`] whose `Display` is the exact
//! `"<field>: <what is wrong>"` message the HTTP contract prescribes.

pub mod credentials;
pub mod daily_update;
pub mod db_lifecycle;
pub mod db_state;
pub mod field_table;
pub mod fields;
pub mod labels;
pub mod member;
pub mod password;
pub mod read_model;
pub mod root_cert;
pub mod rules;
pub mod sub_task;
pub mod system_store;
pub mod task;
pub mod task_fields;

use std::fmt;

/// Bad input for one field. Displays as `"<field>: <message>"`, or as the
/// message alone for a rule that spans the body (`field` empty, see [`Self::rule`]).
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

impl ValidationError {
    /// A 400 whose message is given whole, without a field prefix: the
    /// contract words some rules that way (`GEAR ID must be exactly 4 digits`).
    pub fn rule(message: &'static str) -> Self {
        Self {
            field: "",
            message: message.to_owned(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            return f.write_str(&self.message);
        }
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

/// The shared rule for text fields: trimmed, then 1–`max_chars` characters.
/// Returns the trimmed value; the messages are the contract's
/// (`"<field>: must not be empty"`, `"<field>: must be at most N characters"`).
pub(crate) fn trimmed_bounded<'a>(
    field: &'static str,
    raw: &'a str,
    max_chars: usize,
) -> Result<&'a str, ValidationError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(value)
}

/// Whether `s` holds a control character (PostgreSQL refuses NUL, and none
/// belongs in a name or an address).
pub(crate) fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Refuses control characters with `"<field>: must not contain control characters"`.
pub(crate) fn no_control(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if has_control(value) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}
