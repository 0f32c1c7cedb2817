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

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::ValidationError;

const FIELD: &str = "ssl_root_cert";

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
const DEFAULT_DIR: &str = "/etc/ssl/certs";

/// Largest file read (a full bundle is about 250 KiB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Where the store is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sources {
    file: Option<PathBuf>,
    dirs: Vec<PathBuf>,
    /// Named by `SSL_CERT_FILE` / `SSL_CERT_DIR` (a missing file is then an error).
    from_env: bool,
}

/// Loads the store, reading the environment now (the files may change, so
/// every relay start reads them again).
pub async fn load() -> Result<RootCertStore, ValidationError> {
    let sources = sources(
        std::env::var_os("SSL_CERT_FILE"),
        std::env::var_os("SSL_CERT_DIR"),
        |p| p.is_file(),
    );
    tokio::task::spawn_blocking(move || read(&sources))
        .await
        .map_err(|_| {
            ValidationError::new(
                FIELD,
                "\"system\": reading the operating system's CA store failed",
            )
        })?
}

fn sources(
    file: Option<OsString>,
    dir: Option<OsString>,
    exists: impl Fn(&Path) -> bool,
) -> Sources {
    let file = file.filter(|f| !f.is_empty()).map(PathBuf::from);
    let dirs: Vec<PathBuf> = dir
        .filter(|d| !d.is_empty())
        .map(|d| std::env::split_paths(&d).collect())
        .unwrap_or_default();
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

fn read(sources: &Sources) -> Result<RootCertStore, ValidationError> {
    let mut store = RootCertStore::empty();
    let mut read_from = Vec::new();
    if let Some(file) = &sources.file {
        match read_file(file) {
            Ok(data) => add_pem(&mut store, &data),
            Err(e) if sources.from_env => {
                return Err(ValidationError::new(
                    FIELD,
                    format!(
                        "\"system\": cannot read SSL_CERT_FILE {}: {e}",
                        file.display()
                    ),
                ));
            }
            Err(_) => {}
        }
        read_from.push(file.display().to_string());
    }
    for dir in &sources.dirs {
        // Unreadable entries (a README, a broken link) are skipped, as OpenSSL
        // skips what it cannot use.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                if let Ok(data) = read_file(&entry.path()) {
                    add_pem(&mut store, &data);
                }
            }
        }
        read_from.push(dir.display().to_string());
    }
    if store.is_empty() {
        return Err(ValidationError::new(
            FIELD,
            format!(
                "\"system\": the operating system's CA store has no usable certificates \
                 (read {}); set SSL_CERT_FILE or SSL_CERT_DIR, or give the path of a CA file",
                read_from.join(", ")
            ),
        ));
    }
    Ok(store)
}

/// A regular file (symlinks followed, as the hashed links in `/etc/ssl/certs` are).
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut data = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES)
        .read_to_end(&mut data)?;
    Ok(data)
}

fn add_pem(store: &mut RootCertStore, data: &[u8]) {
    let certs = CertificateDer::pem_slice_iter(data).filter_map(Result::ok);
    store.add_parsable_certificates(certs);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_the_only_sources() {
        let s = sources(Some("/a.pem".into()), None, |_| true);
        assert_eq!(
            s,
            Sources {
                file: Some("/a.pem".into()),
                dirs: vec![],
                from_env: true
            }
        );
        let s = sources(None, Some("/d1:/d2".into()), |_| true);
        assert_eq!(s.file, None);
        assert_eq!(s.dirs, [PathBuf::from("/d1"), PathBuf::from("/d2")]);
        // Empty variables count as unset.
        let s = sources(Some("".into()), Some("".into()), |p| {
            p == Path::new("/etc/ssl/cert.pem")
        });
        assert_eq!(s.file, Some(PathBuf::from("/etc/ssl/cert.pem")));
        assert!(!s.from_env);
    }

    #[test]
    fn without_any_bundle_file_the_default_folder_is_read() {
        let s = sources(None, None, |_| false);
        assert_eq!(s.file, None);
        assert_eq!(s.dirs, [PathBuf::from(DEFAULT_DIR)]);
    }

    #[test]
    fn a_missing_ssl_cert_file_and_an_empty_store_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        let e = read(&Sources {
            file: Some(missing.clone()),
            dirs: vec![],
            from_env: true,
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with(&format!(
                "ssl_root_cert: \"system\": cannot read SSL_CERT_FILE {}:",
                missing.display()
            )),
            "{e}"
        );
        std::fs::write(dir.path().join("README"), b"not a certificate").unwrap();
        let e = read(&Sources {
            file: None,
            dirs: vec![dir.path().to_path_buf()],
            from_env: true,
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("has no usable certificates"), "{e}");
    }
}
