//! [`Password`]: the database password as a type that cannot leak by accident.
//!
//! It has no `Serialize`, and its `Debug`/`Display` print `[redacted]`, so a
//! password inside a struct that is logged, formatted into an error or dumped
//! with `{:?}` never shows. The only way to the plaintext is [`Password::expose`],
//! which is greppable and used in exactly two places: building the driver's
//! connection options and writing the encrypted credential file.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A database password. Zeroised on drop (via `secrecy`), redacted when printed.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Wraps a password exactly as given (no trimming: spaces are significant).
    pub fn new(plaintext: String) -> Self {
        Self(SecretString::from(plaintext))
    }

    /// The plaintext. Call sites must not log, format or return it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Password {}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let p = Password::new("hunter2 secret".to_owned());
        assert_eq!(format!("{p:?}"), "[redacted]");
        assert_eq!(format!("{p}"), "[redacted]");
        assert_eq!(p.expose(), "hunter2 secret");
    }

    #[test]
    fn kept_exactly_as_given() {
        let p = Password::new("  padded\t".to_owned());
        assert_eq!(p.expose(), "  padded\t");
    }
}
