//! Building connection options and connecting, for both the `test-connection`
//! probe and the DbSupervisor's pool. What a failure tells the user is
//! [`super::connect_errors`]'.
//!
//! Options are built field by field with the driver's setters, never by
//! formatting a URL or conninfo string from user input. `PgConnectOptions`
//! seeds itself from the `PG*` environment variables; `main` removes those
//! from the process environment before anything else runs (see
//! `main.rs`), and `new_without_pgpass` keeps `~/.pgpass` out.

use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgSslMode};
use sea_orm::sqlx::{self, Connection};

use super::connect_errors::{Target, describe, not_resolved, timed_out};
use crate::config::policy::POOL_IDLE_TIMEOUT;
use crate::db::{database_url, tls};
use crate::domain::credentials::{DbCredentials, SslMode};
use crate::domain::root_cert;
use crate::security::secret_value::SecretValue;
use crate::security::trust_store;

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
                Some(path) => trust_store::check(path).await.map_err(|e| e.to_string()),
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
        Err(not_resolved(&t.host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
