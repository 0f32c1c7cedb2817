//! The settings' schemas: the twins of `SslMode`, `ConnectionTarget`,
//! `ConnectionSummary` and `StateName`, and the body of `test-connection` /
//! `save-connection` (parsed by `domain::credentials`).

use serde::Serialize;
use utoipa::ToSchema;

use super::schema_twin;
#[cfg(doc)]
use crate::domain::credentials::DbCredentials;
use crate::domain::credentials::{ConnectionSummary, ConnectionTarget, SslMode};
use crate::domain::db_state::StateName;

/// libpq's `sslmode` values that taskflowd accepts (libpq's meaning; `allow` is not offered).
#[derive(Serialize, ToSchema)]
#[schema(as = SslMode)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum SslModeTwin {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}
schema_twin!(SslMode => SslModeTwin);

/// Where and as whom to connect: every connection setting but the password.
///
/// Serialises as the Settings page shows it and the token stores it (`ssl_*`
/// only when set); its fields are also the CLI's `test-connection` flags.
#[derive(Serialize, ToSchema)]
#[schema(as = ConnectionTarget)]
#[allow(dead_code)]
struct ConnectionTargetTwin {
    /// Database host: one TCP host name or address (no commas, not a socket path).
    #[schema(min_length = 1, max_length = 255)]
    host: String,
    /// Database port, 1–65535.
    #[schema(minimum = 1, maximum = 65535)]
    port: u16,
    /// Database name.
    #[schema(min_length = 1, max_length = 255)]
    database: String,
    /// Login role.
    #[schema(min_length = 1, max_length = 255)]
    username: String,
    /// TLS mode (disable, prefer, require, verify-ca, verify-full); `None`
    /// means "not given", which behaves as [`SslMode::Prefer`].
    #[serde(skip_serializing_if = "Option::is_none")]
    ssl_mode: Option<SslMode>,
    /// Absolute path of a PEM file with the CA certificate(s) that verify the
    /// server — the only CAs trusted — or `system` for the operating system's
    /// CA store (`verify-full` only); only with `require`, `verify-ca` or
    /// `verify-full` (required with both verify modes).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4096)]
    ssl_root_cert: Option<String>,
}
schema_twin!(ConnectionTarget => ConnectionTargetTwin);

/// The saved settings without the password, for the Settings page and `/settings/status`.
#[derive(Serialize, ToSchema)]
#[schema(as = ConnectionSummary)]
#[allow(dead_code)]
struct ConnectionSummaryTwin {
    /// The saved settings but the password.
    #[serde(flatten)]
    target: ConnectionTarget,
    /// Always `true`: saved settings always include a password (which is never shown).
    has_password: bool,
}
schema_twin!(ConnectionSummary => ConnectionSummaryTwin);

/// The body of `test-connection` and `save-connection`, for the OpenAPI
/// document (parsed by [`DbCredentials::from_json`], which gives the
/// messages). Names are trimmed and must not contain control characters; the
/// password is kept exactly as sent and must not contain NUL. Unknown fields
/// are ignored.
#[derive(Serialize, ToSchema)]
#[schema(as = ConnectionSettings)]
#[allow(dead_code)]
pub struct ConnectionSettingsBody {
    #[serde(flatten)]
    target: ConnectionTarget,
    #[schema(min_length = 1, max_length = 1024, format = Password)]
    password: String,
}

/// The status endpoint's `state` word: what kind of `DbState` it is, without its data.
#[derive(Serialize, ToSchema)]
#[schema(as = StateName)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum StateNameTwin {
    Unconfigured,
    Connecting,
    Migrating,
    Ready,
    Reconnecting,
    Failed,
}
schema_twin!(StateName => StateNameTwin);

#[cfg(test)]
mod tests {
    use super::super::{json_keys, schema_keys};
    use super::*;
    use crate::domain::credentials::sample;
    use serde_json::json;

    #[test]
    fn the_twins_name_exactly_what_the_domain_types_serialise() {
        let mut full = sample("db", "pw");
        full.ssl_mode = Some(SslMode::VerifyFull);
        full.ssl_root_cert = Some("/ca.pem".into());
        assert_eq!(
            schema_keys::<ConnectionTarget>(),
            json_keys(&[json!(full.target)])
        );
        let every_mode = [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ];
        // A new variant fails to compile here, and then to match below.
        let _every_mode = |m: SslMode| match m {
            SslMode::Disable
            | SslMode::Prefer
            | SslMode::Require
            | SslMode::VerifyCa
            | SslMode::VerifyFull => (),
        };
        let modes: Vec<_> = every_mode.iter().map(|m| json!(m)).collect();
        assert_eq!(schema_keys::<SslMode>(), json_keys(&modes));
        // `StateName::ALL` is kept whole by `domain::db_state`'s own test.
        let states: Vec<_> = StateName::ALL.iter().map(|s| json!(s)).collect();
        assert_eq!(schema_keys::<StateName>(), json_keys(&states));
    }
}
