//! The Unix side of [`crate::platform`]: modes and uids, signals, `/proc`,
//! a Unix socket for the TLS relay.

mod files;
mod memory;
mod peer;
mod process;
mod relay;

use std::path::{Path, PathBuf};

pub use files::{
    create_private_dir_all, create_private_file, file_privacy, folder_privacy, open_nofollow,
    open_private_lock_file, persist_new, persist_replace, private_append_options, sync_dir,
};
pub use memory::resident_memory_bytes;
pub use peer::peer_owner;
pub use process::{parent_gone, process_exists, stop_requested};
pub use relay::{RelayAcceptor, RelayEndpoint, RelayStream, relay_channel};

/// A user: the numeric uid, shown as the bare number (messages say `uid N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerId(pub u32);

impl std::fmt::Display for OwnerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The permission bits of a file or folder that others can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure {
    /// The permission bits found (`0o644`).
    pub mode: u32,
}

impl std::fmt::Display for Exposure {
    /// `0755`: what the log's `old_mode` and the refusals have always shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04o}", self.mode)
    }
}

impl Exposure {
    /// For a refused file: `mode 0644, expected 0600`.
    pub fn describe_file(&self) -> String {
        format!("mode {self}, expected 0600")
    }
}

pub const OWNER_LABEL: &str = "uid";
pub const PRIVATE_FOLDER: &str = "0700";
pub const PRIVATE_FILE_HINT: &str = "chmod 600";

/// `directories`' local config folder for TaskFlow (`~/.config/taskflow`,
/// `~/Library/Application Support/TaskFlow`): what the daemon always used.
pub fn default_config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "TaskFlow").map(|d| d.config_local_dir().to_path_buf())
}

pub fn default_log_dir() -> Option<PathBuf> {
    let dirs = directories::BaseDirs::new()?;
    if cfg!(target_os = "macos") {
        return Some(dirs.home_dir().join("Library/Logs/TaskFlow"));
    }
    // `state_dir` is `$XDG_STATE_HOME` (else `~/.local/state`) on Linux and
    // `None` elsewhere; other Unixes follow the XDG default too.
    let state = dirs
        .state_dir()
        .map_or_else(|| dirs.home_dir().join(".local/state"), Path::to_path_buf);
    Some(state.join("TaskFlow").join("logs"))
}

pub fn describe_access(_path: &std::path::Path, meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::PermissionsExt;
    format!("mode {:04o}", meta.permissions().mode() & 0o7777)
}

pub fn current_user() -> std::io::Result<OwnerId> {
    Ok(OwnerId(nix::unistd::geteuid().as_raw()))
}

pub fn acls_kept() -> Option<bool> {
    Some(true)
}
