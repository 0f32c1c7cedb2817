//! Reading a secret file only when nobody else could have written or read it.
//!
//! Owns the load-time checks DESIGN.md asks for on `fernet.key` and
//! `db_credentials.enc`: the file must be a regular file (not a symlink),
//! owned by the effective user, accessible by nobody else (no group/other
//! permission bits on Unix, no ACE for another user on Windows: see
//! [`crate::platform::file_privacy`]).
//!
//! Decision: such a file is **refused, not repaired**. A key that others could
//! read may already be copied, and a file someone else owns or points us to
//! (symlink) may be planted; silently `chmod`-ing it would hide that. The load
//! reports why; the next save moves the refused file aside as
//! `<name>.corrupt-<timestamp>` and writes fresh owner-only files.
//!
//! The checks are race-free: the file is opened without following a symlink
//! (one swapped in after the `lstat` fails to open) and without blocking (a
//! FIFO swapped in cannot hang us), and the decisive checks run on the opened
//! file's own metadata, so what is checked is exactly what is read.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use crate::platform::{self, Exposure, Opened, OwnerId, Privacy};

/// Largest file accepted. A credential token for the longest allowed fields is
/// a few KiB; anything far larger is not ours and is not read into memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Why a secret file was not read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadRefused {
    /// The path is a symbolic link (it could point anywhere).
    #[error("is a symbolic link")]
    Symlink,
    /// A directory, FIFO, socket or device.
    #[error("is not a regular file")]
    NotRegular,
    /// Owned by a different user than the one running taskflowd.
    #[error(
        "is owned by another user ({} {owner}, expected {expected})",
        platform::OWNER_LABEL
    )]
    OtherOwner {
        /// The file's owner.
        owner: OwnerId,
        /// The user running taskflowd.
        expected: OwnerId,
    },
    /// Readable or writable by group or others.
    #[error("is accessible by group or others ({})", .found.describe_file())]
    TooOpen {
        /// The permission bits (or access entries) found.
        found: Exposure,
    },
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("is too large to be a taskflowd file")]
    TooLarge,
    /// The file system refused (permissions, I/O error…).
    #[error("cannot be read: {0}")]
    Io(#[source] Arc<io::Error>),
}

/// Reads `path` if it passes the owner-only checks.
///
/// `Ok(None)` when the file does not exist.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>, ReadRefused> {
    // lstat first, for a clear message when the name itself is a symlink.
    let pre = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadRefused::Io(Arc::new(e))),
    };
    if pre.file_type().is_symlink() {
        return Err(ReadRefused::Symlink);
    }
    let file = match platform::open_nofollow(path) {
        Ok(Opened::File(f)) => f,
        Ok(Opened::Missing) => return Ok(None),
        Ok(Opened::Symlink) => return Err(ReadRefused::Symlink),
        Err(e) => return Err(ReadRefused::Io(Arc::new(e))),
    };
    check(&file)?;
    read_limited(file)
}

/// The owner-only rules, applied to the opened file itself.
fn check(file: &File) -> Result<(), ReadRefused> {
    let io = |e| ReadRefused::Io(Arc::new(e));
    let meta = file.metadata().map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(ReadRefused::NotRegular);
    }
    match platform::file_privacy(file).map_err(io)? {
        Privacy::Private => {}
        Privacy::OtherOwner { owner, expected } => {
            return Err(ReadRefused::OtherOwner { owner, expected });
        }
        Privacy::Exposed(found) => return Err(ReadRefused::TooOpen { found }),
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadRefused::TooLarge);
    }
    Ok(())
}

fn read_limited(file: File) -> Result<Option<Vec<u8>>, ReadRefused> {
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadRefused::Io(Arc::new(e)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadRefused::TooLarge);
    }
    Ok(Some(bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Writes `bytes`; on Unix also sets `mode` (elsewhere the file keeps
    /// the access it was created with).
    fn write_mode(p: &Path, bytes: &[u8], mode: u32) {
        std::fs::write(p, bytes).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
    }

    #[test]
    fn reads_owner_only_file_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        assert!(read(&p).unwrap().is_none());
        write_mode(&p, b"abc", 0o600);
        assert_eq!(read(&p).unwrap().unwrap(), b"abc");
        write_mode(&p, b"abc", 0o400);
        assert_eq!(read(&p).unwrap().unwrap(), b"abc");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_group_or_other_bits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602] {
            write_mode(&p, b"abc", mode);
            let e = read(&p).unwrap_err();
            assert!(matches!(e, ReadRefused::TooOpen { .. }), "{mode:o}: {e}");
            assert!(e.to_string().contains(&format!("{mode:04o}")), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlink_even_to_a_good_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        write_mode(&target, b"abc", 0o600);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(read(&link), Err(ReadRefused::Symlink)));
        // A dangling symlink is refused too, not treated as missing.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nothing"), &dangling).unwrap();
        assert!(matches!(read(&dangling), Err(ReadRefused::Symlink)));
    }

    #[test]
    fn refuses_directories_and_huge_files() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(matches!(read(&sub), Err(ReadRefused::NotRegular)));
        let big = dir.path().join("big");
        write_mode(&big, &vec![b'a'; (MAX_FILE_BYTES + 1) as usize], 0o600);
        assert!(matches!(read(&big), Err(ReadRefused::TooLarge)));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_file_owned_by_another_user() {
        // Only root can give a file away; elsewhere this case is covered by
        // the check itself being a plain uid comparison.
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_mode(&p, b"abc", 0o600);
        nix::unistd::chown(&p, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        let e = read(&p).unwrap_err();
        assert!(
            matches!(
                e,
                ReadRefused::OtherOwner {
                    owner: OwnerId(65534),
                    ..
                }
            ),
            "{e}"
        );
    }
}
