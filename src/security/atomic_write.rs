//! Atomic, durable replacement of one file in a folder.
//!
//! Owns the "write a new file beside the old one, fsync it, rename it over
//! the old one, fsync the folder" sequence that DESIGN.md requires for every
//! write in the config folder, so that a crash or `kill -9` at any moment
//! leaves either the old or the new bytes under the final name, never a
//! truncated mix. The temporary file gets a random `tempfile` name in the
//! target folder (same file system, so the rename is atomic) and is created
//! owner-only by [`crate::platform::create_private_file`] — mode 0600 or a
//! current-user DACL set at creation, never by a later change. How the rename
//! is made durable is the platform's ([`crate::platform::persist_replace`]).
//!
//! Callers pass only ciphertext or key material: no plaintext credentials
//! ever reach this module, so a temporary file left behind by a crash holds
//! nothing readable without the key.

use std::io::{self, Write};
use std::path::Path;

use crate::platform;

/// Name prefix of every temporary file this module creates, so that stale
/// ones left by a crash can be recognised (and removed under the folder lock).
pub const TEMP_PREFIX: &str = ".taskflowd-tmp-";

/// Writes `bytes` to `dir/name`, replacing any existing file atomically.
///
/// When this returns `Ok`, the new content is on disk and the rename is
/// durable.
pub fn replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(dir, name, bytes)?;
    platform::persist_replace(tmp, &dir.join(name))
}

/// Writes `bytes` to `dir/name` only if no file of that name exists
/// (no-clobber, atomic: `renameat2(RENAME_NOREPLACE)` or link/unlink).
///
/// Returns `Ok(true)` when this call created the file (durably), and
/// `Ok(false)` when another writer had already created it: the caller must
/// then use theirs.
pub fn create_new(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<bool> {
    let tmp = write_temp(dir, name, bytes)?;
    platform::persist_new(tmp, &dir.join(name))
}

/// Makes a preceding rename in `dir` durable (see [`platform::sync_dir`]).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    platform::sync_dir(dir)
}

/// Removes temporary files a crashed writer left in `dir`.
///
/// Only call this while holding the folder's exclusive write lock: a live
/// writer's temp file would otherwise be pulled from under it. Errors are
/// ignored (a leftover temp file holds only ciphertext and is harmless).
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Creates an owner-only temp file in `dir`, writes `bytes`, flushes it to
/// the disk and closes it (Windows renames only closed files reliably). The
/// returned path removes the file when dropped unless persisted.
fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<tempfile::TempPath> {
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{name}."))
        .make_in(dir, platform::create_private_file)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp.into_temp_path())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::security::test_support::names;

    /// The file's access is private (mode 0600 on Unix).
    fn assert_private(p: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
        let file = std::fs::File::open(p).unwrap();
        let privacy = platform::file_privacy(&file).unwrap();
        assert!(
            platform::acls_kept() == Some(false) || privacy == platform::Privacy::Private,
            "{}: {privacy:?}",
            p.display()
        );
    }

    #[test]
    fn replace_writes_0600_and_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        replace(dir.path(), "f", b"one").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"one");
        assert_private(&dir.path().join("f"));
        replace(dir.path(), "f", b"two").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["f"], "no temp file left behind");
    }

    #[test]
    fn create_new_does_not_clobber() {
        let dir = tempfile::tempdir().unwrap();
        assert!(create_new(dir.path(), "k", b"first").unwrap());
        assert_private(&dir.path().join("k"));
        assert!(!create_new(dir.path(), "k", b"second").unwrap());
        assert_eq!(std::fs::read(dir.path().join("k")).unwrap(), b"first");
        assert_eq!(names(dir.path()), ["k"], "losing temp file is removed");
    }

    #[test]
    fn missing_folder_is_an_error_not_a_creation() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(replace(&missing, "f", b"x").is_err());
        assert!(!missing.exists());
    }

    #[test]
    fn stale_temps_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{TEMP_PREFIX}f.abc")), b"x").unwrap();
        std::fs::write(dir.path().join("keep"), b"x").unwrap();
        remove_stale_temps(dir.path());
        assert_eq!(names(dir.path()), ["keep"]);
    }
}
