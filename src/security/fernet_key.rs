//! `fernet.key`: the symmetric key that encrypts `db_credentials.enc`.
//!
//! Owns the key's on-disk format and its lifecycle rules. The format is what
//! Python's `Fernet.generate_key()` produces and the original backend wrote:
//! 44 characters of URL-safe base64 (with `=` padding) encoding 32 random
//! bytes, no trailing newline. On read, trailing whitespace (a newline added
//! by an editor or `echo`) is tolerated so hand-copied keys still work.
//!
//! Lifecycle (enforced by `credential_folder`): the key is created once, on the
//! first save, with no-clobber semantics (if another writer created it first,
//! theirs is used), and is durable before any token that depends on it is
//! written. It is never regenerated while a readable token exists.

use std::fmt;

use base64::Engine;
use fernet::Fernet;
use secrecy::zeroize::Zeroizing;

/// File name of the key inside the config folder.
pub const KEY_FILE: &str = "fernet.key";

/// The key file's content is not a Fernet key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the key file {KEY_FILE} is not a valid Fernet key")]
pub struct MalformedKey;

/// A parsed Fernet key. Its `Debug` is redacted, and both the text form and
/// the cipher state are zeroised on drop.
#[derive(Clone)]
pub struct FernetKey {
    /// The 44-character text form, exactly as written to the file.
    encoded: Zeroizing<String>,
    /// The cipher built from it (zeroises itself on drop).
    fernet: Fernet,
}

impl FernetKey {
    /// A fresh random key (from the OS's CSPRNG, via the `fernet` crate).
    pub fn generate() -> Self {
        let encoded = Zeroizing::new(Fernet::generate_key());
        match Self::parse_str(&encoded) {
            Ok(key) => key,
            // `generate_key` returns 32 random bytes in padded URL-safe
            // base64, which `parse_str` accepts by construction.
            #[allow(clippy::unreachable)]
            Err(MalformedKey) => unreachable!("Fernet::generate_key produced an invalid key"),
        }
    }

    /// Parses the bytes of a key file (trailing whitespace tolerated).
    pub fn parse(bytes: &[u8]) -> Result<Self, MalformedKey> {
        let text = std::str::from_utf8(bytes).map_err(|_| MalformedKey)?;
        Self::parse_str(text.trim_end())
    }

    /// Strict form check, as Python's `Fernet(key)` does: padded URL-safe
    /// base64 of exactly 32 bytes. (`Fernet::new` alone would also accept
    /// unpadded keys, which Python rejects.)
    fn parse_str(text: &str) -> Result<Self, MalformedKey> {
        let raw = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE
                .decode(text)
                .map_err(|_| MalformedKey)?,
        );
        if raw.len() != 32 {
            return Err(MalformedKey);
        }
        let fernet = Fernet::new(text).ok_or(MalformedKey)?;
        Ok(Self {
            encoded: Zeroizing::new(text.to_owned()),
            fernet,
        })
    }

    /// The bytes to write to `fernet.key` (no trailing newline, like Python).
    pub fn file_bytes(&self) -> &[u8] {
        self.encoded.as_bytes()
    }

    /// The cipher.
    pub fn fernet(&self) -> &Fernet {
        &self.fernet
    }
}

impl fmt::Debug for FernetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FernetKey([redacted])")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const PY_KEY: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/python-fernet/fernet.key"
    );

    #[test]
    fn generated_key_has_python_format() {
        let k = FernetKey::generate();
        assert_eq!(k.file_bytes().len(), 44);
        assert!(k.file_bytes().ends_with(b"="));
        assert!(
            k.file_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(b))
        );
        assert_ne!(FernetKey::generate().file_bytes(), k.file_bytes());
    }

    #[test]
    fn python_key_file_parses_and_round_trips_exactly() {
        let bytes = std::fs::read(PY_KEY).unwrap();
        let k = FernetKey::parse(&bytes).unwrap();
        assert_eq!(k.file_bytes(), &bytes[..]);
    }

    #[test]
    fn trailing_newline_and_whitespace_tolerated() {
        let k = FernetKey::generate();
        for suffix in ["\n", "\r\n", "  \n\n", "\t"] {
            let mut bytes = k.file_bytes().to_vec();
            bytes.extend_from_slice(suffix.as_bytes());
            let parsed = FernetKey::parse(&bytes).unwrap();
            assert_eq!(parsed.file_bytes(), k.file_bytes());
        }
    }

    #[test]
    fn malformed_keys_rejected() {
        let good = FernetKey::generate();
        let unpadded = &good.file_bytes()[..43];
        let cases: Vec<&[u8]> = vec![
            b"",
            b"not a key",
            unpadded,
            b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // 42 bytes
            b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",             // standard alphabet
            &[0xff, 0xfe, 0x00],
        ];
        for c in cases {
            assert_eq!(FernetKey::parse(c).unwrap_err(), MalformedKey, "{c:?}");
        }
        assert_eq!(
            MalformedKey.to_string(),
            "the key file fernet.key is not a valid Fernet key"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let k = FernetKey::generate();
        let text = std::str::from_utf8(k.file_bytes()).unwrap().to_owned();
        assert!(!format!("{k:?}").contains(&text));
    }
}
