//! Building connection options and connecting, for both the `test-connection`
//! probe and the DbSupervisor's pool, plus turning driver errors into reasons
//! a user can act on.
//!
//! Options are built field by field with the driver's setters, never by
//! formatting a URL or conninfo string from user input. `PgConnectOptions`
//! seeds itself from the `PG*` environment variables; `main` removes those
//! from the process environment before anything else runs (see
//! `main.rs`), and `new_without_pgpass` keeps `~/.pgpass` out.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgSslMode};
use sea_orm::sqlx::{self, Connection};

use crate::config::SecretValue;
use rustls::CertificateError;

use crate::db::{database_url, tls};
use crate::domain::credentials::{DbCredentials, SslMode};
use crate::domain::root_cert;

/// How long an unused pool connection stays open, and how long without a
/// request makes a daemon idle. The DbSupervisor's ping goes through the
/// pool every `db_ping_interval_ms` and keeps one connection warm, so an
/// idle daemon settles at one server session (DESIGN.md, "The team's
/// database"); see [`close_surplus`].
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Closes idle pool connections until at most `keep` are open. sqlx hands
/// out idle connections oldest first, so a periodic ping alone touches each
/// of them in turn and the pool's own idle timeout never fires; the
/// DbSupervisor calls this after a ping once no request came for
/// [`POOL_IDLE_TIMEOUT`].
pub async fn close_surplus(pool: &PgPool, keep: u32) {
    while pool.size() > keep {
        match pool.try_acquire() {
            Some(conn) => {
                let _ = conn.close().await;
            }
            None => break,
        }
    }
}

/// Where the daemon's credentials came from.
#[derive(Debug, Clone)]
pub enum ConnectionSource {
    /// Saved through the Settings page (the normal case).
    Saved(Box<DbCredentials>),
    /// `TASKFLOW_DATABASE_URL`, the development fallback.
    Url(SecretValue),
}

/// The facts needed to word an error message (never the password itself,
/// except to scrub it from server text).
#[derive(Debug, Clone)]
struct Target {
    host: String,
    port: u16,
    username: String,
    database: String,
    password: Option<crate::domain::password::Password>,
    /// Whether `ssl_root_cert` was given (words the "not trusted" hint).
    has_root_cert: bool,
    /// Whether that is `system`, the operating system's store.
    system_roots: bool,
}

impl ConnectionSource {
    /// Driver options for this source, made [`pooler_safe`].
    pub fn options(&self) -> Result<PgConnectOptions, String> {
        self.driver_options().map(pooler_safe)
    }

    fn driver_options(&self) -> Result<PgConnectOptions, String> {
        match self {
            Self::Saved(c) => Ok(options_for(c)),
            // Parsed by taskflowd, not the driver (no value logged, no ~/.pgpass).
            Self::Url(url) => database_url::options(url.expose()),
        }
    }

    /// [`Self::options`] routed through a TLS relay when the mode verifies
    /// certificates (see [`tls::route`]); keep the guard while connecting
    /// with the options.
    fn relayed_options(
        &self,
        timeout: Duration,
    ) -> Result<(PgConnectOptions, Option<tls::RelayGuard>), String> {
        let root_cert = match self {
            Self::Saved(c) => c.ssl_root_cert.clone(),
            Self::Url(url) => database_url::root_cert(url.expose()),
        };
        tls::route(self.options()?, root_cert.as_deref(), timeout)
    }

    fn target(&self, opts: &PgConnectOptions) -> Target {
        Target {
            host: opts.get_host().to_owned(),
            port: opts.get_port(),
            username: opts.get_username().to_owned(),
            database: opts.get_database().unwrap_or_default().to_owned(),
            password: match self {
                Self::Saved(c) => Some(c.password.clone()),
                Self::Url(url) => {
                    database_url::password(url.expose()).map(crate::domain::password::Password::new)
                }
            },
            has_root_cert: match self {
                Self::Saved(c) => c.ssl_root_cert.is_some(),
                Self::Url(url) => database_url::root_cert(url.expose()).is_some(),
            },
            system_roots: match self {
                Self::Saved(c) => c.ssl_root_cert.as_deref() == Some(root_cert::SYSTEM),
                Self::Url(url) => {
                    database_url::root_cert(url.expose()).as_deref() == Some(root_cert::SYSTEM)
                }
            },
        }
    }

    /// Checks the saved `ssl_root_cert` file before connecting: it may have
    /// been moved or replaced since it was saved, and sqlx's own messages for
    /// that ("No such file or directory", or nothing at all for a file
    /// without certificates) do not name the setting.
    async fn check_files(&self) -> Result<(), String> {
        match self {
            Self::Saved(c) => match &c.ssl_root_cert {
                Some(path) => root_cert::check(path).await.map_err(|e| e.to_string()),
                None => Ok(()),
            },
            Self::Url(_) => Ok(()),
        }
    }
}

/// What makes a connection work through PgBouncer (session and transaction
/// mode, stock configuration), applied to every source:
/// - no `extra_float_digits` startup parameter: sqlx sends `2` by default,
///   and PgBouncer refuses any startup parameter outside its short list
///   (`unsupported startup parameter`) unless told to ignore it. taskflowd
///   reads no floating-point columns, and sqlx decodes binary results anyway.
///   The other parameters sqlx sends (`DateStyle`, `client_encoding`,
///   `TimeZone`, `application_name`) are ones PgBouncer tracks.
/// - no statement cache: a cached statement is named on the server session
///   it was prepared on, which a transaction pooler hands to other clients.
///   See `unit.rs` for the names sqlx still gives uncached statements, and
///   the README for what this costs on a direct connection.
fn pooler_safe(opts: PgConnectOptions) -> PgConnectOptions {
    opts.extra_float_digits(None).statement_cache_capacity(0)
}

/// Driver options from saved credentials, field by field.
///
/// What sqlx 0.9 (rustls, ring, webpki-roots) does with each mode, read from
/// `sqlx-postgres/src/connection/tls.rs` and `sqlx-core/src/net/tls/tls_rustls.rs`:
/// - `disable`: plain TCP. `prefer`: TLS if the server answers `S` to the
///   SSLRequest, with no certificate checks at all (the root certificate is
///   unused), else plain TCP.
/// - `require`: TLS or `Error::Tls("server does not support TLS")`; no
///   certificate checks, *even with a root certificate*. libpq treats
///   `require` plus a root certificate as `verify-ca`, so that case is mapped
///   to [`PgSslMode::VerifyCa`] here.
/// - `verify-ca`: rustls' WebPKI verifier, and an error that is
///   `NotValidForName` or `NotValidForNameContext` is turned into success.
///   WebPKI checks the chain (and validity dates) before the name, so a name
///   error means the chain was already accepted: libpq's meaning.
/// - `verify-full`: chain and name (DNS name or IP address SAN).
///
/// sqlx's verify modes would trust the file *plus* the Mozilla roots compiled
/// into it (`webpki-roots`); libpq trusts the file alone. So the verify modes
/// never reach sqlx's TLS: [`ConnectionSource::relayed_options`] hands them
/// to the daemon's own TLS relay ([`tls`]), which trusts exactly
/// `ssl_root_cert` (see docs/tls.md).
pub fn options_for(c: &DbCredentials) -> PgConnectOptions {
    let mut opts = PgConnectOptions::new_without_pgpass()
        .host(&c.host)
        .port(c.port)
        .username(&c.username)
        .password(c.password.expose())
        .database(&c.database)
        .application_name("taskflowd")
        .ssl_mode(match c.effective_ssl_mode() {
            SslMode::Require if c.verifies_chain() => PgSslMode::VerifyCa,
            mode => pg_ssl_mode(mode),
        });
    if let Some(cert) = &c.ssl_root_cert {
        opts = opts.ssl_root_cert(cert);
    }
    opts
}

fn pg_ssl_mode(mode: SslMode) -> PgSslMode {
    match mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        SslMode::Require => PgSslMode::Require,
        SslMode::VerifyCa => PgSslMode::VerifyCa,
        SslMode::VerifyFull => PgSslMode::VerifyFull,
    }
}

/// One-shot check for `test-connection`: resolve, connect, `SELECT 1`, close,
/// all under one hard deadline. Returns the user-facing reason on failure.
pub async fn probe(creds: &DbCredentials, timeout: Duration) -> Result<(), String> {
    let source = ConnectionSource::Saved(Box::new(creds.clone()));
    // The server's host and port for messages, from the options before
    // routing: on Windows the relayed ones name the relay's loopback port.
    let target = source.target(&source.options()?);
    let (opts, _relay) = source.relayed_options(timeout)?;
    let attempt = async {
        source.check_files().await?;
        resolve(&target).await?;
        let mut conn = PgConnection::connect_with(&opts)
            .await
            .map_err(|e| describe(&e, &target))?;
        let ping = sqlx::query("SELECT 1").execute(&mut conn).await;
        // Closing politely is best effort; the answer is already known.
        let _ = conn.close().await;
        ping.map(|_| ()).map_err(|e| describe(&e, &target))
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(&target, timeout)),
    }
}

/// Opens the daemon's pool (at most `max` connections, none kept open when
/// unused for [`POOL_IDLE_TIMEOUT`]) and proves it works, under one deadline.
pub async fn connect_pool(
    source: &ConnectionSource,
    timeout: Duration,
    max: u32,
) -> Result<PgPool, String> {
    // As in `probe`: the server's address, not the relay's.
    let target = source.target(&source.options()?);
    let (opts, relay) = source.relayed_options(timeout)?;
    let attempt = async {
        source.check_files().await?;
        resolve(&target).await?;
        // The pool retries refused or reset connects internally until its
        // acquire timeout and then reports only `PoolTimedOut`; one direct
        // connect first fails fast with the real reason (refused, auth, …).
        let first = PgConnection::connect_with(&opts)
            .await
            .map_err(|e| describe(&e, &target))?;
        let _ = first.close().await;
        PgPoolOptions::new()
            .after_connect(tls::keep_alive(relay))
            .max_connections(max.max(1))
            .min_connections(0)
            .idle_timeout(POOL_IDLE_TIMEOUT)
            .acquire_timeout(timeout)
            // The DbSupervisor pings on its own schedule and rebuilds the pool
            // after a loss; a ping before every acquire would double each request's round trips.
            .test_before_acquire(false)
            .connect_with(opts.clone())
            .await
            .map_err(|e| describe(&e, &target))
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(&target, timeout)),
    }
}

fn timed_out(t: &Target, timeout: Duration) -> String {
    format!(
        "timed out after {} s connecting to {}:{}",
        timeout.as_secs().max(1),
        t.host,
        t.port
    )
}

/// Name resolution first, so that "host not found" is told apart from
/// "refused" by the error kind, not by reading the driver's text.
async fn resolve(t: &Target) -> Result<(), String> {
    let found = match tokio::net::lookup_host((t.host.as_str(), t.port)).await {
        Ok(mut addrs) => addrs.next().is_some(),
        Err(_) => false,
    };
    if found {
        Ok(())
    } else {
        Err(format!("host name \"{}\" could not be resolved", t.host))
    }
}

/// SQLSTATE codes taskflowd words itself.
mod sqlstate {
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const INVALID_AUTHORIZATION: &str = "28000";
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    pub const TOO_MANY_CONNECTIONS: &str = "53300";
    pub const CANNOT_CONNECT_NOW: &str = "57P03";
}

/// The user-facing reason for a driver error. Never contains the password.
fn describe(err: &sqlx::Error, t: &Target) -> String {
    // Our TLS relay's failure, worded as if sqlx had run the handshake.
    match tls::take_failure(err) {
        Some(tls::RelayFailure::Driver(e)) => return describe(&e, t),
        Some(tls::RelayFailure::Reason(r)) => return scrub(r, t),
        None => {}
    }
    if let Some(tls) = rustls_cause(err) {
        return scrub(describe_tls(tls, t), t);
    }
    let text = match err {
        sqlx::Error::Io(io) => describe_io(io, t),
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match code.as_str() {
                sqlstate::INVALID_PASSWORD => {
                    format!("password authentication failed for user \"{}\"", t.username)
                }
                sqlstate::INVALID_CATALOG_NAME => {
                    format!("database \"{}\" does not exist", t.database)
                }
                sqlstate::INVALID_AUTHORIZATION if db.message().contains("no encryption") => {
                    format!(
                        "the server at {}:{} requires TLS (SSL); set ssl_mode to require or stronger",
                        t.host, t.port
                    )
                }
                sqlstate::TOO_MANY_CONNECTIONS => no_free_slots(&format!("{}:{}", t.host, t.port)),
                sqlstate::CANNOT_CONNECT_NOW => {
                    "the server is starting up or shutting down".to_owned()
                }
                _ => format!("the server said: {} (SQLSTATE {code})", db.message()),
            }
        }
        // sqlx's only way of saying so (a string), matched exactly.
        // libpq's words (docs/tls.md, "Failures in libpq's words").
        sqlx::Error::Tls(e) if e.to_string() == SQLX_NO_TLS => {
            "server does not support SSL, but SSL was required".to_owned()
        }
        sqlx::Error::Tls(e) => format!("TLS error with {}:{}: {e}", t.host, t.port),
        // sqlx reports SASLprep failures with the offending character in the
        // text (`Failed to saslprep password: Error(ProhibitedCharacter(..))`).
        sqlx::Error::Configuration(e) if e.to_string().contains("saslprep password") => {
            "the password contains a character that PostgreSQL's SCRAM authentication \
             does not allow (such as a control character)"
                .to_owned()
        }
        sqlx::Error::Configuration(e) if e.to_string().contains("saslprep username") => {
            "the user name contains a character that PostgreSQL's SCRAM authentication \
             does not allow"
                .to_owned()
        }
        sqlx::Error::PoolTimedOut => format!("timed out connecting to {}:{}", t.host, t.port),
        sqlx::Error::Protocol(p) => format!("unexpected reply from {}:{}: {p}", t.host, t.port),
        other => format!("{other}"),
    };
    scrub(text, t)
}

/// A server out of connection slots, in words a team lead can act on.
fn no_free_slots(server: &str) -> String {
    format!(
        "the server at {server} has no free connection slots (max_connections): \
         run fewer taskflowd daemons against it, raise max_connections, \
         or connect through a pooler such as PgBouncer"
    )
}

/// Whether a driver error is the server refusing a session for lack of slots.
fn is_out_of_slots(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some(sqlstate::TOO_MANY_CONNECTIONS))
}

/// Why a query on an open pool failed, for the liveness check's reason
/// ("connection lost: …"). Server text is the server's own words (e.g.
/// "terminating connection due to administrator command"), without sqlx's
/// source-line decoration; the pool opens sessions as it needs them, so an
/// out-of-slots refusal can surface here too.
pub fn session_error(e: &sqlx::Error) -> String {
    match e {
        _ if is_out_of_slots(e) => no_free_slots("the database server"),
        sqlx::Error::Io(io) => format!("the connection failed: {}", io.kind()),
        sqlx::Error::PoolTimedOut => "no connection could be opened".to_owned(),
        sqlx::Error::Database(db) => format!("the server ended the session: {}", db.message()),
        other => other.to_string(),
    }
}

/// Why a driver error seen by a request handler means the database is not
/// usable right now (the handler answers 503 with it), in words safe to show
/// (no server text); `None` when it is an ordinary query error.
pub fn request_failure(e: &sqlx::Error) -> Option<String> {
    use sqlx::Error;
    if is_out_of_slots(e) {
        return Some(no_free_slots("the database server"));
    }
    if let Error::Database(db) = e {
        // Class 08 (connection exception) and 57P (the server is shutting
        // down or restarting) end the session just like a dropped socket.
        let code = db.code();
        let code = code.as_deref().unwrap_or("");
        return (code.starts_with("08") || code.starts_with("57P"))
            .then(|| "the server closed the connection".to_owned());
    }
    if !is_connection_error(e) {
        return None;
    }
    Some(match e {
        Error::Io(io) => format!("the connection failed: {}", io.kind()),
        Error::Tls(_) => "the TLS session failed".to_owned(),
        Error::PoolTimedOut => "no connection could be opened".to_owned(),
        Error::PoolClosed => "the connection pool was closed".to_owned(),
        _ => "the connection failed".to_owned(),
    })
}

/// sqlx's `Error::Tls` text when the server answers `N` to the SSLRequest in
/// `require` / `verify-*` (sqlx-postgres `connection/tls.rs`).
const SQLX_NO_TLS: &str = "server does not support TLS";

/// The `rustls::Error` behind a failed handshake, if any. sqlx reports the
/// handshake's failure as `Error::Io` whose payload is the rustls error
/// (rustls' `complete_io` wraps it in `ErrorKind::InvalidData`), and some
/// setup errors as `Error::Tls`. `io::Error::source()` skips its own payload
/// (it returns the payload's source), so the payload is looked at with `get_ref`.
fn rustls_cause(err: &sqlx::Error) -> Option<&rustls::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = match err {
        sqlx::Error::Io(io) => Some(io),
        sqlx::Error::Tls(e) => Some(e.as_ref()),
        _ => None,
    };
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(payload) => Some(payload),
            None => e.source(),
        };
    }
    None
}

/// Words a TLS failure: untrusted certificate (with rustls' reason), wrong
/// host name, or anything else the handshake refused.
fn describe_tls(err: &rustls::Error, t: &Target) -> String {
    match err {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!("the server's certificate does not name host \"{}\"", t.host),
        rustls::Error::InvalidCertificate(cert) => {
            let reason = certificate_problem(cert);
            let hint = match (cert, t.has_root_cert) {
                (CertificateError::UnknownIssuer, true) if t.system_roots => {
                    ": it is not signed by a CA in the operating system's store (ssl_root_cert \"system\")"
                }
                (CertificateError::UnknownIssuer, true) => {
                    ": it is not signed by a CA in ssl_root_cert"
                }
                (CertificateError::UnknownIssuer, false) => {
                    "; set ssl_root_cert to the CA certificate that signed it"
                }
                _ => "",
            };
            format!("the server's certificate is not trusted ({reason}){hint}")
        }
        other => format!("TLS handshake with {}:{} failed: {other}", t.host, t.port),
    }
}

/// rustls' name for what is wrong with a certificate, without the
/// variants' payloads (times, algorithm ids) that mean nothing to a user.
fn certificate_problem(err: &CertificateError) -> String {
    let name = match err {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "Expired",
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "NotValidYet"
        }
        CertificateError::UnknownIssuer => "UnknownIssuer",
        CertificateError::BadSignature => "BadSignature",
        CertificateError::BadEncoding => "BadEncoding",
        CertificateError::Revoked => "Revoked",
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "InvalidPurpose"
        }
        other => return format!("{other:?}"),
    };
    name.to_owned()
}

fn describe_io(io: &io::Error, t: &Target) -> String {
    match io.kind() {
        io::ErrorKind::ConnectionRefused => format!(
            "connection refused. Is PostgreSQL running at {}:{}?",
            t.host, t.port
        ),
        io::ErrorKind::TimedOut => format!("timed out connecting to {}:{}", t.host, t.port),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::BrokenPipe => {
            format!(
                "the connection to {}:{} was closed by the server",
                t.host, t.port
            )
        }
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            format!("{}:{} cannot be reached from this machine", t.host, t.port)
        }
        _ => format!("cannot connect to {}:{}: {io}", t.host, t.port),
    }
}

/// Shortest password that is scrubbed by substring replacement; shorter ones
/// would turn ordinary words into `[redacted]`, and messages built from
/// server text are replaced wholesale instead (see below).
const MIN_SCRUB_LEN: usize = 4;

/// Removes the password from text that may echo it (server messages).
fn scrub(text: String, t: &Target) -> String {
    let Some(pw) = &t.password else {
        return text;
    };
    let pw = pw.expose();
    if pw.len() >= MIN_SCRUB_LEN {
        text.replace(pw, "[redacted]")
    } else if text.contains(pw) && text.starts_with("the server said") {
        "the server refused the connection".to_owned()
    } else {
        text
    }
}

/// Whether an error seen by a request handler means the connection itself is
/// in doubt (so the DbSupervisor should check it now).
pub fn is_connection_error(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::password::Password;

    fn target(pw: &str) -> Target {
        Target {
            host: "h".into(),
            port: 1,
            username: "u".into(),
            database: "d".into(),
            password: Some(Password::new(pw.into())),
            has_root_cert: false,
            system_roots: false,
        }
    }

    #[test]
    fn scrubs_long_passwords_from_server_text() {
        let t = target("hunter22");
        assert_eq!(scrub("bad hunter22 here".into(), &t), "bad [redacted] here");
    }

    #[test]
    fn short_password_in_server_text_replaces_the_message() {
        let t = target("ab");
        assert_eq!(
            scrub("the server said: xaby".into(), &t),
            "the server refused the connection"
        );
        assert_eq!(
            scrub(
                "connection refused. Is PostgreSQL running at h:1?".into(),
                &t
            ),
            "connection refused. Is PostgreSQL running at h:1?"
        );
    }

    #[test]
    fn require_with_a_root_cert_is_verify_ca_for_saved_and_url_sources() {
        let mut body = serde_json::json!({"host": "h", "port": 5432, "database": "d",
            "username": "u", "password": "pw", "ssl_mode": "require"});
        let saved = DbCredentials::from_json(&body).unwrap();
        assert!(matches!(
            options_for(&saved).get_ssl_mode(),
            PgSslMode::Require
        ));
        body["ssl_root_cert"] = "/ca.pem".into();
        let saved = DbCredentials::from_json(&body).unwrap();
        assert!(matches!(
            options_for(&saved).get_ssl_mode(),
            PgSslMode::VerifyCa
        ));
        let url = ConnectionSource::Url(SecretValue::new(
            "postgres://u:p@h/d?sslmode=require&sslrootcert=/ca.pem",
        ));
        let opts = url.options().unwrap();
        assert!(matches!(opts.get_ssl_mode(), PgSslMode::VerifyCa));
        let plain = ConnectionSource::Url(SecretValue::new("postgres://u:p@h/d?sslmode=require"));
        assert!(matches!(
            plain.options().unwrap().get_ssl_mode(),
            PgSslMode::Require
        ));
    }

    #[test]
    fn refused_io_error_is_actionable() {
        let e = sqlx::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(
            describe(&e, &target("pw12")),
            "connection refused. Is PostgreSQL running at h:1?"
        );
    }
}
