//! The Windows side of [`crate::platform`]: DACLs and SIDs (`windows-sys`),
//! console control events, process handles, a loopback relay channel.

mod files;
mod kept;
mod memory;
mod peer;
mod process;
mod relay;
mod security;

use std::path::PathBuf;

pub use files::{
    create_private_dir_all, create_private_file, file_privacy, folder_privacy, open_nofollow,
    open_private_lock_file, persist_new, persist_replace, private_append_options, sync_dir,
};
pub use kept::acls_kept;
pub use memory::resident_memory_bytes;
pub use peer::peer_owner;
pub use process::{parent_gone, process_exists, stop_requested};
pub use relay::{RelayAcceptor, RelayEndpoint, RelayStream, relay_channel};

use super::acl::Verdict;

/// A user: the string SID (`S-1-5-21-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerId(pub String);

impl std::fmt::Display for OwnerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What in an access list lets others in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure(pub Verdict);

impl std::fmt::Display for Exposure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Verdict::Grants { sid, mask } => write!(f, "an entry granting {sid} access 0x{mask:x}"),
            Verdict::NoDacl => f.write_str("no access list (everyone has full access)"),
            Verdict::Unrecognised { ace_type } => write!(f, "an entry of type {ace_type}"),
            Verdict::Private | Verdict::OtherOwner { .. } => f.write_str("its access list"),
        }
    }
}

impl Exposure {
    /// For a refused file.
    pub fn describe_file(&self) -> String {
        format!("{self}; expected only you, SYSTEM and Administrators")
    }
}

pub const OWNER_LABEL: &str = "owner";
pub const PRIVATE_FOLDER: &str = "owner-only access (a protected access list)";
pub const PRIVATE_FILE_HINT: &str =
    "remove the other users in its Properties > Security, or save the settings again";

/// `%LOCALAPPDATA%\TaskFlow` (the known folder `FOLDERID_LocalAppData`, as
/// `directories` reads it) — not `ProjectDirs::config_local_dir`, which
/// appends `\config`.
pub fn default_config_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_local_dir().join("TaskFlow"))
}

/// `%LOCALAPPDATA%\TaskFlow\logs`: beside the default config folder's files.
pub fn default_log_dir() -> Option<PathBuf> {
    default_config_dir().map(|d| d.join("logs"))
}

pub fn describe_access(path: &std::path::Path, _meta: &std::fs::Metadata) -> String {
    match security::verdict_of_path(path) {
        Ok(Verdict::Private) => "owner-only".to_owned(),
        Ok(Verdict::OtherOwner { owner }) => format!("owned by {owner}"),
        Ok(other) => format!("open to others: {}", Exposure(other)),
        Err(e) => format!("access unknown: {e}"),
    }
}

pub fn current_user() -> std::io::Result<OwnerId> {
    security::current_sid().map(|s| OwnerId(s.to_owned()))
}
