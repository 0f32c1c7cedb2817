//! The wording of connection failures: what the `test-connection` probe,
//! the status endpoint's `last_error`, a request's 503 and the CLI (which
//! prints the API's answer) tell the user, in words they can act on and
//! never with the password. The one module that words them: `db::connect`
//! and the DbSupervisor take their reasons from here, and `http/errors.rs`
//! its 503 reasons.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use rustls::CertificateError;
use sea_orm::sqlx;

use super::tls;

/// The facts needed to word an error message (never the password itself,
/// except to scrub it from server text).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) username: String,
    pub(crate) database: String,
    pub(crate) password: Option<crate::domain::password::Password>,
    /// Whether `ssl_root_cert` was given (words the "not trusted" hint).
    pub(crate) has_root_cert: bool,
    /// Whether that is `system`, the operating system's store.
    pub(crate) system_roots: bool,
}

/// The probe's or the pool's deadline passed.
pub(crate) fn timed_out(t: &Target, timeout: Duration) -> String {
    format!(
        "timed out after {} s connecting to {}:{}",
        timeout.as_secs().max(1),
        t.host,
        t.port
    )
}

/// Name resolution found no address (told apart from "refused" by kind).
pub(crate) fn not_resolved(host: &str) -> String {
    format!("host name \"{host}\" could not be resolved")
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
pub(crate) fn describe(err: &sqlx::Error, t: &Target) -> String {
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

/// Words a failed TLS handshake in libpq's terms (`tls::handshake_failure`:
/// the server's alert, the protocol versions, a certificate), with a hint on
/// what to set when a certificate was not trusted. sqlx's own TLS
/// (`prefer`, `require`) and the relay's failures it did not word itself
/// come here; never a rustls `Debug` name.
fn describe_tls(err: &rustls::Error, t: &Target) -> String {
    let text = tls::handshake_failure(err);
    let hint = match (err, t.has_root_cert) {
        (rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer), true)
            if t.system_roots =>
        {
            ": it is not signed by a CA in the operating system's store (ssl_root_cert \"system\")"
        }
        (rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer), true) => {
            ": it is not signed by a CA in ssl_root_cert"
        }
        (rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer), false) => {
            "; set ssl_root_cert to the CA certificate that signed it"
        }
        _ => "",
    };
    format!("{text}{hint}")
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

    /// Issue #22: sqlx's own TLS (`prefer`, `require`) reports a failed
    /// handshake as an `io::Error` carrying the `rustls::Error`; it reads
    /// as libpq's `SSL error: …`, never as rustls' `Debug` names.
    #[test]
    fn sqlx_tls_failures_read_in_libpqs_terms() {
        let handshake = |e: rustls::Error| {
            describe(
                &sqlx::Error::Io(io::Error::new(io::ErrorKind::InvalidData, e)),
                &target("pw12"),
            )
        };
        assert_eq!(
            handshake(rustls::Error::AlertReceived(
                rustls::AlertDescription::HandshakeFailure
            )),
            "SSL error: sslv3 alert handshake failure"
        );
        assert_eq!(
            handshake(rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
            )),
            "SSL error: unsupported protocol; this may indicate that the server does not \
             support any SSL protocol version between TLSv1.2 and TLSv1.3"
        );
        assert_eq!(
            handshake(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            )),
            "certificate verify failed: unable to get local issuer certificate; \
             set ssl_root_cert to the CA certificate that signed it"
        );
        let e = sqlx::Error::Tls(SQLX_NO_TLS.into());
        assert_eq!(
            describe(&e, &target("pw12")),
            "server does not support SSL, but SSL was required"
        );
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
