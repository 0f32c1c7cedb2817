//! [`DbCredentials`]: the team database's connection settings, parsed from the
//! Settings page's JSON body and stored encrypted by the CredentialStore.
//!
//! The fields are declared in [`ConnectionTarget`] (everything but the
//! password): the Settings page's summary and the stored token's plaintext
//! are built from it; the `taskflowd test-connection` flags
//! (`cli::target_flags`) and the OpenAPI schema (`http::schemas::settings`)
//! are twins of it, which their tests keep equal to it. A new field is its
//! declaration here, its parser in [`DbCredentials::from_json`], and its line
//! in each twin.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::password::Password;
use super::{ValidationError, has_control, no_control, trimmed_bounded};

/// Longest accepted host, database or user name, in characters.
const MAX_NAME_CHARS: usize = 255;
/// Longest accepted password, in characters.
const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest accepted `ssl_root_cert` path, in characters.
const MAX_PATH_CHARS: usize = 4096;

/// What a bad `ssl_mode` is told.
const SSL_MODE_EXPECTED: &str = "must be one of disable, prefer, require, verify-ca, verify-full";

/// libpq's `sslmode` values that taskflowd accepts (libpq's meaning; `allow` is not offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, else plain TCP; no certificate checks. The default.
    Prefer,
    /// TLS or fail; no certificate checks (unless a root certificate is given, as libpq).
    Require,
    /// TLS with a certificate chain trusted by `ssl_root_cert`; the host name is not checked.
    VerifyCa,
    /// TLS with a trusted chain and a certificate that names the host.
    VerifyFull,
}

impl SslMode {
    /// The wire name, as libpq spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }
}

/// The wire name exactly (`--ssl-mode`'s parser), with the API's message
/// for a bad value.
impl std::str::FromStr for SslMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s).ok_or_else(|| SSL_MODE_EXPECTED.to_owned())
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and as whom to connect: every connection setting but the password.
///
/// Serialises as the Settings page shows it and the token stores it (`ssl_*`
/// only when set); its fields are also the CLI's `test-connection` flags
/// (`cli::target_flags`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionTarget {
    /// Database host: one TCP host name or address (no commas, not a socket path).
    pub host: String,
    /// Database port, 1–65535.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Login role.
    pub username: String,
    /// TLS mode (disable, prefer, require, verify-ca, verify-full); `None`
    /// means "not given", which behaves as [`SslMode::Prefer`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_mode: Option<SslMode>,
    /// Absolute path of a PEM file with the CA certificate(s) that verify the
    /// server — the only CAs trusted — or `system` for the operating system's
    /// CA store (`verify-full` only); only with `require`, `verify-ca` or
    /// `verify-full` (required with both verify modes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_root_cert: Option<String>,
}

impl ConnectionTarget {
    /// A target with the TLS settings left at their defaults.
    pub fn new(host: &str, port: u16, database: &str, username: &str) -> Self {
        Self {
            host: host.to_owned(),
            port,
            database: database.to_owned(),
            username: username.to_owned(),
            ssl_mode: None,
            ssl_root_cert: None,
        }
    }
}

/// Everything needed to connect to the team database: a [`ConnectionTarget`]
/// and the password. It dereferences to the target, so `creds.host` reads as
/// it should.
///
/// `Debug` is derived safely: the password's own `Debug` prints `[redacted]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbCredentials {
    /// Where and as whom.
    pub target: ConnectionTarget,
    /// The role's password, exactly as the user typed it.
    pub password: Password,
}

impl std::ops::Deref for DbCredentials {
    type Target = ConnectionTarget;
    fn deref(&self) -> &ConnectionTarget {
        &self.target
    }
}

impl std::ops::DerefMut for DbCredentials {
    fn deref_mut(&mut self) -> &mut ConnectionTarget {
        &mut self.target
    }
}

impl DbCredentials {
    /// Credentials for `target` with `password`.
    pub fn new(target: ConnectionTarget, password: Password) -> Self {
        Self { target, password }
    }

    /// The TLS mode in force (`prefer` when none was given).
    pub fn effective_ssl_mode(&self) -> SslMode {
        self.ssl_mode.unwrap_or(SslMode::Prefer)
    }

    /// What may be shown to users and logs: everything but the password.
    pub fn summary(&self) -> ConnectionSummary {
        ConnectionSummary {
            target: self.target.clone(),
            has_password: true,
        }
    }

    /// Whether TLS is mandatory and the server's chain is checked against
    /// `ssl_root_cert`: `verify-ca`, `verify-full`, and — libpq's rule —
    /// `require` when a root certificate is given, which then behaves as `verify-ca`.
    pub fn verifies_chain(&self) -> bool {
        match self.effective_ssl_mode() {
            SslMode::VerifyCa | SslMode::VerifyFull => true,
            SslMode::Require => self.ssl_root_cert.is_some(),
            SslMode::Disable | SslMode::Prefer => false,
        }
    }

    /// The rules between `ssl_mode` and `ssl_root_cert` (see
    /// [`check_tls_combination`]), for input from the Settings page.
    ///
    /// Not part of [`Self::from_json`], which also parses the stored file:
    /// a file saved before these rules existed must still load (and shows
    /// in the Settings page). The TLS relay applies the rules for the
    /// verify modes again when connecting (`db::tls::route`), so such a file
    /// fails to connect with the same message rather than trusting more.
    pub fn check_tls_settings(&self) -> Result<(), ValidationError> {
        check_tls_combination(self.effective_ssl_mode(), self.ssl_root_cert.as_deref())
    }

    /// Parses the Settings page's body (`test-connection` and `save-connection`).
    ///
    /// Fields are checked in a fixed order and the first problem is returned,
    /// so the message is stable. Unknown fields are ignored.
    pub fn from_json(body: &Value) -> Result<Self, ValidationError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ValidationError::new("body", "must be a JSON object"))?;
        let host = name_field(obj, "host")?;
        check_single_tcp_host(&host)?;
        let port = port_field(obj)?;
        let database = name_field(obj, "database")?;
        let username = name_field(obj, "username")?;
        let password = password_field(obj)?;
        let ssl_mode = ssl_mode_field(obj)?;
        let ssl_root_cert = ssl_root_cert_field(obj)?;
        Ok(Self {
            target: ConnectionTarget {
                host,
                port,
                database,
                username,
                ssl_mode,
                ssl_root_cert,
            },
            password,
        })
    }
}

/// The unit tests' credentials: `host`:5432, database `team`, role `lead`.
#[cfg(test)]
pub(crate) fn sample(host: &str, password: &str) -> DbCredentials {
    DbCredentials::new(
        ConnectionTarget::new(host, 5432, "team", "lead"),
        Password::new(password.to_owned()),
    )
}

/// The saved settings without the password, for the Settings page and `/settings/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionSummary {
    /// The saved settings but the password.
    #[serde(flatten)]
    pub target: ConnectionTarget,
    /// Always `true`: saved settings always include a password (which is never shown).
    pub has_password: bool,
}

fn required<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a Value, ValidationError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(ValidationError::new(field, "is required")),
        Some(v) => Ok(v),
    }
}

/// host / database / username: a string, trimmed, 1–255 characters, no control characters.
fn name_field(obj: &Map<String, Value>, field: &'static str) -> Result<String, ValidationError> {
    let raw = required(obj, field)?
        .as_str()
        .ok_or_else(|| ValidationError::new(field, "must be a string"))?;
    let value = trimmed_bounded(field, raw, MAX_NAME_CHARS)?;
    no_control(field, value)?;
    Ok(value.to_owned())
}

/// libpq would read a comma as a list of hosts and a leading `/` as a socket
/// folder; taskflowd connects to exactly one TCP host.
fn check_single_tcp_host(host: &str) -> Result<(), ValidationError> {
    if host.contains(',') {
        return Err(ValidationError::new(
            "host",
            "must be a single host name or address (no commas)",
        ));
    }
    if host.starts_with('/') {
        return Err(ValidationError::new(
            "host",
            "must be a TCP host name or address, not a socket path",
        ));
    }
    Ok(())
}

fn port_field(obj: &Map<String, Value>) -> Result<u16, ValidationError> {
    let bad = || ValidationError::new("port", "must be an integer between 1 and 65535");
    let n = required(obj, "port")?.as_u64().ok_or_else(bad)?;
    match u16::try_from(n) {
        Ok(p) if p >= 1 => Ok(p),
        _ => Err(bad()),
    }
}

/// Kept byte for byte: no trimming, any characters but NUL (which PostgreSQL's
/// protocol cannot carry).
fn password_field(obj: &Map<String, Value>) -> Result<Password, ValidationError> {
    let raw = required(obj, "password")?
        .as_str()
        .ok_or_else(|| ValidationError::new("password", "must be a string"))?;
    if raw.is_empty() {
        return Err(ValidationError::new("password", "must not be empty"));
    }
    if raw.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ValidationError::new(
            "password",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if raw.contains('\0') {
        return Err(ValidationError::new(
            "password",
            "must not contain NUL characters",
        ));
    }
    Ok(Password::new(raw.to_owned()))
}

fn ssl_mode_field(obj: &Map<String, Value>) -> Result<Option<SslMode>, ValidationError> {
    match obj.get("ssl_mode") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => SslMode::parse(s.trim())
            .map(Some)
            .ok_or_else(|| ValidationError::new("ssl_mode", SSL_MODE_EXPECTED)),
        Some(_) => Err(ValidationError::new("ssl_mode", SSL_MODE_EXPECTED)),
    }
}

fn ssl_root_cert_field(obj: &Map<String, Value>) -> Result<Option<String>, ValidationError> {
    const FIELD: &str = "ssl_root_cert";
    match obj.get(FIELD) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let path = s.trim();
            if path.is_empty() {
                return Ok(None);
            }
            if path == super::root_cert::SYSTEM {
                return Ok(Some(path.to_owned()));
            }
            if path.chars().count() > MAX_PATH_CHARS || has_control(path) {
                return Err(ValidationError::new(
                    FIELD,
                    format!(
                        "must be a file path of at most {MAX_PATH_CHARS} characters without control characters"
                    ),
                ));
            }
            // The daemon's working directory is nobody's business: a relative
            // path would silently mean something else after a restart.
            if !std::path::Path::new(path).is_absolute() {
                return Err(ValidationError::new(FIELD, "must be an absolute path"));
            }
            Ok(Some(path.to_owned()))
        }
        Some(_) => Err(ValidationError::new(
            FIELD,
            "must be a string (a path to a PEM file, or \"system\")",
        )),
    }
}

/// Which modes take a root certificate, decided without touching the file
/// (the file itself is checked by `security::trust_store::check`).
///
/// - `disable` / `prefer` with `ssl_root_cert` is rejected rather than ignored:
///   neither mode checks certificates (sqlx's `prefer` never does, and a
///   "verified" connection that silently falls back to plain text would be
///   worse), so accepting it would let the user believe the server is verified.
/// - `verify-ca` and `verify-full` need `ssl_root_cert`, as in libpq (which
///   fails without a root certificate file): the verify modes trust only the
///   CAs it names, so without it nothing could be trusted. The message says
///   what to set; for `verify-full` that includes `"system"`, the
///   operating system's store, which managed databases with publicly issued
///   certificates need.
/// - `"system"` only with `verify-full`, as libpq 16 rules: anyone can get a
///   certificate from a public CA for a name they control, so a public CA
///   proves something only together with the host name check.
pub fn check_tls_combination(
    mode: SslMode,
    root_cert: Option<&str>,
) -> Result<(), ValidationError> {
    const FIELD: &str = "ssl_root_cert";
    match (mode, root_cert) {
        (SslMode::VerifyFull, None) => Err(missing_root_cert(mode)),
        (SslMode::Require | SslMode::VerifyCa, Some(super::root_cert::SYSTEM)) => {
            Err(ValidationError::new(
                FIELD,
                format!(
                    "\"system\" is only used with ssl_mode verify-full (ssl_mode is {mode}): \
                     with the public CAs of the operating system's store, only the host name \
                     check proves which server answers"
                ),
            ))
        }
        (SslMode::Disable | SslMode::Prefer, Some(_)) => Err(ValidationError::new(
            FIELD,
            format!(
                "is only used with ssl_mode require, verify-ca or verify-full (ssl_mode is {mode})"
            ),
        )),
        (SslMode::VerifyCa, None) => Err(missing_root_cert(mode)),
        _ => Ok(()),
    }
}

/// What a verify mode without `ssl_root_cert` is told: what to set. Also
/// the connect error for such settings stored by an earlier build (which
/// trusted the public web CAs then; now nothing is trusted without it).
pub fn missing_root_cert(mode: SslMode) -> ValidationError {
    let what = match mode {
        SslMode::VerifyFull => {
            "the CA certificate that signed the server's certificate, or \"system\" to trust \
             the operating system's CA store"
        }
        _ => "the CA certificate that signed the server's certificate",
    };
    ValidationError::new(
        "ssl_root_cert",
        format!("is required with ssl_mode {mode} ({what})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"host": " db.local ", "port": 5432, "database": "team", "username": "lead", "password": " p@ss w0rd "})
    }

    fn err_of(mut body: Value, field: &str, value: Value) -> String {
        body[field] = value;
        match DbCredentials::from_json(&body) {
            Ok(_) => panic!("{field} accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_and_trims_names_but_not_password() {
        let c = DbCredentials::from_json(&good()).unwrap();
        assert_eq!(c.host, "db.local");
        assert_eq!(c.port, 5432);
        assert_eq!(c.password.expose(), " p@ss w0rd ");
        assert_eq!(c.ssl_mode, None);
        assert_eq!(c.effective_ssl_mode(), SslMode::Prefer);
    }

    #[test]
    fn rejects_bad_fields_with_field_prefixed_messages() {
        assert_eq!(
            err_of(good(), "host", json!("   ")),
            "host: must not be empty"
        );
        assert_eq!(err_of(good(), "host", json!(null)), "host: is required");
        assert_eq!(err_of(good(), "host", json!(5)), "host: must be a string");
        assert_eq!(
            err_of(good(), "host", json!("a\u{7}b")),
            "host: must not contain control characters"
        );
        assert!(err_of(good(), "host", json!("a,b")).starts_with("host: must be a single host"));
        assert!(err_of(good(), "host", json!("/tmp")).starts_with("host: must be a TCP host"));
        assert_eq!(
            err_of(good(), "host", json!("h".repeat(256))),
            "host: must be at most 255 characters"
        );
        for bad in [json!(0), json!(65536), json!("5432"), json!(1.5), json!(-1)] {
            assert_eq!(
                err_of(good(), "port", bad),
                "port: must be an integer between 1 and 65535"
            );
        }
        assert_eq!(
            err_of(good(), "password", json!("")),
            "password: must not be empty"
        );
        assert_eq!(
            err_of(good(), "password", json!("x".repeat(1025))),
            "password: must be at most 1024 characters"
        );
        assert!(err_of(good(), "ssl_mode", json!("allow")).starts_with("ssl_mode: must be one of"));
    }

    /// Issue #22: a NUL in any settings text is refused naming the field.
    #[test]
    fn a_nul_in_any_text_field_is_refused_naming_it() {
        for field in ["host", "database", "username"] {
            assert_eq!(
                err_of(good(), field, json!("a\u{0}b")),
                format!("{field}: must not contain control characters")
            );
        }
        assert_eq!(
            err_of(good(), "password", json!("p\u{0}w")),
            "password: must not contain NUL characters"
        );
        let mut body = good();
        body["ssl_mode"] = json!("verify-full");
        assert!(
            err_of(body.clone(), "ssl_root_cert", json!("/ca\u{0}.pem"))
                .starts_with("ssl_root_cert: ")
        );
        assert!(err_of(good(), "ssl_mode", json!("prefer\u{0}")).starts_with("ssl_mode: "));
    }

    #[test]
    fn tls_fields_parse_and_combine_as_documented() {
        let with = |mode: Value, cert: Value| {
            let mut body = good();
            body["ssl_mode"] = mode;
            body["ssl_root_cert"] = cert;
            DbCredentials::from_json(&body)
                .and_then(|c| c.check_tls_settings().map(|()| c))
                .map_err(|e| e.to_string())
        };
        let c = with(json!("verify-ca"), json!(" /etc/ca.pem ")).unwrap();
        assert_eq!(c.ssl_mode, Some(SslMode::VerifyCa));
        assert_eq!(c.ssl_root_cert.as_deref(), Some("/etc/ca.pem"));
        assert!(c.verifies_chain());
        let c = with(json!("require"), json!("/etc/ca.pem")).unwrap();
        assert!(c.verifies_chain(), "require with a root cert is verify-ca");
        assert!(
            !with(json!("require"), json!(null))
                .unwrap()
                .verifies_chain()
        );
        assert_eq!(
            with(json!("verify-full"), json!(null)).unwrap_err(),
            "ssl_root_cert: is required with ssl_mode verify-full (the CA certificate that signed \
             the server's certificate, or \"system\" to trust the operating system's CA store)"
        );
        let c = with(json!("verify-full"), json!(" system ")).unwrap();
        assert_eq!(c.ssl_root_cert.as_deref(), Some("system"));
        for weak in ["verify-ca", "require"] {
            assert_eq!(
                with(json!(weak), json!("system")).unwrap_err(),
                format!(
                    "ssl_root_cert: \"system\" is only used with ssl_mode verify-full (ssl_mode is \
                     {weak}): with the public CAs of the operating system's store, only the host \
                     name check proves which server answers"
                )
            );
        }
        assert!(
            with(json!("prefer"), json!("system"))
                .unwrap_err()
                .starts_with("ssl_root_cert: is only used with ssl_mode require")
        );
        // Only the exact word: anything else is a path, and must be absolute.
        assert_eq!(
            with(json!("verify-full"), json!("System")).unwrap_err(),
            "ssl_root_cert: must be an absolute path"
        );
        assert_eq!(
            with(json!("verify-ca"), json!(null)).unwrap_err(),
            "ssl_root_cert: is required with ssl_mode verify-ca (the CA certificate that signed the server's certificate)"
        );
        assert_eq!(
            with(json!("prefer"), json!("/etc/ca.pem")).unwrap_err(),
            "ssl_root_cert: is only used with ssl_mode require, verify-ca or verify-full (ssl_mode is prefer)"
        );
        assert_eq!(
            with(json!(null), json!("/etc/ca.pem")).unwrap_err(),
            "ssl_root_cert: is only used with ssl_mode require, verify-ca or verify-full (ssl_mode is prefer)"
        );
        assert_eq!(
            with(json!("disable"), json!("/etc/ca.pem")).unwrap_err(),
            "ssl_root_cert: is only used with ssl_mode require, verify-ca or verify-full (ssl_mode is disable)"
        );
        assert_eq!(
            with(json!("verify-full"), json!("ca.pem")).unwrap_err(),
            "ssl_root_cert: must be an absolute path"
        );
        // The stored file is parsed without the combination rules, so a file
        // saved before they existed still loads.
        let mut stored = good();
        stored["ssl_mode"] = json!("prefer");
        stored["ssl_root_cert"] = json!("/etc/ca.pem");
        assert!(DbCredentials::from_json(&stored).is_ok());
        // An empty path means "none".
        assert_eq!(
            with(json!("prefer"), json!("  ")).unwrap().ssl_root_cert,
            None
        );
    }

    #[test]
    fn boundaries_are_inclusive() {
        let mut body = good();
        body["password"] = json!("é".repeat(1024));
        body["port"] = json!(65535);
        body["database"] = json!("d".repeat(255));
        assert!(DbCredentials::from_json(&body).is_ok());
        body["port"] = json!(1);
        assert!(DbCredentials::from_json(&body).is_ok());
    }

    #[test]
    fn non_object_body_is_rejected() {
        let e = DbCredentials::from_json(&json!([1, 2])).unwrap_err();
        assert_eq!(e.to_string(), "body: must be a JSON object");
    }

    #[test]
    fn summary_hides_password() {
        let c = DbCredentials::from_json(&good()).unwrap();
        let s = serde_json::to_value(c.summary()).unwrap();
        assert_eq!(
            s,
            json!({"host": "db.local", "port": 5432, "database": "team", "username": "lead", "has_password": true})
        );
        assert!(!format!("{c:?}").contains("p@ss"));
    }
}
