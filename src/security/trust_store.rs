//! The trust anchors an `ssl_root_cert` value names, read from the disk:
//! the PEM file at that path, or the operating system's store for
//! `system` (`SSL_CERT_FILE` / `SSL_CERT_DIR`, else the usual bundle
//! files). The rules and messages are the domain's
//! (`domain::root_cert`, `domain::system_store`); this file only reads.
//!
//! The settings handlers call [`check`] after parsing; the connect functions
//! call it again before each connect, and the TLS relay (`db::tls`) trusts
//! exactly what [`load`] returns, so what validation accepted is what
//! connects.
//!
//! [`load`] keeps the roots' whole certificates beside the store
//! ([`TrustRoots`]): rustls' `RootCertStore` keeps only each anchor's
//! subject, key and name constraints, and OpenSSL (so libpq) also checks a
//! root's own validity dates and CA extensions (issue #22).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::io::AsyncReadExt;

use crate::domain::ValidationError;
use crate::domain::root_cert::{self, MAX_BYTES, SYSTEM};
use crate::domain::system_store::{self, MAX_FILE_BYTES, Sources};

/// Reads `path` and checks that it holds at least one PEM certificate and
/// nothing the TLS stack would refuse.
///
/// Errors read `ssl_root_cert: cannot read <path>: <os error>`,
/// `ssl_root_cert: <path> is not a regular file`, or
/// `ssl_root_cert: <path> …` naming what is wrong with the content.
pub async fn check(path: &str) -> Result<(), ValidationError> {
    load(path).await.map(drop)
}

/// The trust anchors an `ssl_root_cert` value names, with their
/// certificates.
#[derive(Debug, Clone)]
pub struct TrustRoots {
    /// The anchors as rustls and webpki take them.
    pub store: RootCertStore,
    /// Every certificate read (those the store could not use included),
    /// for what the store drops: the dates and extensions OpenSSL checks
    /// on a root (`db::tls` matches them to the store's anchors).
    pub certs: Vec<CertificateDer<'static>>,
}

/// The PEM certificates in `data`, as they were read (unparsable sections
/// skipped; `root_cert::check_pem` has refused those for a file).
fn pem_certificates(data: &[u8]) -> impl Iterator<Item = CertificateDer<'static>> + '_ {
    CertificateDer::pem_slice_iter(data).filter_map(Result::ok)
}

/// The trust anchors `value` names: the certificates of the PEM file at
/// that path, or the operating system's store for `system`. Nothing else
/// is ever added. Errors as for [`check`].
pub async fn load(value: &str) -> Result<TrustRoots, ValidationError> {
    if value == SYSTEM {
        return load_system().await;
    }
    let path = value;
    let cannot_read = |e: std::io::Error| root_cert::cannot_read(path, &e);
    // Before opening: opening a FIFO for reading would block until a writer appears.
    let meta = tokio::fs::metadata(path).await.map_err(cannot_read)?;
    if !meta.is_file() {
        return Err(root_cert::not_a_regular_file(path));
    }
    let file = tokio::fs::File::open(path).await.map_err(cannot_read)?;
    let mut data = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut data)
        .await
        .map_err(cannot_read)?;
    if data.len() as u64 > MAX_BYTES {
        return Err(root_cert::too_large(path));
    }
    let store = root_cert::check_pem(path, &data)?;
    Ok(TrustRoots {
        store,
        certs: pem_certificates(&data).collect(),
    })
}

/// The operating system's store, reading the environment now (the files may
/// change, so every relay start reads them again).
async fn load_system() -> Result<TrustRoots, ValidationError> {
    let sources = named_sources(
        std::env::var_os("SSL_CERT_FILE"),
        std::env::var_os("SSL_CERT_DIR"),
        |p| p.is_file(),
    );
    tokio::task::spawn_blocking(move || read(&sources))
        .await
        .map_err(|_| system_store::read_failed())?
}

/// The sources the two variables name (empty ones count as unset; the
/// folders `:`-separated as OpenSSL splits them), or the defaults.
fn named_sources(
    file: Option<OsString>,
    dir: Option<OsString>,
    exists: impl Fn(&Path) -> bool,
) -> Sources {
    let file = file.filter(|f| !f.is_empty()).map(PathBuf::from);
    let dirs: Vec<PathBuf> = dir
        .filter(|d| !d.is_empty())
        .map(|d| std::env::split_paths(&d).collect())
        .unwrap_or_default();
    system_store::sources(file, dirs, exists)
}

fn read(sources: &Sources) -> Result<TrustRoots, ValidationError> {
    let mut store = RootCertStore::empty();
    let mut certs = Vec::new();
    let mut read_from = Vec::new();
    if let Some(file) = &sources.file {
        match read_file(file) {
            Ok(data) => {
                system_store::add_pem(&mut store, &data);
                certs.extend(pem_certificates(&data));
            }
            Err(e) if sources.from_env => return Err(system_store::env_file_unreadable(file, &e)),
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
                    system_store::add_pem(&mut store, &data);
                    certs.extend(pem_certificates(&data));
                }
            }
        }
        read_from.push(dir.display().to_string());
    }
    if store.is_empty() {
        return Err(system_store::no_usable_certificates(&read_from));
    }
    Ok(TrustRoots { store, certs })
}

/// A regular file (symlinks followed, as the hashed links in `/etc/ssl/certs` are).
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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

    #[test]
    fn environment_names_the_only_sources() {
        let s = named_sources(Some("/a.pem".into()), None, |_| true);
        assert_eq!(
            s,
            Sources {
                file: Some("/a.pem".into()),
                dirs: vec![],
                from_env: true
            }
        );
        let s = named_sources(None, Some("/d1:/d2".into()), |_| true);
        assert_eq!(s.file, None);
        assert_eq!(s.dirs, [PathBuf::from("/d1"), PathBuf::from("/d2")]);
        // Empty variables count as unset.
        let s = named_sources(Some("".into()), Some("".into()), |p| {
            p == Path::new("/etc/ssl/cert.pem")
        });
        assert_eq!(s.file, Some(PathBuf::from("/etc/ssl/cert.pem")));
        assert!(!s.from_env);
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
