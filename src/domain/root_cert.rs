//! The `ssl_root_cert` value's rules: [`SYSTEM`] (the operating system's
//! store, see [`super::system_store`]) or the path of a regular file of PEM
//! certificates that the TLS stack accepts as trust anchors, at most
//! [`MAX_BYTES`] long; and the messages, which name the field.
//!
//! Pure: reading the file (and the system store) is
//! `security::trust_store`'s, which applies these rules to what it read and
//! hands the exact set of trust anchors to the TLS relay (`db::tls`), so what
//! validation accepted is what connects. Kept apart from
//! [`DbCredentials::from_json`](super::credentials::DbCredentials::from_json),
//! which parses the stored credential file too: the settings handlers check
//! the file after parsing, so a bad path is a 400 at validation instead of a
//! confusing handshake failure; the connect functions check it again before
//! each connect, because the file may have changed since it was saved.
//!
//! A file without `CERTIFICATE` sections or with one rustls cannot use is
//! refused with a message naming the field, rather than surfacing as a
//! handshake failure.

use std::io;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::ValidationError;

/// The field every message names.
pub const FIELD: &str = "ssl_root_cert";

/// The `ssl_root_cert` value that asks for the operating system's CA store
/// instead of a file (libpq's `sslrootcert=system`).
pub const SYSTEM: &str = "system";

/// Largest accepted file. A CA bundle (all of Mozilla's roots) is about 250 KiB;
/// the bound keeps a path like `/dev/zero` from being read forever.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// `ssl_root_cert: cannot read <path>: <os error>`.
pub fn cannot_read(path: &str, e: &io::Error) -> ValidationError {
    ValidationError::new(FIELD, format!("cannot read {path}: {e}"))
}

/// `ssl_root_cert: <path> is not a regular file` (a folder, a FIFO, …).
pub fn not_a_regular_file(path: &str) -> ValidationError {
    ValidationError::new(FIELD, format!("{path} is not a regular file"))
}

/// `ssl_root_cert: <path> is larger than 1024 KiB`.
pub fn too_large(path: &str) -> ValidationError {
    ValidationError::new(
        FIELD,
        format!("{path} is larger than {} KiB", MAX_BYTES / 1024),
    )
}

/// The trust anchors in the content `data` of the file at `path`: at least
/// one PEM certificate, and nothing the TLS stack would refuse.
pub fn check_pem(path: &str, data: &[u8]) -> Result<RootCertStore, ValidationError> {
    let mut store = RootCertStore::empty();
    for item in CertificateDer::pem_slice_iter(data) {
        let der = item
            .map_err(|e| ValidationError::new(FIELD, format!("{path} is not valid PEM ({e})")))?;
        // The call the TLS relay's verifier relies on for each certificate.
        store.add(der).map_err(|e| {
            ValidationError::new(
                FIELD,
                format!("{path} contains a certificate that cannot be used as a CA ({e})"),
            )
        })?;
    }
    if store.is_empty() {
        return Err(ValidationError::new(
            FIELD,
            format!("{path} contains no PEM certificates (-----BEGIN CERTIFICATE-----)"),
        ));
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_certificates_is_rejected() {
        let e = check_pem("/x.pem", b"hello\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ssl_root_cert: /x.pem contains no PEM certificates (-----BEGIN CERTIFICATE-----)"
        );
        // A private key alone is not a certificate either.
        let key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(check_pem("/x.pem", key).is_err());
    }

    #[test]
    fn garbage_inside_a_certificate_section_is_rejected() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let e = check_pem("/x.pem", pem).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "ssl_root_cert: /x.pem contains a certificate that cannot be used as a CA"
            ),
            "{e}"
        );
    }
}
