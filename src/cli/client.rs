//! A minimal HTTP/1.1 client (hyper) for the operator commands: one request
//! per connection to the local daemon, with the configured token.

use crate::config::policy::CLI_REQUEST_TIMEOUT;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// Talks to the daemon at `addr`.
#[derive(Debug, Clone)]
pub struct Client {
    addr: SocketAddr,
    token: Option<String>,
}

/// Why a request failed before an HTTP answer arrived.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens there (the daemon is not running, or another port).
    #[error("cannot reach taskflowd at {0}: {1}")]
    Unreachable(SocketAddr, String),
    /// The listener belongs to another OS user: nothing was sent.
    #[error("{0}")]
    NotOurs(String),
    /// The exchange failed or timed out.
    #[error("request to taskflowd failed: {0}")]
    Http(String),
}

impl Client {
    /// A client for the daemon at `addr`, sending `token` as a bearer token when given.
    pub fn new(addr: SocketAddr, token: Option<String>) -> Self {
        Self { addr, token }
    }

    /// Where it connects.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends one request; returns the status code and the JSON body (or `Null`).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ClientError> {
        tokio::time::timeout(CLI_REQUEST_TIMEOUT, self.exchange(method, path, body))
            .await
            .map_err(|_| {
                ClientError::Http(format!(
                    "no answer within {} s",
                    CLI_REQUEST_TIMEOUT.as_secs()
                ))
            })?
    }

    async fn exchange(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ClientError> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| ClientError::Unreachable(self.addr, e.to_string()))?;
        // Before a byte (the token, a password) goes out.
        super::trust::check_server(&stream, self.addr).map_err(ClientError::NotOurs)?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        tokio::spawn(conn);
        let payload = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.addr.to_string());
        if body.is_some() {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        if let Some(token) = &self.token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = req
            .body(Full::new(payload))
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let res = sender
            .send_request(req)
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let status = res.status().as_u16();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?
            .to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, json))
    }
}
