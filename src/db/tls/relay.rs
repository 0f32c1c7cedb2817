//! The relay: a private channel the driver connects to in plaintext, and
//! for each connection a TLS session to the server that trusts exactly the
//! configured roots.
//!
//! The channel is the platform's ([`crate::platform::relay_channel`]): on
//! Unix a socket in a fresh 0700 folder, on Windows a loopback port that
//! admits only a driver presenting this relay's one-time secret (see
//! docs/tls.md). The driver is pointed at it and told `ssl_mode(disable)`;
//! the host name stays in its options for messages where the channel
//! allows.
//!
//! Lifetime: one relay per connection source use ([`route`]). Its
//! [`RelayGuard`] stops accepting and removes the channel when dropped;
//! connections already relayed go on until either side closes them. A pool
//! keeps its guard alive for as long as the pool exists ([`keep_alive`]);
//! a one-off connection (a probe, the migration session) only needs the
//! guard until the driver has connected.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use rustls::pki_types::ServerName;
use sea_orm::sqlx;
use sea_orm::sqlx::pool::PoolConnectionMetadata;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::AbortHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::failures::{self, RelayFailure};
use super::host_address;
use super::verifier::{self, Verify};
use super::wire;
use crate::domain::credentials::{SslMode, check_tls_combination, missing_root_cert};
use crate::platform::{self, RelayAcceptor, RelayEndpoint, RelayStream};
use crate::security::trust_store;

/// sqlx's text for a server that answers `N` to the `SSLRequest` in the
/// modes that need TLS; `db::connect` words exactly this text.
const NO_TLS: &str = "server does not support TLS";

/// Copy buffer per direction of a relayed connection.
const COPY_BUF: usize = 64 * 1024;

/// A running relay. Dropping it stops new connections and removes its channel.
#[derive(Debug)]
pub struct RelayGuard {
    accept: AbortHandle,
    /// Removed (the socket and its folder) after the accept task is stopped.
    _endpoint: RelayEndpoint,
}

impl Drop for RelayGuard {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Where and how the relay reaches the server.
#[derive(Debug)]
struct Upstream {
    host: String,
    port: u16,
    verify: Verify,
    /// `ssl_root_cert`: a PEM file's path or `system`.
    root_cert: String,
    /// Bounds each TCP connect plus handshake, and the wait for the driver.
    timeout: Duration,
}

/// The driver options to use for `opts`: unchanged (and no relay) unless
/// the mode verifies certificates (`verify-ca`, `verify-full`; `require`
/// with a root certificate arrives here as `verify-ca`), else pointing at a
/// new relay whose guard the caller keeps while the options are in use.
///
/// `root_cert` is the source's `ssl_root_cert` (a path or `system`); a
/// verify mode without one is refused with the validation message, since
/// nothing would be trusted. Needs a Tokio runtime.
pub fn route(
    opts: PgConnectOptions,
    root_cert: Option<&str>,
    timeout: Duration,
) -> Result<(PgConnectOptions, Option<RelayGuard>), String> {
    let verify = match opts.get_ssl_mode() {
        PgSslMode::VerifyCa => Verify::Chain,
        PgSslMode::VerifyFull => Verify::ChainAndName,
        _ => return Ok((opts, None)),
    };
    let mode = match verify {
        Verify::Chain => SslMode::VerifyCa,
        Verify::ChainAndName => SslMode::VerifyFull,
    };
    // The Settings page's rules hold here too, for the URL fallback and for
    // files saved by an earlier build: a verify mode needs roots, and
    // `system` needs the name check.
    check_tls_combination(mode, root_cert).map_err(|e| e.to_string())?;
    let Some(root_cert) = root_cert else {
        return Err(missing_root_cert(mode).to_string());
    };
    let cannot = |e: io::Error| format!("cannot start the TLS relay: {e}");
    let (endpoint, acceptor) = platform::relay_channel(opts.get_port()).map_err(cannot)?;
    let upstream = Arc::new(Upstream {
        host: opts.get_host().to_owned(),
        port: opts.get_port(),
        verify,
        root_cert: root_cert.to_owned(),
        timeout,
    });
    tracing::debug!(host = %upstream.host, port = upstream.port, mode = ?verify, "TLS relay started");
    let accept = tokio::spawn(accept_loop(acceptor, upstream)).abort_handle();
    let opts = endpoint.driver_options(opts).ssl_mode(PgSslMode::Disable);
    Ok((
        opts,
        Some(RelayGuard {
            accept,
            _endpoint: endpoint,
        }),
    ))
}

/// An `after_connect` hook that does nothing but own `guard`: the pool
/// keeps its hooks until it is dropped, so the relay lives exactly as long
/// as the pool that connects through it.
pub fn keep_alive(
    guard: Option<RelayGuard>,
) -> impl for<'c> Fn(
    &'c mut PgConnection,
    PoolConnectionMetadata,
) -> BoxFuture<'c, Result<(), sqlx::Error>>
+ Send
+ Sync
+ 'static {
    move |_conn, _meta| {
        let _owned = &guard;
        Box::pin(async { Ok(()) })
    }
}

/// Loads the roots once, then relays every connection the driver opens.
async fn accept_loop(acceptor: RelayAcceptor, upstream: Arc<Upstream>) {
    let connector = Arc::new(connector(&upstream).await);
    let acceptor = Arc::new(acceptor);
    loop {
        match acceptor.accept().await {
            Ok(driver) => {
                tokio::spawn(serve(
                    driver,
                    acceptor.clone(),
                    upstream.clone(),
                    connector.clone(),
                ));
            }
            Err(e) => {
                // Out of descriptors and the like: the driver's connect
                // waits in the backlog; try again shortly.
                tracing::warn!(error = %e, "TLS relay cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The TLS client for this relay's roots and mode, or why there is none.
async fn connector(up: &Upstream) -> Result<TlsConnector, String> {
    let roots = trust_store::load(&up.root_cert)
        .await
        .map_err(|e| e.to_string())?;
    verifier::client_config(roots, up.verify, &up.host)
        .map(|config| TlsConnector::from(Arc::new(config)))
        .map_err(|e| format!("TLS setup failed: {e}"))
}

/// One relayed connection: take the driver's startup message, open the TLS
/// session, forward the message, then copy both ways until either side
/// closes. A failure before that is answered as an `ErrorResponse`; a
/// startup message the channel does not admit is dropped unanswered.
async fn serve(
    mut driver: RelayStream,
    channel: Arc<RelayAcceptor>,
    up: Arc<Upstream>,
    connector: Arc<Result<TlsConnector, String>>,
) {
    // Read first: the driver sends it at once, and a reply to an unread
    // message could be lost when the socket closes.
    let Ok(Some(startup)) = tokio::time::timeout(up.timeout, wire::read_startup(&mut driver)).await
    else {
        return;
    };
    let Some(startup) = channel.admit(startup) else {
        tracing::warn!("TLS relay: a connection without the relay's secret was refused");
        return;
    };
    let connected = match connector.as_ref() {
        Ok(connector) => tokio::time::timeout(up.timeout, open(&up, connector))
            .await
            .unwrap_or_else(|_| {
                Err(RelayFailure::Driver(sqlx::Error::Io(
                    io::ErrorKind::TimedOut.into(),
                )))
            }),
        Err(reason) => Err(RelayFailure::Reason(reason.clone())),
    };
    let mut server = match connected {
        Ok(server) => server,
        Err(failure) => {
            tracing::debug!(host = %up.host, port = up.port, error = %failure, "TLS relay could not connect");
            let text = format!("cannot reach {}:{} over TLS: {failure}", up.host, up.port);
            let id = failures::record(failure);
            let _ = driver.write_all(&wire::error_response(&id, &text)).await;
            let _ = driver.shutdown().await;
            return;
        }
    };
    if server.write_all(&startup).await.is_err() || server.flush().await.is_err() {
        return;
    }
    // 64 KiB a direction rather than tokio's 8 KiB default: a TLS record
    // carries up to 16 KiB, and large results then move in few syscalls.
    let _ = tokio::io::copy_bidirectional_with_sizes(&mut driver, &mut server, COPY_BUF, COPY_BUF)
        .await;
}

/// TCP, `SSLRequest`, then the handshake with this relay's roots.
async fn open(
    up: &Upstream,
    connector: &TlsConnector,
) -> Result<TlsStream<TcpStream>, RelayFailure> {
    let io = |e: io::Error| RelayFailure::Driver(sqlx::Error::Io(e));
    // An address in one of `inet_aton`'s forms (`127.1`) is connected to
    // as the address it is on every platform, not left to the resolver.
    let mut tcp = match host_address::parse(&up.host) {
        Some(ip) => TcpStream::connect((ip, up.port)).await,
        None => TcpStream::connect((up.host.as_str(), up.port)).await,
    }
    .map_err(io)?;
    tcp.set_nodelay(true).map_err(io)?;
    tcp.write_all(&wire::SSL_REQUEST).await.map_err(io)?;
    // Exactly one byte: anything the server sent after it (CVE-2021-23222)
    // is left for the handshake, which then fails.
    match tcp.read_u8().await.map_err(io)? {
        b'S' => {}
        b'N' => return Err(RelayFailure::Driver(sqlx::Error::Tls(NO_TLS.into()))),
        other => {
            return Err(RelayFailure::Driver(sqlx::Error::Protocol(format!(
                "unexpected response from SSLRequest: 0x{other:02x}"
            ))));
        }
    }
    let name =
        sni_name(&up.host).map_err(|e| RelayFailure::Driver(sqlx::Error::Tls(Box::new(e))))?;
    connector.connect(name, tcp).await.map_err(io)
}

/// The name the handshake sends as SNI, by libpq's rule (`initialize_SSL`):
/// none for a host of only digits and dots or with a colon (an address;
/// rustls sends no SNI for an `IpAddress`), else the host. The verifier
/// checks the host as written, whatever this is.
fn sni_name(host: &str) -> Result<ServerName<'static>, rustls::pki_types::InvalidDnsNameError> {
    let literal = host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host.contains(':');
    let address = host_address::parse(host);
    match address {
        Some(ip) if literal => Ok(ServerName::IpAddress(ip.into())),
        _ => ServerName::try_from(host.to_owned())
            .or_else(|e| address.map(|ip| ServerName::IpAddress(ip.into())).ok_or(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// libpq sends no SNI for a host of digits and dots or with a colon;
    /// rustls sends none for an address.
    #[test]
    fn sni_follows_libpqs_rule() {
        let sni = |h: &str| match sni_name(h).unwrap() {
            ServerName::DnsName(d) => Some(d.as_ref().to_owned()),
            _ => None,
        };
        assert_eq!(sni("127.1"), None);
        assert_eq!(sni("127.0.0.1"), None);
        assert_eq!(sni("::1"), None);
        assert_eq!(sni("db.example").as_deref(), Some("db.example"));
        assert_eq!(sni("localhost").as_deref(), Some("localhost"));
        // libpq would send this one as SNI; rustls does not take it for a
        // DNS name (its last label is numeric), so it goes as the address,
        // without SNI (PostgreSQL 15 ignores SNI; docs/tls.md).
        assert_eq!(sni("0x7f.0.0.1"), None);
    }

    #[tokio::test]
    async fn modes_without_certificate_checks_are_not_relayed() {
        for mode in [PgSslMode::Disable, PgSslMode::Prefer, PgSslMode::Require] {
            let opts = PgConnectOptions::new_without_pgpass().ssl_mode(mode);
            let (routed, guard) = route(opts, None, Duration::from_secs(1)).unwrap();
            assert!(guard.is_none());
            assert!(routed.get_socket().is_none());
        }
    }

    #[tokio::test]
    async fn a_verify_mode_without_roots_is_refused_with_what_to_set() {
        let opts = PgConnectOptions::new_without_pgpass().ssl_mode(PgSslMode::VerifyFull);
        let e = route(opts, None, Duration::from_secs(1)).unwrap_err();
        assert!(
            e.starts_with("ssl_root_cert: is required with ssl_mode verify-full"),
            "{e}"
        );
        // `require` with a root certificate arrives as verify-ca: no `system`.
        let opts = PgConnectOptions::new_without_pgpass().ssl_mode(PgSslMode::VerifyCa);
        let e = route(opts, Some("system"), Duration::from_secs(1)).unwrap_err();
        assert!(
            e.starts_with("ssl_root_cert: \"system\" is only used with ssl_mode verify-full"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_relay_socket_is_private_and_removed_with_the_guard() {
        let opts = PgConnectOptions::new_without_pgpass()
            .host("db.invalid")
            .port(6543)
            .ssl_mode(PgSslMode::VerifyCa);
        let (routed, guard) = route(opts, Some("/ca.pem"), Duration::from_secs(1)).unwrap();
        let dir = routed.get_socket().unwrap().clone();
        assert!(matches!(routed.get_ssl_mode(), PgSslMode::Disable));
        assert_eq!(routed.get_host(), "db.invalid", "kept for messages");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(dir.join(".s.PGSQL.6543").exists());
        drop(guard);
        assert!(!dir.exists());
    }
}
