//! Where the key and credential files live, and how that folder is created.
//!
//! The folder is the explicit path from configuration (`TASKFLOW_CONFIG_DIR`)
//! when given, else the platform's local config folder for TaskFlow
//! ([`crate::platform::default_config_dir`]: `~/.config/taskflow` on Linux,
//! `~/Library/Application Support/TaskFlow` on macOS, `%LOCALAPPDATA%\TaskFlow`
//! on Windows). Resolving never touches the disk: the folder is created only
//! by the first save (owner-only: mode 0700, or a current-user DACL), never
//! by a load, a `test-connection` or a test that only reads.
//!
//! An existing folder is checked too ([`secure`], [`check`]): one owned by
//! another user is refused (whoever owns it can rename or remove our files
//! at will, and we cannot take it back); one of ours that is open to group
//! or others (`0755` because a user, a backup restore or a sync tool made
//! it; on Windows, an access list granting others) is tightened to
//! owner-only with a warning naming the old access, at the
//! daemon's start and before every write. Tightening our own folder only
//! removes access nobody was meant to have, and refusing it would leave the
//! user with a daemon that will not save until they find `chmod` — while
//! the files inside stay protected by their own 0600 checks either way.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::platform::{self, Exposure, OwnerId, Privacy};

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
    platform::default_config_dir().ok_or(NoConfigDir)
}

/// Creates `dir` (and missing parents) owner-only (mode 0700) if it does
/// not exist.
///
/// The access is given at creation, not set afterwards, so the folder is
/// never briefly open to others. An existing folder is left as it is.
pub fn ensure_exists(dir: &Path) -> io::Result<()> {
    platform::create_private_dir_all(dir)
}

/// Why an existing config folder is not used. `Display` names the folder
/// and what to do; it is the `<why>` of a load or save error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FolderRefused {
    /// Owned by a different user than the one running taskflowd.
    #[error(
        "the config folder {} is owned by another user ({} {owner}, expected {expected}); \
         use a folder of your own (TASKFLOW_CONFIG_DIR)",
        .path.display(), platform::OWNER_LABEL
    )]
    OtherOwner {
        /// The folder.
        path: PathBuf,
        /// Its owner.
        owner: OwnerId,
        /// The user running taskflowd.
        expected: OwnerId,
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

/// Checks an existing `dir` and tightens it to owner-only if others have
/// any access, logging a warning with the old access. Returns the old access
/// when it changed it. A missing folder is fine (nothing to secure yet).
///
/// The check and the change apply to the same folder (on Unix one opened
/// descriptor: `fstat`, `fchmod`), so what is checked is what is changed. A
/// symlinked folder is followed: pointing the config folder elsewhere is a
/// normal setup, and the target is what gets checked.
pub fn secure(dir: &Path) -> Result<Option<Exposure>, FolderRefused> {
    let Some(old) = inspect(dir, true)? else {
        return Ok(None);
    };
    tracing::warn!(
        dir = %dir.display(),
        old_mode = %old,
        "config folder was open to group or others; tightened to {}",
        platform::PRIVATE_FOLDER
    );
    Ok(Some(old))
}

/// The same owner rules as [`secure`] without changing anything (for
/// loads, which never write). A folder open to others is not an error here;
/// the daemon's start and the next write tighten it.
pub fn check(dir: &Path) -> Result<(), FolderRefused> {
    inspect(dir, false).map(|_| ())
}

/// Applies the owner rule to an existing `dir` (anything but a folder is
/// an error) and, with `tighten`, makes it owner-only: the access others had,
/// if any.
fn inspect(dir: &Path, tighten: bool) -> Result<Option<Exposure>, FolderRefused> {
    match platform::folder_privacy(dir, tighten).map_err(|e| io_error(dir, e))? {
        None | Some(Privacy::Private) => Ok(None),
        Some(Privacy::OtherOwner { owner, expected }) => Err(FolderRefused::OtherOwner {
            path: dir.to_path_buf(),
            owner,
            expected,
        }),
        Some(Privacy::Exposed(old)) => Ok(Some(old)),
    }
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

    #[test]
    fn explicit_path_wins_and_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg");
        assert_eq!(resolve(Some(&p)).unwrap(), p);
        assert!(!p.exists(), "resolving must not create the folder");
    }

    #[cfg(unix)]
    #[test]
    fn default_is_the_taskflow_local_config_dir() {
        // HOME is set in every environment these tests run in. On Linux the
        // `directories` crate lowercases the name (`~/.config/taskflow`).
        let p = resolve(None).unwrap();
        let last = p.file_name().unwrap().to_string_lossy().to_lowercase();
        assert_eq!(last, "taskflow", "{}", p.display());
    }

    #[cfg(unix)]
    #[test]
    fn created_with_mode_0700_recursively() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a").join("b");
        ensure_exists(&p).unwrap();
        for d in [dir.path().join("a"), p.clone()] {
            assert_eq!(mode(&d), 0o700, "{}", d.display());
        }
        ensure_exists(&p).unwrap(); // idempotent
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    fn set_mode(p: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_loose_folder_of_ours_is_tightened_and_a_private_one_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg");
        assert_eq!(secure(&p).unwrap(), None, "missing: nothing to do");
        assert!(!p.exists(), "securing must not create the folder");
        ensure_exists(&p).unwrap();
        std::fs::write(p.join("keep"), b"x").unwrap();
        for loose in [0o755, 0o750, 0o701, 0o777, 0o770] {
            set_mode(&p, loose);
            check(&p).unwrap();
            assert_eq!(mode(&p), loose, "check must not chmod");
            assert_eq!(secure(&p).unwrap(), Some(Exposure { mode: loose }));
            assert_eq!(mode(&p), 0o700);
        }
        assert_eq!(secure(&p).unwrap(), None);
        assert_eq!(
            std::fs::read(p.join("keep")).unwrap(),
            b"x",
            "contents kept"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_folder_is_followed_and_its_target_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        std::fs::create_dir(&target).unwrap();
        set_mode(&target, 0o755);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(secure(&link).unwrap(), Some(Exposure { mode: 0o755 }));
        assert_eq!(mode(&target), 0o700);
    }

    #[cfg(unix)]
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

    #[cfg(unix)]
    #[test]
    fn a_folder_owned_by_another_user_is_refused_and_not_changed() {
        if !nix::unistd::geteuid().is_root() {
            return; // only root can give a folder away
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg");
        std::fs::create_dir(&p).unwrap();
        set_mode(&p, 0o755);
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
