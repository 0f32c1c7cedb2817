//! The one-time secret that admits only our own driver to the TLS relay's
//! loopback port on Windows (sqlx cannot dial a named pipe: it connects to
//! TCP or a Unix socket only; see docs/tls.md).
//!
//! Every local user can connect to a loopback port, so the relay must tell
//! its driver from anyone else before it opens a TLS session for them. The
//! driver carries the secret in its startup message — as a `-c` option in
//! the `options` parameter, the one place sqlx lets a caller add text to it
//! — and the relay checks it (in constant time) and removes it before the
//! message goes to the server, which never sees it. A message without it is
//! dropped unanswered. Pure byte handling, compiled and tested everywhere.

use subtle::ConstantTimeEq;

/// The option's name: `-c taskflowd.relay_secret=<secret>`.
pub const OPTION: &str = "taskflowd.relay_secret";

/// Protocol 3.0, the only startup the relay forwards.
const PROTOCOL_3_0: u32 = 196_608;

/// A fresh secret: 64 hex digits from the OS's random generator (two v4
/// UUIDs, 244 random bits). Hex needs no escaping in `options`.
pub fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// `startup` without the secret, if it carried exactly `secret` as the
/// last `-c` option of its `options` parameter; `None` otherwise (including
/// any message that is not a protocol 3.0 startup).
pub fn admit(startup: &[u8], secret: &str) -> Option<Vec<u8>> {
    let version = u32::from_be_bytes(startup.get(4..8)?.try_into().ok()?);
    if version != PROTOCOL_3_0 {
        return None;
    }
    let params = parse_params(startup.get(8..)?)?;
    let mut admitted = false;
    let mut out = Vec::with_capacity(startup.len());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&startup[4..8]);
    for (name, value) in params {
        let value = if name == b"options" && !admitted {
            match strip_secret(value, secret) {
                Some(rest) => {
                    admitted = true;
                    if rest.is_empty() {
                        continue; // only ours: drop the parameter
                    }
                    rest
                }
                None => value,
            }
        } else {
            value
        };
        for part in [name, value] {
            out.extend_from_slice(part);
            out.push(0);
        }
    }
    out.push(0);
    if !admitted {
        return None;
    }
    let len = u32::try_from(out.len()).ok()?;
    out[..4].copy_from_slice(&len.to_be_bytes());
    Some(out)
}

/// The `name\0value\0…\0` list of a startup message.
fn parse_params(mut body: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut params = Vec::new();
    loop {
        let end = body.iter().position(|b| *b == 0)?;
        if end == 0 {
            return Some(params);
        }
        let name = &body[..end];
        body = &body[end + 1..];
        let end = body.iter().position(|b| *b == 0)?;
        params.push((name, &body[..end]));
        body = &body[end + 1..];
    }
}

/// `options` without a trailing ` -c taskflowd.relay_secret=<secret>`
/// (sqlx appends options in order, separated by one space), if the secret
/// matches.
fn strip_secret<'a>(options: &'a [u8], secret: &str) -> Option<&'a [u8]> {
    let marker = format!("-c {OPTION}=");
    let at = options.len().checked_sub(marker.len() + secret.len())?;
    let (rest, ours) = options.split_at(at);
    let (found_marker, found_secret) = ours.split_at(marker.len());
    if found_marker != marker.as_bytes() {
        return None;
    }
    if !bool::from(found_secret.ct_eq(secret.as_bytes())) {
        return None;
    }
    match rest {
        [] => Some(rest),
        [head @ .., b' '] => Some(head),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn startup(params: &[(&str, &str)]) -> Vec<u8> {
        let mut m = vec![0, 0, 0, 0];
        m.extend_from_slice(&PROTOCOL_3_0.to_be_bytes());
        for (k, v) in params {
            m.extend_from_slice(k.as_bytes());
            m.push(0);
            m.extend_from_slice(v.as_bytes());
            m.push(0);
        }
        m.push(0);
        let len = m.len() as u32;
        m[..4].copy_from_slice(&len.to_be_bytes());
        m
    }

    #[test]
    fn the_secret_is_checked_and_removed_before_forwarding() {
        let s = new_secret();
        assert_eq!(s.len(), 64);
        assert_ne!(s, new_secret());
        let ours = format!("-c {OPTION}={s}");
        let with = startup(&[("user", "u"), ("options", &ours), ("database", "d")]);
        assert_eq!(
            admit(&with, &s).unwrap(),
            startup(&[("user", "u"), ("database", "d")])
        );
        let both = format!("-c geqo=off {ours}");
        let with = startup(&[("user", "u"), ("options", &both)]);
        assert_eq!(
            admit(&with, &s).unwrap(),
            startup(&[("user", "u"), ("options", "-c geqo=off")])
        );
    }

    #[test]
    fn a_startup_without_the_right_secret_is_refused() {
        let s = new_secret();
        let other = new_secret();
        for options in [
            String::new(),
            format!("-c {OPTION}={other}"),
            format!("-c {OPTION}={}", &s[..63]),
            format!("-c {OPTION}={s}x"),
            format!("x-c {OPTION}={s}"),
        ] {
            assert_eq!(
                admit(&startup(&[("user", "u"), ("options", &options)]), &s),
                None,
                "{options}"
            );
        }
        assert_eq!(admit(&startup(&[("user", "u")]), &s), None);
        // An SSLRequest or a cancel request, and garbage.
        assert_eq!(admit(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f], &s), None);
        assert_eq!(admit(&[0, 0, 0, 4], &s), None);
        let mut cut = startup(&[("options", &format!("-c {OPTION}={s}"))]);
        cut.truncate(cut.len() - 2);
        assert_eq!(admit(&cut, &s), None);
    }
}
