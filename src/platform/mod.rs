//! Every OS-specific operation the daemon uses, behind one small interface.
//!
//! Why a seam: the users run Windows 10/11, development and CI run Linux, and
//! the rules (DESIGN.md "Platforms") are the same on both — only the OS calls
//! differ. Everything outside this module is portable code that calls the
//! functions below; `unix/` and `windows/` hold one implementation each, and
//! nothing else in the daemon names an OS. The pure decisions that Windows
//! needs (which access list is private, the relay's one-time secret) are in
//! modules compiled everywhere, so their tests run on Linux too.
//!
//! | concern | Unix | Windows |
//! |---|---|---|
//! | owner-only files and folders | modes 0600 / 0700 at creation, uid + mode on load | a protected current-user DACL at creation; owner + ACEs on load ([`acl`]) |
//! | open without following a symlink | `O_NOFOLLOW \| O_NONBLOCK` | `FILE_FLAG_OPEN_REPARSE_POINT`, then refuse a symlink or junction |
//! | durable atomic replace | fsync, rename, fsync the folder | `FlushFileBuffers`, `MoveFileExW(REPLACE_EXISTING \| WRITE_THROUGH)`, retried on sharing violations |
//! | writer lock | `flock` (std `File::lock`) | `LockFileEx` (std `File::lock`) |
//! | graceful stop | SIGTERM, SIGINT | Ctrl-C, Ctrl-Break, close and shutdown events |
//! | parent watch | pid + start time (`/proc`) | `OpenProcess(SYNCHRONIZE)` handle |
//! | TLS relay channel | Unix socket in a fresh 0700 folder | loopback TCP + one-time secret ([`relay_secret`]) |
//! | config folder default | `ProjectDirs` config folder (`~/.config/taskflow`) | `%LOCALAPPDATA%\TaskFlow` |
//! | peer owner (same user only) | `sock_diag` netlink: the client socket's uid (Linux; macOS: unsupported, fails closed) | `GetExtendedTcpTable` owner pid → process token SID |
//! | default log folder | `$XDG_STATE_HOME/TaskFlow/logs` (macOS `~/Library/Logs/TaskFlow`) | `%LOCALAPPDATA%\TaskFlow\logs` |
//! | resident memory | `/proc/self/statm` | `K32GetProcessMemoryInfo` |
//! | single instance | `flock` on a lock file held for life (std `File::try_lock`) | `LockFileEx` (std `File::try_lock`) |

use std::fs::File;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as os;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

#[cfg(any(windows, test))]
pub mod acl;
#[cfg(any(windows, test))]
pub mod relay_secret;

pub use os::{Exposure, OwnerId, RelayAcceptor, RelayEndpoint, RelayStream};

/// What the access check of a file or folder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Privacy {
    /// Owned by the current user and accessible by nobody else.
    Private,
    /// Owned by another user: refused, never changed.
    OtherOwner {
        /// The owner found.
        owner: OwnerId,
        /// The current user.
        expected: OwnerId,
    },
    /// Ours, but others have access (the mode or ACEs found).
    Exposed(Exposure),
}

/// What [`open_nofollow`] found under a name.
#[derive(Debug)]
pub enum Opened {
    /// Nothing.
    Missing,
    /// A symbolic link (or another reparse point): never followed.
    Symlink,
    /// The opened file (possibly not a regular one: check its metadata).
    File(File),
}

/// The per-user folder for the key and credentials when none is configured.
/// `None` when the platform cannot name one (no home folder).
pub fn default_config_dir() -> Option<PathBuf> {
    os::default_config_dir()
}

/// The per-user folder for `taskflowd.log` when `TASKFLOW_LOG_DIR` is unset
/// (DESIGN.md "Operators"): Linux `$XDG_STATE_HOME/TaskFlow/logs` (default
/// `~/.local/state/TaskFlow/logs`), macOS `~/Library/Logs/TaskFlow`, Windows
/// `%LOCALAPPDATA%\TaskFlow\logs`. `None` without a home folder.
pub fn default_log_dir() -> Option<PathBuf> {
    os::default_log_dir()
}

/// Options that open a log file for appending, creating it owner-only:
/// mode 0600 on Unix; on Windows the file inherits the private folder's
/// access list (its entry is inheritable, [`acl::private_sddl`]), since
/// `OpenOptions` cannot carry a security descriptor. For a writer that opens
/// files itself (the rotating log file), so the rule is one value.
pub fn private_append_options() -> std::fs::OpenOptions {
    os::private_append_options()
}

/// The process's resident set size in bytes, for `process_resident_memory_bytes`
/// (Linux `/proc/self/statm`, Windows `K32GetProcessMemoryInfo`); `None` where
/// the OS gives no figure (macOS: not looked up yet).
pub fn resident_memory_bytes() -> Option<u64> {
    os::resident_memory_bytes()
}

/// Creates `dir` and its missing parents, owner-only from creation (never
/// briefly open, never fixed afterwards). An existing folder is left alone.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    os::create_private_dir_all(dir)
}

/// Creates the new file `path` (failing if anything exists there),
/// readable and writable by the current user only from creation.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    os::create_private_file(path)
}

/// Opens `path` for reading and writing, creating it owner-only if missing;
/// a symlink under the name is not followed. For lock files.
pub fn open_private_lock_file(path: &Path) -> io::Result<File> {
    os::open_private_lock_file(path)
}

/// Opens `path` read-only without following a symlink, and without
/// blocking if a FIFO was planted there. The checks then run on the opened
/// file, so the name cannot be swapped between the check and the read.
pub fn open_nofollow(path: &Path) -> io::Result<Opened> {
    os::open_nofollow(path)
}

/// Owner and access of an opened file.
pub fn file_privacy(file: &File) -> io::Result<Privacy> {
    os::file_privacy(file)
}

/// Owner and access of the existing folder `dir` (`None` if missing; an
/// error if it is not a folder). With `tighten`, a folder of ours that is
/// [`Privacy::Exposed`] is made owner-only (the old access is returned);
/// another user's folder is never changed. A symlinked folder is followed.
pub fn folder_privacy(dir: &Path, tighten: bool) -> io::Result<Option<Privacy>> {
    os::folder_privacy(dir, tighten)
}

/// What an [`OwnerId`] is, for messages: `uid 1000` on Unix, `owner S-1-5-…` on Windows.
pub const OWNER_LABEL: &str = os::OWNER_LABEL;

/// What an owner-only folder is, for log lines (`0700` on Unix).
pub const PRIVATE_FOLDER: &str = os::PRIVATE_FOLDER;

/// How a user makes a file owner-only, for error messages (`chmod 600`).
pub const PRIVATE_FILE_HINT: &str = os::PRIVATE_FILE_HINT;

/// A short description of a path's access for `taskflowd paths`
/// (`mode 0600` on Unix, `owner-only` or what lets others in on Windows).
pub fn describe_access(path: &Path, meta: &std::fs::Metadata) -> String {
    os::describe_access(path, meta)
}

/// Moves the fully written and flushed `tmp` over `to` atomically; durable
/// when this returns. On failure `tmp` is removed and `to` is unchanged.
pub fn persist_replace(tmp: tempfile::TempPath, to: &Path) -> io::Result<()> {
    os::persist_replace(tmp, to)
}

/// Like [`persist_replace`], but only if nothing exists at `to`
/// (no-clobber): `Ok(false)` (and `tmp` removed) when something does.
pub fn persist_new(tmp: tempfile::TempPath, to: &Path) -> io::Result<bool> {
    os::persist_new(tmp, to)
}

/// Makes a preceding rename in `dir` durable (Unix: fsync the folder;
/// Windows has no folder flush: its renames are written through instead).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    os::sync_dir(dir)
}

/// Registers the graceful-stop requests now (so one that arrives the moment
/// the port opens is not fatal) and returns a future that resolves with the
/// request's name when one arrives: SIGTERM/SIGINT; Ctrl-C, Ctrl-Break, the
/// console's close and the system's shutdown events.
pub fn stop_requested() -> io::Result<impl Future<Output = &'static str> + Send> {
    os::stop_requested()
}

/// Resolves when the process `pid` is gone — the same process, not just the
/// same number: a pid reused by an unrelated process counts as gone (Unix:
/// its start time changed; Windows: the handle opened at the call signals).
pub fn parent_gone(pid: u32) -> impl Future<Output = ()> + Send {
    os::parent_gone(pid)
}

/// Whether a process with this pid exists now (any user's). For the
/// discovery file: a file naming a pid that is gone was left by a crash.
pub fn process_exists(pid: u32) -> bool {
    os::process_exists(pid)
}

/// Opens the TLS relay's private channel for a server on `port`: the
/// endpoint (kept while the driver may connect; dropping it removes the
/// channel) and the acceptor (moved into the accept loop). Only this OS user
/// — and on Windows only this process, by a one-time secret — gets through.
pub fn relay_channel(port: u16) -> io::Result<(RelayEndpoint, RelayAcceptor)> {
    os::relay_channel(port)
}

/// Why [`peer_owner`] found no owner.
#[derive(Debug, thiserror::Error)]
pub enum PeerOwnerError {
    /// This platform (or this build) cannot look it up yet.
    #[error("the owner of a connection cannot be looked up on this platform")]
    Unsupported,
    /// No socket row matches the connection (it closed meanwhile).
    #[error("no socket matches the connection")]
    NotFound,
    /// The OS refused the lookup.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The OS user owning the process at the `remote` end of the loopback TCP
/// connection accepted at `local`, from the kernel's socket table (Linux
/// `sock_diag`, Windows `GetExtendedTcpTable` then the process token), never
/// from anything the client sent. For the same-user-only rule (issue 20):
/// every caller must fail closed on an error. Returns
/// [`PeerOwnerError::Unsupported`] until that issue fills it in.
pub fn peer_owner(local: SocketAddr, remote: SocketAddr) -> Result<OwnerId, PeerOwnerError> {
    os::peer_owner(local, remote)
}

/// Whether this machine keeps the access lists taskflowd sets: `Some(false)`
/// once a read-back after setting one differed (Wine, a FAT or network
/// drive on Windows: then a warning was logged once and the access checks
/// on load only warn); `None` before anything was checked. Always
/// `Some(true)` on Unix, where modes are part of every file system used.
pub fn acls_kept() -> Option<bool> {
    os::acls_kept()
}

/// The user this process runs as.
pub fn current_user() -> io::Result<OwnerId> {
    os::current_user()
}
