//! The CLI trusts only its own daemon: before a byte is sent (a token, a
//! password), the listening end of the connection must belong to a process
//! of the same OS user.
//!
//! Why: any user can listen on a free loopback port — the default 8000 when
//! the daemon is not running, say — and would otherwise receive
//! `taskflowd status`'s bearer token or `test-connection`'s password in the
//! clear. The kernel tells who owns the server's end of the connection just
//! made ([`crate::platform::peer_owner`] is symmetric: asked about our
//! client socket's 4-tuple from our side, it finds the server's accepted
//! socket, which carries the listener's owner). Fail closed: an owner that
//! cannot be determined is not ours.

use std::net::SocketAddr;

use tokio::net::TcpStream;

use crate::platform;

/// The refusal, as the contract words it.
pub fn refusal(addr: SocketAddr) -> String {
    format!("{addr} is served by a process of another user; nothing was sent")
}

/// `Ok` when the process listening at the other end of `stream` runs as
/// this user; otherwise the refusal (`Err`), with the reason logged at debug.
pub fn check_server(stream: &TcpStream, addr: SocketAddr) -> Result<(), String> {
    let ends = stream
        .local_addr()
        .and_then(|l| Ok((l, stream.peer_addr()?)));
    let verdict = ends
        .map_err(|e| e.to_string())
        .and_then(|(local, remote)| platform::peer_owner(local, remote).map_err(|e| e.to_string()))
        .and_then(|owner| {
            let me = platform::current_user().map_err(|e| e.to_string())?;
            if owner == me {
                Ok(())
            } else {
                Err(format!("owner {owner}, not {me}"))
            }
        });
    verdict.map_err(|why| {
        tracing::debug!(%addr, why, "the listener is not this user's");
        refusal(addr)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn our_own_listener_is_trusted() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = TcpStream::connect(addr).await.unwrap();
        let _server = listener.accept().await.unwrap();
        assert_eq!(check_server(&stream, addr), Ok(()));
    }
}
