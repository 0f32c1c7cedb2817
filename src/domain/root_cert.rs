//! The `ssl_root_cert` file: readable, a regular file, and PEM certificates
//! that the TLS stack will accept as trust anchors — or the value
//! [`SYSTEM`], the operating system's store (see [`super::system_store`]).
//! [`load`] turns either into the exact set of trust anchors the daemon's
//! TLS relay uses (`db::tls`), so what validation accepted is what connects.
//!
//! Kept apart from [`DbCredentials::from_json`](super::credentials::DbCredentials::from_json),
//! which stays pure (it also parses the stored credential file). The settings
//! handlers call [`check`] after parsing, so a bad path is a 400 at validation
//! instead of a confusing handshake failure; the connect functions call it
//! again before each connect, because the file may have changed since it was
//! saved.
//!
//! A file without `CERTIFICATE` sections or with one rustls cannot use is
//! refused here with a message naming the field, rather than surfacing as
//! a handshake failure.

use std::io;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::io::AsyncReadExt;

use super::ValidationError;

const FIELD: &str = "ssl_root_cert";

/// The `ssl_root_cert` value that asks for the operating system's CA store
/// instead of a file (libpq's `sslrootcert=system`).
pub const SYSTEM: &str = "system";

/// Largest accepted file. A CA bundle (all of Mozilla's roots) is about 250 KiB;
/// the bound keeps a path like `/dev/zero` from being read forever.
const MAX_BYTES: u64 = 1024 * 1024;

/// Reads `path` and checks that it holds at least one PEM certificate and
/// nothing the TLS stack would refuse.
///
/// Errors read `ssl_root_cert: cannot read <path>: <os error>`,
/// `ssl_root_cert: <path> is not a regular file`, or
/// `ssl_root_cert: <path> …` naming what is wrong with the content.
pub async fn check(path: &str) -> Result<(), ValidationError> {
    load(path).await.map(drop)
}

/// The trust anchors `value` names: the certificates of the PEM file at
/// that path, or the operating system's store for [`SYSTEM`]. Nothing else
/// is ever added. Errors as for [`check`].
pub async fn load(value: &str) -> Result<RootCertStore, ValidationError> {
    if value == SYSTEM {
        return super::system_store::load().await;
    }
    let path = value;
    let cannot_read =
        |e: io::Error| ValidationError::new(FIELD, format!("cannot read {path}: {e}"));
    // Before opening: opening a FIFO for reading would block until a writer appears.
    let meta = tokio::fs::metadata(path).await.map_err(cannot_read)?;
    if !meta.is_file() {
        return Err(ValidationError::new(
            FIELD,
            format!("{path} is not a regular file"),
        ));
    }
    let file = tokio::fs::File::open(path).await.map_err(cannot_read)?;
    let mut data = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut data)
        .await
        .map_err(cannot_read)?;
    if data.len() as u64 > MAX_BYTES {
        return Err(ValidationError::new(
            FIELD,
            format!("{path} is larger than {} KiB", MAX_BYTES / 1024),
        ));
    }
    check_pem(path, &data)
}

/// The content check, separate for unit tests.
fn check_pem(path: &str, data: &[u8]) -> Result<RootCertStore, ValidationError> {
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

    #[tokio::test]
    async fn missing_file_and_directory_are_named() {
        let e = check("/nonexistent/ca.pem").await.unwrap_err().to_string();
        assert_eq!(
            e,
            "ssl_root_cert: cannot read /nonexistent/ca.pem: No such file or directory (os error 2)"
        );
        let e = check("/").await.unwrap_err().to_string();
        assert_eq!(e, "ssl_root_cert: / is not a regular file");
    }
}
