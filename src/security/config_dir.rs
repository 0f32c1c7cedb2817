//! Where the key and credential files live, and how that folder is created.
//!
//! The folder is the explicit path from configuration (`TASKFLOW_CONFIG_DIR`)
//! when given, else the platform's local config folder for TaskFlow
//! (`directories::ProjectDirs::from("", "", "TaskFlow").config_local_dir()`,
//! e.g. `~/.config/taskflow` on Linux, `~/Library/Application Support/TaskFlow` on macOS). Resolving never touches the disk:
//! the folder is created only by the first save (mode 0700), never by a load,
//! a `test-connection` or a test that only reads.
//!
//! An existing folder is checked too ([`secure`], [`check`]): one owned by
//! another user is refused (whoever owns it can rename or remove our files
//! at will, and we cannot take it back); one of ours that is open to group
//! or others (`0755` because a user, a backup restore or a sync tool made
//! it) is tightened to 0700 with a warning naming the old mode, at the
//! daemon's start and before every write. Tightening our own folder only
//! removes access nobody was meant to have, and refusing it would leave the
//! user with a daemon that will not save until they find `chmod` — while
//! the files inside stay protected by their own 0600 checks either way.

use std::fs::{DirBuilder, File};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::owner_only::open_existing;

/// The platform could not name a config folder (no home directory) and none
/// was configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no configuration folder: the platform config folder cannot be determined (no home directory); set TASKFLOW_CONFIG_DIR"
)]
pub struct NoConfigDir;

/// Resolves the config folder: `explicit` if given, else the platform default.
/// Pure path computation; nothing is created.
pub fn resolve(explicit: Option<&Path>) -> Result<PathBuf, NoConfigDir> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    directories::ProjectDirs::from("", "", "TaskFlow")
        .map(|dirs| dirs.config_local_dir().to_path_buf())
        .ok_or(NoConfigDir)
}

/// Creates `dir` (and missing parents) with mode 0700 if it does not exist.
///
/// The mode is given at creation (then narrowed by the umask), not set
/// afterwards, so the folder is never briefly open to others. An existing
/// folder is left as it is.
pub fn ensure_exists(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Why an existing config folder is not used. `Display` names the folder
/// and what to do; it is the `<why>` of a load or save error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FolderRefused {
    /// Owned by a different user than the one running taskflowd.
    #[error(
        "the config folder {} is owned by another user (uid {owner}, expected {expected}); \
         use a folder of your own (TASKFLOW_CONFIG_DIR)",
        .path.display()
    )]
    OtherOwner {
        /// The folder.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// Our effective uid.
        expected: u32,
    },
    /// The folder could not be opened (e.g. `Not a directory`: the path or
    /// one of its parents is a file), inspected or tightened.
    #[error("cannot check the config folder {}: {error}", .path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        error: Arc<io::Error>,
    },
}

/// Checks an existing `dir` and tightens it to 0700 if group or others have
/// any access, logging a warning with the old mode. Returns the old mode
/// when it changed it. A missing folder is fine (nothing to secure yet).
///
/// The check and the `chmod` apply to one opened descriptor (`fstat`,
/// `fchmod`), so what is checked is what is changed. A symlinked folder is
/// followed: pointing the config folder elsewhere is a normal setup, and the
/// target is what gets checked.
pub fn secure(dir: &Path) -> Result<Option<u32>, FolderRefused> {
    let Some((file, mode)) = inspect(dir)? else {
        return Ok(None);
    };
    if mode & 0o077 == 0 {
        return Ok(None);
    }
    file.set_permissions(std::fs::Permissions::from_mode(0o700))
        .map_err(|e| io_error(dir, e))?;
    tracing::warn!(
        dir = %dir.display(),
        old_mode = %format!("{mode:04o}"),
        "config folder was open to group or others; tightened to 0700"
    );
    Ok(Some(mode))
}

/// The same owner rules as [`secure`] without changing anything (for
/// loads, which never write). A folder open to others is not an error here;
/// the daemon's start and the next write tighten it.
pub fn check(dir: &Path) -> Result<(), FolderRefused> {
    inspect(dir).map(|_| ())
}

/// Opens `dir` (`O_DIRECTORY`: anything else fails with `ENOTDIR`) and
/// applies the owner rule: `None` when it does
/// not exist, else the open folder and its permission bits.
fn inspect(dir: &Path) -> Result<Option<(File, u32)>, FolderRefused> {
    let Some(file) = open_existing(dir, nix::libc::O_DIRECTORY).map_err(|e| io_error(dir, e))?
    else {
        return Ok(None);
    };
    let meta = file.metadata().map_err(|e| io_error(dir, e))?;
    let expected = nix::unistd::geteuid().as_raw();
    if meta.uid() != expected {
        return Err(FolderRefused::OtherOwner {
            path: dir.to_path_buf(),
            owner: meta.uid(),
            expected,
        });
    }
    Ok(Some((file, meta.mode() & 0o777)))
}

fn io_error(dir: &Path, e: io::Error) -> FolderRefused {
    FolderRefused::Io {
        path: dir.to_path_buf(),
        error: Arc::new(e),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn explicit_path_wins_and_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg");
        assert_eq!(resolve(Some(&p)).unwrap(), p);
        assert!(!p.exists(), "resolving must not create the folder");
    }

    #[test]
    fn default_is_the_taskflow_local_config_dir() {
        // HOME is set in every environment these tests run in. On Linux the
        // `directories` crate lowercases the name (`~/.config/taskflow`).
        let p = resolve(None).unwrap();
        let last = p.file_name().unwrap().to_string_lossy().to_lowercase();
        assert_eq!(last, "taskflow", "{}", p.display());
    }

    #[test]
    fn created_with_mode_0700_recursively() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a").join("b");
        ensure_exists(&p).unwrap();
        for d in [dir.path().join("a"), p.clone()] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        ensure_exists(&p).unwrap(); // idempotent
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_loose_folder_of_ours_is_tightened_and_a_private_one_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg");
        assert_eq!(secure(&p).unwrap(), None, "missing: nothing to do");
        assert!(!p.exists(), "securing must not create the folder");
        ensure_exists(&p).unwrap();
        std::fs::write(p.join("keep"), b"x").unwrap();
        for loose in [0o755, 0o750, 0o701, 0o777, 0o770] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(loose)).unwrap();
            check(&p).unwrap();
            assert_eq!(mode(&p), loose, "check must not chmod");
            assert_eq!(secure(&p).unwrap(), Some(loose));
            assert_eq!(mode(&p), 0o700);
        }
        assert_eq!(secure(&p).unwrap(), None);
        assert_eq!(
            std::fs::read(p.join("keep")).unwrap(),
            b"x",
            "contents kept"
        );
    }

    #[test]
    fn a_symlinked_folder_is_followed_and_its_target_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        std::fs::create_dir(&target).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(secure(&link).unwrap(), Some(0o755));
        assert_eq!(mode(&target), 0o700);
    }

    #[test]
    fn a_file_in_place_of_the_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg");
        std::fs::write(&p, b"").unwrap();
        let e = secure(&p).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "cannot check the config folder {}: Not a directory (os error 20)",
                p.display()
            )
        );
        assert!(check(&p).is_err());
    }

    #[test]
    fn a_folder_owned_by_another_user_is_refused_and_not_changed() {
        if !nix::unistd::geteuid().is_root() {
            return; // only root can give a folder away
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg");
        std::fs::create_dir(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        nix::unistd::chown(&p, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        for e in [secure(&p).map(|_| ()).unwrap_err(), check(&p).unwrap_err()] {
            assert_eq!(
                e.to_string(),
                format!(
                    "the config folder {} is owned by another user (uid 65534, expected 0); \
                     use a folder of your own (TASKFLOW_CONFIG_DIR)",
                    p.display()
                )
            );
        }
        assert_eq!(mode(&p), 0o755, "a folder of someone else's is not changed");
    }
}
