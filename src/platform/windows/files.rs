//! Owner-only files and folders by DACL; durable renames by
//! `MoveFileExW(… WRITE_THROUGH)`.
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::Path;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS, ERROR_LOCK_VIOLATION,
    ERROR_SHARING_VIOLATION, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CREATE_NEW, CreateDirectoryW, CreateFileW, FILE_ATTRIBUTE_NORMAL, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_FLAG_OPEN_REPARSE_POINT, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
    MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH, MoveFileExW, OPEN_ALWAYS,
};

use super::kept;
use super::security::{self, PrivateDescriptor, wide};
use super::{Exposure, OwnerId};
use crate::platform::acl::Verdict;
use crate::platform::{Opened, Privacy};

/// How long a rename is retried while another process (an antivirus
/// scanner, a backup or indexing tool) holds the file open.
const RENAME_PATIENCE: Duration = Duration::from_secs(1);

/// `CreateDirectoryW` with the private descriptor for each missing folder,
/// outermost first (like `mkdir -p -m 700`).
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    for at in dir.ancestors() {
        if at.as_os_str().is_empty() {
            break;
        }
        match std::fs::metadata(at) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} is not a folder", at.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(at),
            Err(e) => return Err(e),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let descriptor = PrivateDescriptor::new(true)?;
    let attributes = descriptor.attributes();
    for at in missing.iter().rev() {
        let name = wide(at);
        // SAFETY: `name` is NUL-terminated; `attributes` and the descriptor
        // it points to live until after the call.
        if unsafe { CreateDirectoryW(name.as_ptr(), &attributes) } == 0 {
            let e = io::Error::last_os_error();
            // Created meanwhile by someone else: fine if it is a folder.
            if e.raw_os_error() != Some(ERROR_ALREADY_EXISTS as i32) || !at.is_dir() {
                return Err(e);
            }
        }
    }
    kept::note_read_back(dir, &security::verdict_of_path(dir)?);
    Ok(())
}

/// `CreateFileW(CREATE_NEW)` with the private descriptor: the access is
/// the file's from its first instant.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let file = create_file(path, CREATE_NEW, 0)?;
    kept::note_read_back(path, &security::verdict_of_handle(file.as_raw_handle())?);
    Ok(file)
}

/// Append, create; no descriptor can be given through `OpenOptions`, so a
/// new file takes the inheritable owner-only entry of the private folder
/// it is created in ([`create_private_dir_all`]).
pub fn private_append_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true).append(true).create(true);
    o
}

/// `OPEN_ALWAYS` with the private descriptor (applied only if it creates
/// the file) and `FILE_FLAG_OPEN_REPARSE_POINT`: a symlink is opened as
/// itself, then refused.
pub fn open_private_lock_file(path: &Path) -> io::Result<File> {
    let file = create_file(path, OPEN_ALWAYS, FILE_FLAG_OPEN_REPARSE_POINT)?;
    if file.metadata()?.file_type().is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a symbolic link",
        ));
    }
    Ok(file)
}

fn create_file(path: &Path, disposition: u32, flags: u32) -> io::Result<File> {
    let descriptor = PrivateDescriptor::new(false)?;
    let attributes = descriptor.attributes();
    let name = wide(path);
    // SAFETY: `name` is NUL-terminated; `attributes` (and the descriptor it
    // points to) live until after the call; no template handle.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &attributes,
            disposition,
            FILE_ATTRIBUTE_NORMAL | flags,
            std::ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a valid handle just opened for us; File closes it once.
    Ok(File::from(unsafe { OwnedHandle::from_raw_handle(handle) }))
}

/// `FILE_FLAG_OPEN_REPARSE_POINT` opens a symlink (or junction) as itself,
/// which is then reported; `FILE_FLAG_BACKUP_SEMANTICS` lets a folder open
/// too, so it is reported as "not a regular file" rather than "access
/// denied". Windows has no FIFOs to block on.
pub fn open_nofollow(path: &Path) -> io::Result<Opened> {
    match OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)
    {
        Ok(f) if f.metadata()?.file_type().is_symlink() => Ok(Opened::Symlink),
        Ok(f) => Ok(Opened::File(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Opened::Missing),
        Err(e) => Err(e),
    }
}

pub fn file_privacy(file: &File) -> io::Result<Privacy> {
    Ok(privacy(security::verdict_of_handle(file.as_raw_handle())?))
}

/// The verdict as the portable [`Privacy`]. Where this machine was seen not
/// to keep access lists, nothing here can be trusted or fixed: it passes
/// (after the one warning [`kept::note_read_back`] logged).
fn privacy(verdict: Verdict) -> Privacy {
    if verdict == Verdict::Private || kept::acls_kept() == Some(false) {
        return Privacy::Private;
    }
    match verdict {
        Verdict::OtherOwner { owner } => Privacy::OtherOwner {
            owner: OwnerId(owner),
            expected: OwnerId(security::current_sid().unwrap_or("?").to_owned()),
        },
        other => Privacy::Exposed(Exposure(other)),
    }
}

/// Checked by name (`GetNamedSecurityInfoW`), never `File::open(dir)`,
/// which fails on a folder. Tightening sets the protected private DACL,
/// then reads it back.
pub fn folder_privacy(dir: &Path, tighten: bool) -> io::Result<Option<Privacy>> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(not_a_folder(dir)),
        // "Missing" only if the nearest existing ancestor is a folder: a path
        // through a file is an error, as `ENOTDIR` is on Unix.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return match dir.ancestors().skip(1).find(|a| a.exists()) {
                Some(blocker) if !blocker.is_dir() => Err(not_a_folder(blocker)),
                _ => Ok(None),
            };
        }
        Err(e) => return Err(e),
    }
    let found = privacy(security::verdict_of_path(dir)?);
    if tighten && matches!(found, Privacy::Exposed(_)) {
        PrivateDescriptor::new(true)?.apply_dacl(dir)?;
        kept::note_read_back(dir, &security::verdict_of_path(dir)?);
    }
    Ok(Some(found))
}

fn not_a_folder(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotADirectory,
        format!("Not a directory: {} is a file", path.display()),
    )
}

pub fn persist_replace(tmp: tempfile::TempPath, to: &Path) -> io::Result<()> {
    move_file(tmp, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).map(|_| ())
}

/// Without `MOVEFILE_REPLACE_EXISTING` the move fails if `to` exists: an
/// atomic no-clobber.
pub fn persist_new(tmp: tempfile::TempPath, to: &Path) -> io::Result<bool> {
    move_file(tmp, to, MOVEFILE_WRITE_THROUGH)
}

/// `MoveFileExW`, retried for [`RENAME_PATIENCE`] on sharing and access
/// errors (another process has one of the files open). `Ok(false)` when
/// `to` exists and `flags` does not replace; `tmp` is removed unless moved.
fn move_file(mut tmp: tempfile::TempPath, to: &Path, flags: u32) -> io::Result<bool> {
    let from = wide(&tmp);
    let dest = wide(to);
    let deadline = Instant::now() + RENAME_PATIENCE;
    loop {
        // SAFETY: both names are NUL-terminated.
        if unsafe { MoveFileExW(from.as_ptr(), dest.as_ptr(), flags) } != 0 {
            tmp.disable_cleanup(true); // it is `to` now
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        let code = e.raw_os_error().unwrap_or(0) as u32;
        if code == ERROR_ALREADY_EXISTS || code == ERROR_FILE_EXISTS {
            return Ok(false);
        }
        let busy = [
            ERROR_SHARING_VIOLATION,
            ERROR_ACCESS_DENIED,
            ERROR_LOCK_VIOLATION,
        ];
        if !busy.contains(&code) || Instant::now() >= deadline {
            return Err(e);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Windows has no folder flush (a folder does not even open without
/// `FILE_FLAG_BACKUP_SEMANTICS`); renames are written through instead.
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn temp_path(dir: &Path, name: &str, bytes: &[u8]) -> tempfile::TempPath {
        use std::io::Write;
        let mut f = tempfile::Builder::new()
            .prefix(name)
            .make_in(dir, create_private_file)
            .unwrap();
        f.write_all(bytes).unwrap();
        f.into_temp_path()
    }

    #[test]
    fn created_files_and_folders_are_private_unless_acls_are_not_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("b");
        create_private_dir_all(&dir).unwrap();
        let f = create_private_file(&dir.join("f")).unwrap();
        let kept = kept::acls_kept() != Some(false);
        for found in [
            file_privacy(&f).unwrap(),
            folder_privacy(&dir, false).unwrap().unwrap(),
        ] {
            assert!(!kept || found == Privacy::Private, "{found:?}");
        }
        assert!(create_private_file(&dir.join("f")).is_err(), "CREATE_NEW");
    }

    #[test]
    fn moves_replace_or_refuse_to_clobber() {
        let tmp = tempfile::tempdir().unwrap();
        let to = tmp.path().join("k");
        assert!(persist_new(temp_path(tmp.path(), "t", b"one"), &to).unwrap());
        assert!(!persist_new(temp_path(tmp.path(), "t", b"two"), &to).unwrap());
        assert_eq!(std::fs::read(&to).unwrap(), b"one");
        persist_replace(temp_path(tmp.path(), "t", b"three"), &to).unwrap();
        assert_eq!(std::fs::read(&to).unwrap(), b"three");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file left: {left:?}");
    }

    #[test]
    fn a_folder_opens_without_following_and_is_not_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        match open_nofollow(tmp.path()).unwrap() {
            Opened::File(f) => assert!(f.metadata().unwrap().is_dir()),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            open_nofollow(&tmp.path().join("none")).unwrap(),
            Opened::Missing
        ));
        let lock = open_private_lock_file(&tmp.path().join("l")).unwrap();
        lock.lock().unwrap();
    }

    #[test]
    fn a_folder_path_through_a_file_is_an_error_not_missing() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(
            folder_privacy(&tmp.path().join("none"), false)
                .unwrap()
                .is_none()
        );
        let file = tmp.path().join("file");
        std::fs::write(&file, b"").unwrap();
        for dir in [file.clone(), file.join("cfg")] {
            let e = folder_privacy(&dir, false).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::NotADirectory, "{e}");
        }
    }
}
