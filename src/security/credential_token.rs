//! `db_credentials.enc`: the saved connection settings as one Fernet token.
//!
//! Owns the token's plaintext format and the decryption policy. The plaintext
//! is the JSON object the original Python backend wrote,
//! `{"host","port","database","username","password"}`, plus `ssl_mode` and
//! `ssl_root_cert` only when they were set (the Python backend ignores extra
//! keys). The file holds the token text and nothing else.
//!
//! Decryption ignores time on purpose: no TTL, and a token stamped in the
//! future (written on a machine whose clock ran ahead, or read after the
//! clock was set back) must not lock the user out. The `fernet` crate's plain
//! `decrypt` rejects tokens more than 60 s in the future, so this module reads
//! the token's own timestamp and decrypts "at" `max(now, timestamp)`. The HMAC
//! is still verified, so authenticity is unaffected.
//!
//! This is the only place besides the driver options where the password is
//! exposed: [`Password::expose`](crate::domain::password::Password::expose)
//! feeds a private serde struct that is encrypted straight away; the
//! plaintext buffer is zeroised on drop and never written anywhere.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use secrecy::zeroize::Zeroizing;
use serde::Serialize;
use serde_json::Value;

use super::fernet_key::FernetKey;
use crate::domain::credentials::{ConnectionTarget, DbCredentials};

/// File name of the token inside the config folder.
pub const CREDENTIALS_FILE: &str = "db_credentials.enc";

/// Why a token did not yield connection settings. Never carries file content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a Fernet token, made with another key, or tampered with.
    #[error("{CREDENTIALS_FILE} cannot be decrypted with fernet.key")]
    Undecryptable,
    /// Decrypted, but the plaintext is not the expected JSON object.
    /// The detail names a field or "not JSON", never a value.
    #[error("{CREDENTIALS_FILE} does not contain valid connection settings ({0})")]
    NotCredentials(String),
}

/// Encoding the settings as JSON failed (cannot happen with these field
/// types, but is reported rather than unwrapped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode connection settings")]
pub struct EncodeError;

/// The plaintext layout, private so that the password can only be serialised
/// on its way into a token.
#[derive(Serialize)]
struct StoredCredentials<'a> {
    #[serde(flatten)]
    target: &'a ConnectionTarget,
    password: &'a str,
}

/// The JSON plaintext for `creds`, in a buffer zeroised on drop.
fn plaintext(creds: &DbCredentials) -> Result<Zeroizing<Vec<u8>>, EncodeError> {
    let stored = StoredCredentials {
        target: &creds.target,
        password: creds.password.expose(),
    };
    serde_json::to_vec(&stored)
        .map(Zeroizing::new)
        .map_err(|_| EncodeError)
}

/// Encrypts `creds` into the token text to store (current time, random IV).
pub fn encrypt(key: &FernetKey, creds: &DbCredentials) -> Result<String, EncodeError> {
    Ok(key.fernet().encrypt(&plaintext(creds)?))
}

/// The timestamp a token carries (bytes 1..9 of the decoded token, big
/// endian), or `None` if it is not shaped like a Fernet token.
pub fn token_timestamp(token: &str) -> Option<u64> {
    // Same decoding as the `fernet` crate: URL-safe, padding optional.
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .ok()?;
    if raw.first() != Some(&0x80) {
        return None;
    }
    let ts: [u8; 8] = raw.get(1..9)?.try_into().ok()?;
    Some(u64::from_be_bytes(ts))
}

/// Decrypts a token file's bytes into connection settings, whatever the
/// token's age or timestamp.
pub fn decrypt(key: &FernetKey, file: &[u8]) -> Result<DbCredentials, TokenError> {
    let token = std::str::from_utf8(file)
        .map_err(|_| TokenError::Undecryptable)?
        .trim();
    let stamped = token_timestamp(token).ok_or(TokenError::Undecryptable)?;
    // The crate computes `time + 60`; a forged timestamp near u64::MAX would
    // overflow there. No genuine token is stamped billions of years ahead.
    if stamped > u64::MAX / 2 {
        return Err(TokenError::Undecryptable);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let plain = Zeroizing::new(
        key.fernet()
            .decrypt_at_time(token, None, now.max(stamped))
            .map_err(|_| TokenError::Undecryptable)?,
    );
    parse_plaintext(&plain)
}

/// Parses and validates the JSON plaintext with the same rules as the
/// Settings page's input. A port written as a numeric string is accepted.
fn parse_plaintext(plain: &[u8]) -> Result<DbCredentials, TokenError> {
    let mut value: Value = serde_json::from_slice(plain)
        .map_err(|_| TokenError::NotCredentials("not a JSON object".to_owned()))?;
    if let Some(port) = value.get_mut("port")
        && let Some(n) = port.as_str().and_then(|s| s.trim().parse::<u64>().ok())
    {
        *port = Value::from(n);
    }
    DbCredentials::from_json(&value).map_err(|e| TokenError::NotCredentials(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::credentials::SslMode;
    use serde_json::json;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures");

    fn creds(password: &str) -> DbCredentials {
        crate::domain::credentials::sample("db.example.internal", password)
    }

    fn decrypt_plain(key: &FernetKey, token: &str) -> Value {
        let ts = token_timestamp(token).unwrap();
        let plain = key.fernet().decrypt_at_time(token, None, ts).unwrap();
        serde_json::from_slice(&plain).unwrap()
    }

    #[test]
    fn round_trip_keeps_password_exactly() {
        let key = FernetKey::generate();
        let c = creds(" p@ss w0rd:/?#[]é ");
        let token = encrypt(&key, &c).unwrap();
        assert!(!token.contains("p@ss"));
        assert_eq!(decrypt(&key, token.as_bytes()).unwrap(), c);
    }

    #[test]
    fn plaintext_is_the_python_layout_with_optional_tls_fields() {
        let key = FernetKey::generate();
        let mut c = creds("pw");
        let plain = decrypt_plain(&key, &encrypt(&key, &c).unwrap());
        assert_eq!(
            plain,
            json!({"host":"db.example.internal","port":5432,"database":"team","username":"lead","password":"pw"})
        );
        c.ssl_mode = Some(SslMode::VerifyFull);
        c.ssl_root_cert = Some("/etc/ca.pem".into());
        let token = encrypt(&key, &c).unwrap();
        let plain = decrypt_plain(&key, &token);
        assert_eq!(plain["ssl_mode"], "verify-full");
        assert_eq!(plain["ssl_root_cert"], "/etc/ca.pem");
        assert_eq!(decrypt(&key, token.as_bytes()).unwrap(), c);
    }

    #[test]
    fn python_fixture_decrypts_to_expected_json() {
        let key = FernetKey::parse(
            &std::fs::read(format!("{FIXTURES}/python-fernet/fernet.key")).unwrap(),
        )
        .unwrap();
        let token = std::fs::read(format!("{FIXTURES}/python-fernet/db_credentials.enc")).unwrap();
        let expected: Value = serde_json::from_slice(
            &std::fs::read(format!("{FIXTURES}/python-fernet/expected.json")).unwrap(),
        )
        .unwrap();
        let c = decrypt(&key, &token).unwrap();
        assert_eq!(c.host, expected["host"]);
        assert_eq!(u64::from(c.port), expected["port"]);
        assert_eq!(c.database, expected["database"]);
        assert_eq!(c.username, expected["username"]);
        assert_eq!(c.password.expose(), expected["password"]);
        assert_eq!(c.ssl_mode, None);
        assert_eq!(c.ssl_root_cert, None);
    }

    #[test]
    fn future_and_ancient_tokens_decrypt() {
        let key = FernetKey::generate();
        let c = creds("pw");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        for at in [now + 10 * 365 * 24 * 3600, now + 61, 0, 1] {
            let token = key.fernet().encrypt_at_time(&plaintext(&c).unwrap(), at);
            assert_eq!(token_timestamp(&token), Some(at));
            assert_eq!(decrypt(&key, token.as_bytes()).unwrap(), c, "stamped {at}");
        }
        // The crate's plain decrypt would have refused the future one.
        let future = key.fernet().encrypt_at_time(b"x", now + 3600);
        assert!(key.fernet().decrypt(&future).is_err());
    }

    #[test]
    fn trailing_newline_in_token_file_tolerated() {
        let key = FernetKey::generate();
        let mut bytes = encrypt(&key, &creds("pw")).unwrap().into_bytes();
        bytes.push(b'\n');
        assert!(decrypt(&key, &bytes).is_ok());
    }

    #[test]
    fn wrong_key_tampered_or_garbage_is_undecryptable() {
        let key = FernetKey::generate();
        let token = encrypt(&key, &creds("pw")).unwrap();
        let other = FernetKey::generate();
        assert_eq!(
            decrypt(&other, token.as_bytes()),
            Err(TokenError::Undecryptable)
        );
        let mut tampered = token.clone().into_bytes();
        let i = tampered.len() / 2;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(decrypt(&key, &tampered), Err(TokenError::Undecryptable));
        for junk in [&b""[..], b"hello", b"\xff\xfe", b"gAAAAA"] {
            assert_eq!(decrypt(&key, junk), Err(TokenError::Undecryptable));
        }
    }

    #[test]
    fn forged_huge_timestamp_does_not_panic() {
        let key = FernetKey::generate();
        let mut raw = vec![0x80];
        raw.extend_from_slice(&u64::MAX.to_be_bytes());
        raw.extend_from_slice(&[0u8; 64]);
        let token = base64::engine::general_purpose::URL_SAFE.encode(raw);
        assert_eq!(
            decrypt(&key, token.as_bytes()),
            Err(TokenError::Undecryptable)
        );
    }

    #[test]
    fn plaintext_that_is_not_credentials_is_reported_without_values() {
        let key = FernetKey::generate();
        let cases = [
            (&b"not json"[..], "not a JSON object"),
            (br#"[1,2]"#, "body: must be a JSON object"),
            (
                br#"{"host":"h","port":0,"database":"d","username":"u","password":"secretpw"}"#,
                "port:",
            ),
            (
                br#"{"host":"h","port":5432,"database":"d","username":"u"}"#,
                "password: is required",
            ),
        ];
        for (plain, why) in cases {
            let token = key.fernet().encrypt(plain);
            let e = decrypt(&key, token.as_bytes()).unwrap_err();
            assert!(matches!(e, TokenError::NotCredentials(_)), "{e}");
            assert!(e.to_string().contains(why), "{e}");
            assert!(!e.to_string().contains("secretpw"));
        }
    }

    #[test]
    fn numeric_string_port_accepted() {
        let key = FernetKey::generate();
        let plain =
            br#"{"host":"h","port":"5433","database":"d","username":"u","password":"p","extra":1}"#;
        let c = decrypt(&key, key.fernet().encrypt(plain).as_bytes()).unwrap();
        assert_eq!(c.port, 5433);
    }
}
