//! Same user only (DESIGN.md "One user's daemon"): a connection from a
//! process of another OS user is refused on every route but the health
//! checks, whatever token it sends.
//!
//! The owner is looked up once per TCP connection, from the kernel
//! ([`crate::platform::peer_owner`]), at its first request that is not a
//! health check ([`super::serve`]); the [`Verdict`] then rides with the
//! connection, so keep-alive requests pay nothing, and a refused request
//! never reaches warp's filters. Why the
//! health checks stay open: they tell a desktop shell whether *a* daemon
//! answers on the port (and say nothing about the team's data), so a
//! second user's shell sees that the port is taken rather than a silent
//! 403.
//!
//! Fail closed: a peer whose owner cannot be determined is refused like
//! another user's, and logged at WARN once for its connection.

use std::io;
use std::net::SocketAddr;

use warp::http::{Method, Request, StatusCode};
use warp::reply::Response;

use crate::config::Settings;
use crate::platform::{self, OwnerId};

/// The refusal's message (the contract's exact text).
pub const ANOTHER_USER: &str = "This TaskFlow service belongs to another user";

/// Whose connections are served.
#[derive(Debug, Clone)]
pub struct SameUser {
    /// The daemon's own user; `None` when the rule is off.
    me: Option<OwnerId>,
}

/// What was decided for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The owner's (or not checked: the rule is off, or a remote peer,
    /// which the token guards).
    Served,
    /// Another user's, or an owner that could not be determined.
    Refused,
}

impl SameUser {
    /// From `same_user_only`; the current user is read once, here.
    pub fn new(settings: &Settings) -> io::Result<Self> {
        let me = if settings.same_user_only {
            Some(platform::current_user()?)
        } else {
            None
        };
        Ok(Self { me })
    }

    /// The verdict for the connection accepted at `local` from `remote`.
    /// Only loopback peers are checked: with `allow_remote`, a peer from
    /// another machine has no local user, and the token guards it.
    pub fn verdict(&self, local: SocketAddr, remote: SocketAddr) -> Verdict {
        let Some(me) = &self.me else {
            return Verdict::Served;
        };
        if !remote.ip().to_canonical().is_loopback() {
            return Verdict::Served;
        }
        match platform::peer_owner(local, remote) {
            Ok(owner) if &owner == me => Verdict::Served,
            Ok(owner) => {
                tracing::debug!(
                    peer = %remote,
                    owner = %owner,
                    "connection from another user; only the health checks will answer"
                );
                Verdict::Refused
            }
            Err(e) => {
                tracing::warn!(
                    peer = %remote,
                    error = %e,
                    "cannot tell which user the connection comes from; refusing it"
                );
                Verdict::Refused
            }
        }
    }
}

/// Whether a refused connection may still make this request: `GET /health`
/// and `GET /health/live` only (exactly: no other method, no trailing slash).
pub fn exempt<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET && matches!(req.uri().path(), "/health" | "/health/live")
}

/// `403 {"error":"This TaskFlow service belongs to another user"}`, built
/// like every other error body (`errors::error_response`).
pub fn refusal() -> Response {
    super::errors::error_response(StatusCode::FORBIDDEN, ANOTHER_USER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, path: &str) -> Request<()> {
        Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap()
    }

    #[test]
    fn only_the_two_health_gets_are_exempt() {
        assert!(exempt(&req(Method::GET, "/health")));
        assert!(exempt(&req(Method::GET, "/health/live")));
        assert!(exempt(&req(Method::GET, "/health?x=1")));
        for (m, p) in [
            (Method::POST, "/health"),
            (Method::HEAD, "/health"),
            (Method::OPTIONS, "/health"),
            (Method::GET, "/health/"),
            (Method::GET, "/healthz"),
            (Method::GET, "/health/ready"),
            (Method::GET, "/openapi.json"),
            (Method::GET, "/api/v1/members"),
        ] {
            assert!(!exempt(&req(m.clone(), p)), "{m} {p}");
        }
    }

    #[test]
    fn off_serves_everyone_and_remote_peers_are_not_looked_up() {
        let off = SameUser { me: None };
        let local: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        assert_eq!(
            off.verdict(local, "127.0.0.1:1".parse().unwrap()),
            Verdict::Served
        );
        // On: a remote peer is not looked up (the token guards it).
        let on = SameUser {
            me: Some(platform::current_user().unwrap()),
        };
        let lan: SocketAddr = "192.0.2.7:5000".parse().unwrap();
        assert_eq!(
            on.verdict("0.0.0.0:8000".parse().unwrap(), lan),
            Verdict::Served
        );
        // A loopback 4-tuple that is no socket: fail closed.
        assert_eq!(
            on.verdict(local, "127.0.0.1:1".parse().unwrap()),
            Verdict::Refused
        );
    }
}
