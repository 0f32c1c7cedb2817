//! Where the key and credential files live, and how that folder is created.
//!
//! The folder is the explicit path from configuration (`TASKFLOW_CONFIG_DIR`)
//! when given, else the platform's local config folder for TaskFlow
//! (`directories::ProjectDirs::from("", "", "TaskFlow").config_local_dir()`,
//! e.g. `~/.config/taskflow` on Linux, `~/Library/Application Support/TaskFlow` on macOS). Resolving never touches the disk:
//! the folder is created only by the first save (mode 0700), never by a load,
//! a `test-connection` or a test that only reads.

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

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
}
