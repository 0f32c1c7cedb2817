//! Owner-only files and folders by mode and uid; durable renames by fsync.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::{Exposure, OwnerId};
use crate::platform::{Opened, Privacy};

/// 0700 given to `mkdir` (then narrowed by the umask), recursively.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// `O_CREAT | O_EXCL` (never follows a symlink) with mode 0600.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Append, create with mode 0600 (narrowed further by the umask only).
pub fn private_append_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true).append(true).create(true).mode(0o600);
    o
}

pub fn open_private_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}

pub fn open_nofollow(path: &Path) -> io::Result<Opened> {
    match open_existing(path, nix::libc::O_NOFOLLOW) {
        Ok(Some(f)) => Ok(Opened::File(f)),
        Ok(None) => Ok(Opened::Missing),
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => Ok(Opened::Symlink),
        Err(e) => Err(e),
    }
}

/// Opens `path` read-only with `flags` added, and `O_NONBLOCK` so that a
/// FIFO planted under the name cannot block the open; `None` when nothing is
/// there.
fn open_existing(path: &Path, flags: i32) -> io::Result<Option<File>> {
    match OpenOptions::new()
        .read(true)
        .custom_flags(flags | nix::libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn file_privacy(file: &File) -> io::Result<Privacy> {
    Ok(privacy(&file.metadata()?))
}

/// The owner rule first (another user's file is refused whatever its mode),
/// then no group/other bits.
fn privacy(meta: &Metadata) -> Privacy {
    let expected = nix::unistd::geteuid().as_raw();
    if meta.uid() != expected {
        return Privacy::OtherOwner {
            owner: OwnerId(meta.uid()),
            expected: OwnerId(expected),
        };
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Privacy::Exposed(Exposure { mode });
    }
    Privacy::Private
}

/// Opens `dir` (`O_DIRECTORY`: anything else fails with `ENOTDIR`); the
/// check and the `chmod` apply to that one descriptor (`fstat`, `fchmod`),
/// so what is checked is what is changed.
pub fn folder_privacy(dir: &Path, tighten: bool) -> io::Result<Option<Privacy>> {
    let Some(file) = open_existing(dir, nix::libc::O_DIRECTORY)? else {
        return Ok(None);
    };
    let found = privacy(&file.metadata()?);
    if tighten && matches!(found, Privacy::Exposed(_)) {
        file.set_permissions(std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(Some(found))
}

/// `rename(2)`, then the folder's fsync.
pub fn persist_replace(tmp: tempfile::TempPath, to: &Path) -> io::Result<()> {
    tmp.persist(to).map_err(|e| e.error)?;
    sync_parent(to)
}

/// `renameat2(RENAME_NOREPLACE)` (or link + unlink), then the folder's fsync.
pub fn persist_new(tmp: tempfile::TempPath, to: &Path) -> io::Result<bool> {
    match tmp.persist_noclobber(to) {
        Ok(()) => {
            sync_parent(to)?;
            Ok(true)
        }
        // The temp file is removed when `e.path` drops.
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.error),
    }
}

fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => sync_dir(Path::new(".")),
    }
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
