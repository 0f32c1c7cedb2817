//! The few PostgreSQL protocol messages the relay speaks itself (protocol
//! 3.0, "Message Formats"): the `SSLRequest` it sends the server, the
//! driver's first message it reads (to forward it once TLS is up), and the
//! `ErrorResponse` it answers the driver with when the server cannot be
//! reached securely.

use tokio::io::{AsyncRead, AsyncReadExt};

/// `SSLRequest`: length 8, code 80877103 (1234 << 16 | 5679).
pub const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// PostgreSQL's own limit for a startup packet (`MAX_STARTUP_PACKET_LENGTH`).
const MAX_STARTUP_LEN: usize = 10_000;

/// SQLSTATE of the relay's `ErrorResponse`: class 08, "connection
/// exception", which the daemon already treats as a lost connection.
pub const RELAY_SQLSTATE: &str = "08001";

/// Prefix of the `routine` field that marks the relay's own errors; the
/// failure's id follows.
pub const RELAY_ROUTINE: &str = "taskflowd_tls_relay:";

/// Reads the driver's first message (the `StartupMessage`: an Int32 length
/// that counts itself, then the body) and returns it whole, or `None` when
/// it is not a plausible one.
pub async fn read_startup(driver: &mut (impl AsyncRead + Unpin)) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    driver.read_exact(&mut len).await.ok()?;
    let total = u32::from_be_bytes(len) as usize;
    if !(8..=MAX_STARTUP_LEN).contains(&total) {
        return None;
    }
    let mut message = vec![0u8; total];
    message[..4].copy_from_slice(&len);
    driver.read_exact(&mut message[4..]).await.ok()?;
    Some(message)
}

/// A `FATAL` `ErrorResponse` with [`RELAY_SQLSTATE`], `message`, and the
/// routine [`RELAY_ROUTINE`]`<id>`.
pub fn error_response(id: &str, message: &str) -> Vec<u8> {
    let routine = format!("{RELAY_ROUTINE}{id}");
    let mut body = Vec::new();
    for (field, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', RELAY_SQLSTATE),
        // NUL ends a field; the texts here never contain one, but a cut is
        // safer than a malformed message.
        (b'M', message.split('\0').next().unwrap_or_default()),
        (b'R', routine.as_str()),
    ] {
        body.push(field);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(b'E');
    out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn startup_is_read_whole_and_nonsense_refused() {
        let mut msg = vec![0, 0, 0, 12, 0, 3, 0, 0, b'u', 0, b'x', 0];
        msg.extend_from_slice(b"trailing bytes stay unread");
        let mut input: &[u8] = &msg;
        assert_eq!(read_startup(&mut input).await.unwrap(), &msg[..12]);
        assert_eq!(input, b"trailing bytes stay unread");
        let mut huge: &[u8] = &[0, 1, 0, 0, 0, 0, 0, 0];
        assert!(read_startup(&mut huge).await.is_none());
        let mut short: &[u8] = &[0, 0, 0, 4];
        assert!(read_startup(&mut short).await.is_none());
    }

    #[test]
    fn error_response_is_well_formed() {
        let e = error_response("42", "boom");
        assert_eq!(e[0], b'E');
        let len = u32::from_be_bytes([e[1], e[2], e[3], e[4]]) as usize;
        assert_eq!(len, e.len() - 1);
        let body = &e[5..];
        assert!(body.ends_with(b"Rtaskflowd_tls_relay:42\0\0"));
        assert!(body.starts_with(b"SFATAL\0VFATAL\0C08001\0Mboom\0"));
    }
}
