//! [`TargetFlags`]: the `taskflowd test-connection` flags, a twin of the
//! domain's [`ConnectionTarget`] (the domain knows nothing of clap).
//!
//! The doc comments are the flags' help text and the same as the target's
//! fields; a test keeps the flag names equal to the keys a target
//! serialises, so a field added to one and not the other fails it.

use crate::domain::credentials::{ConnectionTarget, SslMode};

/// Where and as whom to connect: every connection setting but the password.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct TargetFlags {
    /// Database host: one TCP host name or address (no commas, not a socket path).
    #[arg(long)]
    pub host: String,
    /// Database port, 1–65535.
    #[arg(long, default_value_t = 5432)]
    pub port: u16,
    /// Database name.
    #[arg(long)]
    pub database: String,
    /// Login role.
    #[arg(long)]
    pub username: String,
    /// TLS mode (disable, prefer, require, verify-ca, verify-full); `None`
    /// means "not given", which behaves as [`SslMode::Prefer`].
    #[arg(long)]
    pub ssl_mode: Option<SslMode>,
    /// Absolute path of a PEM file with the CA certificate(s) that verify the
    /// server — the only CAs trusted — or `system` for the operating system's
    /// CA store (`verify-full` only); only with `require`, `verify-ca` or
    /// `verify-full` (required with both verify modes).
    #[arg(long)]
    pub ssl_root_cert: Option<String>,
}

impl From<TargetFlags> for ConnectionTarget {
    fn from(f: TargetFlags) -> Self {
        Self {
            host: f.host,
            port: f.port,
            database: f.database,
            username: f.username,
            ssl_mode: f.ssl_mode,
            ssl_root_cert: f.ssl_root_cert,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{Args, Command, FromArgMatches};

    use super::*;

    fn parse(args: &[&str]) -> Result<TargetFlags, clap::Error> {
        let cmd = TargetFlags::augment_args(Command::new("t").no_binary_name(true));
        TargetFlags::from_arg_matches(&cmd.try_get_matches_from(args)?)
    }

    #[test]
    fn the_flags_are_the_targets_fields() {
        let cmd = TargetFlags::augment_args(Command::new("t"));
        let mut flags: Vec<String> = cmd
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| l.replace('-', "_")))
            .collect();
        flags.sort();
        let mut full = ConnectionTarget::new("h", 1, "d", "u");
        full.ssl_mode = Some(SslMode::Require);
        full.ssl_root_cert = Some("/ca.pem".into());
        let json = serde_json::to_value(&full).unwrap_or_default();
        let mut keys: Vec<String> = json
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        assert_eq!(flags, keys);
    }

    #[test]
    fn flags_become_the_target() {
        let t = ConnectionTarget::from(
            parse(&[
                "--host",
                "db",
                "--database",
                "team",
                "--username",
                "lead",
                "--ssl-mode",
                "verify-full",
                "--ssl-root-cert",
                "system",
            ])
            .unwrap(),
        );
        let mut want = ConnectionTarget::new("db", 5432, "team", "lead");
        want.ssl_mode = Some(SslMode::VerifyFull);
        want.ssl_root_cert = Some("system".into());
        assert_eq!(t, want);
        let e = parse(&[
            "--host",
            "db",
            "--database",
            "d",
            "--username",
            "u",
            "--ssl-mode",
            "allow",
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("must be one of disable, prefer, require, verify-ca, verify-full"),
            "{e}"
        );
    }
}
