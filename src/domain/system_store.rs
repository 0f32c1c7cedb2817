//! The operating system's CA store, for `ssl_root_cert: "system"` (libpq's
//! `sslrootcert=system`).
//!
//! Read from files, as OpenSSL-based tools (libpq, curl, psql) read it on
//! Linux, so the same environment variables move it:
//!
//! - `SSL_CERT_FILE` (a PEM bundle) and/or `SSL_CERT_DIR` (folders of PEM
//!   files, `:`-separated as OpenSSL splits it): when either is set, only
//!   those are read. OpenSSL would still add its compiled-in default for the
//!   one left unset; reading only what was named (as `rustls-native-certs`
//!   and Go's `crypto/x509` do) means a test or an operator who points
//!   `SSL_CERT_FILE` at one CA trusts exactly that CA.
//! - otherwise the first bundle file that exists among the usual places of
//!   the Linux distributions and BSDs (Debian's
//!   `/etc/ssl/certs/ca-certificates.crt` first), else the folder
//!   `/etc/ssl/certs`.
//!
//! The crate `rustls-native-certs` does the same, but it is not in the
//! dependency tree (sqlx is built with `webpki-roots`), and this is a few
//! dozen lines. On macOS only `/etc/ssl/cert.pem` is read, not the Keychain.
//!
//! Certificates rustls cannot use as trust anchors are skipped, as OpenSSL
//! skips them; an empty result is an error naming what was read.
//!
//! Pure: which sources to read, how a file's content is added and the
//! messages. Reading the environment and the files is
//! `security::trust_store`'s.

use std::io;
use std::path::{Path, PathBuf};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::ValidationError;
use super::root_cert::FIELD;

/// Bundle files, in the order OpenSSL-probing tools try them.
const DEFAULT_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
    "/usr/local/etc/openssl/cert.pem",
];

/// The folder read when no bundle file exists.
pub const DEFAULT_DIR: &str = "/etc/ssl/certs";

/// Largest file read (a full bundle is about 250 KiB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Where the store is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// A bundle file.
    pub file: Option<PathBuf>,
    /// Folders whose every file is read.
    pub dirs: Vec<PathBuf>,
    /// Named by `SSL_CERT_FILE` / `SSL_CERT_DIR` (a missing file is then an error).
    pub from_env: bool,
}

/// The sources: the file and folders the environment names (already split,
/// empty ones dropped) when it names any, else the first default bundle
/// file that `exists`, else [`DEFAULT_DIR`].
pub fn sources(
    file: Option<PathBuf>,
    dirs: Vec<PathBuf>,
    exists: impl Fn(&Path) -> bool,
) -> Sources {
    if file.is_some() || !dirs.is_empty() {
        return Sources {
            file,
            dirs,
            from_env: true,
        };
    }
    match DEFAULT_FILES.iter().map(Path::new).find(|p| exists(p)) {
        Some(f) => Sources {
            file: Some(f.to_path_buf()),
            dirs: Vec::new(),
            from_env: false,
        },
        None => Sources {
            file: None,
            dirs: vec![PathBuf::from(DEFAULT_DIR)],
            from_env: false,
        },
    }
}

/// Adds the certificates of one file's content that rustls can use.
pub fn add_pem(store: &mut RootCertStore, data: &[u8]) {
    let certs = CertificateDer::pem_slice_iter(data).filter_map(Result::ok);
    store.add_parsable_certificates(certs);
}

/// `SSL_CERT_FILE` names a file that cannot be read.
pub fn env_file_unreadable(file: &Path, e: &io::Error) -> ValidationError {
    ValidationError::new(
        FIELD,
        format!(
            "\"system\": cannot read SSL_CERT_FILE {}: {e}",
            file.display()
        ),
    )
}

/// Nothing usable in what was read (`read_from`, in order).
pub fn no_usable_certificates(read_from: &[String]) -> ValidationError {
    ValidationError::new(
        FIELD,
        format!(
            "\"system\": the operating system's CA store has no usable certificates \
             (read {}); set SSL_CERT_FILE or SSL_CERT_DIR, or give the path of a CA file",
            read_from.join(", ")
        ),
    )
}

/// The blocking read did not finish (its task panicked or was cancelled).
pub fn read_failed() -> ValidationError {
    ValidationError::new(
        FIELD,
        "\"system\": reading the operating system's CA store failed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_names_the_only_sources() {
        let s = sources(Some("/a.pem".into()), vec![], |_| true);
        assert_eq!(
            s,
            Sources {
                file: Some("/a.pem".into()),
                dirs: vec![],
                from_env: true
            }
        );
        let s = sources(None, vec!["/d1".into(), "/d2".into()], |_| true);
        assert_eq!(s.file, None);
        assert!(s.from_env);
        let s = sources(None, vec![], |p| p == Path::new("/etc/ssl/cert.pem"));
        assert_eq!(s.file, Some(PathBuf::from("/etc/ssl/cert.pem")));
        assert!(!s.from_env);
    }

    #[test]
    fn without_any_bundle_file_the_default_folder_is_read() {
        let s = sources(None, vec![], |_| false);
        assert_eq!(s.file, None);
        assert_eq!(s.dirs, [PathBuf::from(DEFAULT_DIR)]);
    }
}
