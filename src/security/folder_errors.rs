//! Why a load or a save of the config folder failed ([`LoadError`],
//! [`SaveError`]): what every part of the folder's rules reports, so those
//! parts ([`super::credential_folder`], [`super::interrupted_rotation`],
//! [`super::key_rotation`]) share the words without importing each other.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use super::config_dir::{FolderRefused, NoConfigDir};
use super::credential_token::{CREDENTIALS_FILE, EncodeError, TokenError};
use super::fernet_key::{KEY_FILE, MalformedKey};
use super::owner_only::ReadRefused;

/// Why the stored settings cannot be used. `Display` is the `<why>` shown in
/// `/health`, the status endpoint and the log; it names files and reasons,
/// never file contents or secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// A token exists but there is no key to decrypt it.
    #[error("{CREDENTIALS_FILE} exists but the key file {KEY_FILE} is missing")]
    KeyMissing,
    /// The key file's content is not a Fernet key.
    #[error(transparent)]
    KeyMalformed(#[from] MalformedKey),
    /// The token cannot be decrypted, or does not hold connection settings.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A file failed the owner-only checks or could not be read.
    #[error("{file} {reason}")]
    Refused {
        /// Which file (`fernet.key` or `db_credentials.enc`).
        file: &'static str,
        /// Why.
        reason: ReadRefused,
    },
    /// No folder is configured and the platform has none.
    #[error(transparent)]
    NoConfigDir(#[from] NoConfigDir),
    /// The config folder itself is refused (another user's, or unusable).
    #[error(transparent)]
    Folder(#[from] FolderRefused),
    /// The blocking load task did not complete (panicked or was cancelled).
    #[error("internal error while reading the stored settings")]
    Internal,
}

/// Why a save failed. `Display` is the `<why>` of `Failed to save connection
/// settings: <why>`; it never contains secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SaveError {
    /// The config folder could not be created.
    #[error("cannot create folder {}: {error}", .path.display())]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        error: Arc<io::Error>,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock {}: {error}", .path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        error: Arc<io::Error>,
    },
    /// Writing the key or the token failed.
    #[error("cannot write {}: {error}", .path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The OS error.
        error: Arc<io::Error>,
    },
    /// An unreadable file could not be renamed aside (so it was left alone).
    #[error("cannot move the unreadable file {} aside: {error}", .path.display())]
    SetAside {
        /// The unreadable file.
        path: PathBuf,
        /// The OS error.
        error: Arc<io::Error>,
    },
    /// Another process created `fernet.key` during this save and it is unusable.
    #[error("the key file {KEY_FILE} written by another process cannot be used: {0}")]
    ForeignKey(Box<LoadError>),
    /// The settings could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// No folder is configured and the platform has none.
    #[error(transparent)]
    NoConfigDir(#[from] NoConfigDir),
    /// The config folder itself is refused (another user's, or unusable).
    #[error(transparent)]
    Folder(#[from] FolderRefused),
    /// The blocking save task did not complete (panicked or was cancelled).
    #[error("internal error while saving")]
    Internal,
}
