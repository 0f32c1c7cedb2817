//! The TLS relay's private channel on Windows: a loopback port that admits
//! only a driver presenting this relay's one-time secret.
//!
//! Why not a named pipe: sqlx dials TCP or a Unix socket path only (its
//! `connect_uds` is Unix-only), so a pipe, however well protected, is not
//! something the driver can use. Any local user can connect to a loopback
//! port, so the driver proves itself with a secret only this process knows
//! ([`crate::platform::relay_secret`]), removed before the message reaches
//! the server.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use sea_orm::sqlx::postgres::PgConnectOptions;
use tokio::net::{TcpListener, TcpStream};

use crate::platform::relay_secret;

/// A connection from the driver.
pub type RelayStream = TcpStream;

/// Where the driver connects; dropping it (and the acceptor, with the
/// accept task) closes the port.
#[derive(Debug)]
pub struct RelayEndpoint {
    addr: SocketAddr,
    secret: Arc<str>,
}

impl RelayEndpoint {
    /// `opts` pointed at `127.0.0.1:<port>` with the secret as an option.
    pub fn driver_options(&self, opts: PgConnectOptions) -> PgConnectOptions {
        opts.host(&self.addr.ip().to_string())
            .port(self.addr.port())
            .options([(relay_secret::OPTION, &*self.secret)])
    }
}

/// The listening side, owned by the accept loop.
#[derive(Debug)]
pub struct RelayAcceptor {
    listener: TcpListener,
    secret: Arc<str>,
}

impl RelayAcceptor {
    /// The next connection (anyone local can connect: see [`Self::admit`]).
    pub async fn accept(&self) -> io::Result<RelayStream> {
        let (stream, _) = self.listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    /// The startup message without the secret, or `None` when it did not
    /// carry this relay's.
    pub fn admit(&self, startup: Vec<u8>) -> Option<Vec<u8>> {
        relay_secret::admit(&startup, &self.secret)
    }
}

pub fn relay_channel(_port: u16) -> io::Result<(RelayEndpoint, RelayAcceptor)> {
    let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let listener = TcpListener::from_std(std_listener)?;
    let secret: Arc<str> = relay_secret::new_secret().into();
    Ok((
        RelayEndpoint {
            addr,
            secret: secret.clone(),
        },
        RelayAcceptor { listener, secret },
    ))
}
