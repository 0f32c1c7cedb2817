//! `taskflowd.log`: the same lines as stderr, in a file that outlives the
//! desktop shell that discarded stderr (DESIGN.md "Operators").
//!
//! The pieces are the field's: file-rotate's writer rotates by size
//! (`taskflowd.log` → `.1` → … → `.3`, the oldest deleted), so a daemon that
//! runs for months keeps at most `(LOG_FILES_KEPT + 1) × log_max_bytes` (plus
//! a line each); tracing-appender's non-blocking writer puts it behind a
//! worker thread and a bounded queue that drops lines rather than wait, so a
//! slow or full disk never stalls a request. Files are created owner-only
//! ([`crate::platform::private_append_options`]) in an owner-only folder.
//!
//! A folder or file that cannot be used is never a reason not to serve: the
//! caller logs the reason once as a warning and the daemon goes on with
//! stderr alone.

use std::path::{Path, PathBuf};

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};

use crate::config::policy::LOG_FILES_KEPT;
use crate::platform::{self, Privacy};

/// Lines waiting for the writer thread before new ones are dropped. The
/// queue's slots are allocated (and touched) up front: tracing-appender's
/// default of 128 000 is about 4 MiB of resident memory, for a daemon whose
/// whole budget is 20 MiB idle; 16 384 (about 0.5 MiB) still holds a
/// `trace` burst of several hundred requests while the disk stalls.
const QUEUED_LINES: usize = 16_384;

/// An opened log file: the writer for the subscriber and the guard that
/// flushes the queue when dropped (keep it until the process ends).
pub struct LogFile {
    /// Hands lines to the worker thread.
    pub writer: NonBlocking,
    /// Flushes and stops the worker thread when dropped.
    pub guard: WorkerGuard,
    /// Set when an existing folder was open to others and has been made
    /// owner-only: its old access, for a warning once logging runs.
    pub tightened: Option<String>,
}

/// Why the log file is not written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the log file {path}: {reason}; logging to stderr only")]
pub struct LogFileError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// Creates the folder (owner-only) if missing, opens `path` for appending
/// (owner-only if new) and starts the writer. `max_bytes` ≥ 1 (the settings
/// check guarantees [`crate::config::policy::LOG_MIN_BYTES`]).
pub fn open(path: &Path, max_bytes: u64) -> Result<LogFile, LogFileError> {
    let fail = |reason: String| LogFileError {
        path: path.to_owned(),
        reason,
    };
    let dir = path
        .parent()
        .ok_or_else(|| fail("the path has no folder".to_owned()))?;
    let tightened = prepare_folder(dir).map_err(&fail)?;
    // file-rotate opens the file itself and would silently write nowhere if
    // that failed: open it once here to report why.
    platform::private_append_options()
        .open(path)
        .map_err(|e| fail(e.to_string()))?;
    let limit = usize::try_from(max_bytes.max(1)).unwrap_or(usize::MAX);
    let file = FileRotate::new(
        path,
        AppendCount::new(LOG_FILES_KEPT),
        // Rotates after the line that crosses the size: lines are never split.
        ContentLimit::BytesSurpassed(limit),
        Compression::None,
        Some(platform::private_append_options()),
    );
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("taskflowd-log")
        .finish(file);
    Ok(LogFile {
        writer,
        guard,
        tightened,
    })
}

/// The folder, created owner-only, or an existing one of ours made
/// owner-only (its old access returned); another user's folder is refused.
fn prepare_folder(dir: &Path) -> Result<Option<String>, String> {
    platform::create_private_dir_all(dir).map_err(|e| e.to_string())?;
    match platform::folder_privacy(dir, true).map_err(|e| e.to_string())? {
        Some(Privacy::Private) => Ok(None),
        Some(Privacy::Exposed(old)) => Ok(Some(old.to_string())),
        Some(Privacy::OtherOwner { owner, expected }) => Err(format!(
            "the folder is owned by {} {owner}, not {expected}",
            platform::OWNER_LABEL
        )),
        None => Err("the folder vanished".to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_path_through_a_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        let path = dir.path().join("file").join(crate::config::LOG_FILE_NAME);
        let e = open(&path, 4096).err().unwrap();
        assert!(e.to_string().contains("stderr only"), "{e}");
        assert!(e.to_string().contains("file"), "{e}");
    }

    #[test]
    fn lines_reach_the_file_and_rotation_keeps_a_few_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs").join(crate::config::LOG_FILE_NAME);
        let LogFile {
            mut writer, guard, ..
        } = open(&path, 4096).unwrap();
        for i in 0..2000 {
            writeln!(writer, "line {i} {}", "x".repeat(60)).unwrap();
        }
        drop(guard);
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("logs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "taskflowd.log",
                "taskflowd.log.1",
                "taskflowd.log.2",
                "taskflowd.log.3"
            ]
        );
        let newest = std::fs::read_to_string(&path).unwrap();
        assert!(newest.contains("line 1999 "), "{newest}");
    }
}
