//! What a `rotate-key` interrupted by a crash leaves behind, and how the
//! folder gets back to one key: `fernet.key.old` (kept beside the new key
//! only while a rotation is in flight, see [`super::key_rotation`]), the load
//! that falls back to it, and the next writer that completes the rotation.
//!
//! Its own module, below both [`super::credential_folder`] (whose loads and
//! saves apply these rules) and [`super::key_rotation`] (which creates the
//! old key), so neither imports the other's internals.

use std::path::Path;
use std::sync::Arc;

use super::atomic_write;
use super::credential_token::{self, CREDENTIALS_FILE};
use super::fernet_key::{FernetKey, KEY_FILE};
use super::folder_errors::SaveError;
use super::owner_only;
use crate::domain::credentials::DbCredentials;

/// The previous key, beside the new one only while a rotation is in flight.
pub const OLD_KEY_FILE: &str = "fernet.key.old";

/// The settings in `token` opened with the old key, when an interrupted
/// rotation left one in `dir` that opens it (after step 2 only the old key
/// does). Logged, since the next writer should complete the rotation.
pub fn open_with_old_key(dir: &Path, token: &[u8]) -> Option<(FernetKey, DbCredentials)> {
    let old = owner_only::read(&dir.join(OLD_KEY_FILE))
        .ok()
        .flatten()
        .and_then(|b| FernetKey::parse(&b).ok())?;
    let creds = credential_token::decrypt(&old, token).ok()?;
    tracing::warn!(
        "a key rotation was interrupted; loaded with the previous key \
         (the next save or rotate-key completes it)"
    );
    Some((old, creds))
}

/// Completes a rotation a crash interrupted, if `fernet.key.old` exists.
/// Call only under the folder's exclusive lock.
///
/// - the token opens with `fernet.key`: the rotation got past step 3 (or
///   never changed the key); the old key is just removed;
/// - it opens only with the old key: it is re-encrypted with `fernet.key`,
///   then the old key is removed;
/// - neither opens it: nothing is touched (the load reports why; a save will
///   set the unreadable files aside as usual, and then remove the old key).
pub fn finish(dir: &Path) -> Result<(), SaveError> {
    if std::fs::symlink_metadata(dir.join(OLD_KEY_FILE)).is_err() {
        return Ok(());
    }
    let read_key = |name: &str| {
        owner_only::read(&dir.join(name))
            .ok()
            .flatten()
            .and_then(|b| FernetKey::parse(&b).ok())
    };
    let token = owner_only::read(&dir.join(CREDENTIALS_FILE)).ok().flatten();
    let (Some(key), Some(token)) = (read_key(KEY_FILE), token) else {
        // No token or no current key: the old key protects nothing a writer
        // will keep; the save that follows writes a consistent pair.
        return remove_old_key(dir);
    };
    if credential_token::decrypt(&key, &token).is_ok() {
        return remove_old_key(dir);
    }
    let Some(old) = read_key(OLD_KEY_FILE) else {
        return Ok(());
    };
    let Ok(creds) = credential_token::decrypt(&old, &token) else {
        return Ok(());
    };
    let fresh = credential_token::encrypt(&key, &creds)?;
    atomic_write::replace(dir, CREDENTIALS_FILE, fresh.as_bytes()).map_err(|e| {
        SaveError::Write {
            path: dir.join(CREDENTIALS_FILE),
            error: Arc::new(e),
        }
    })?;
    tracing::warn!(dir = %dir.display(), "completed an interrupted key rotation");
    remove_old_key(dir)
}

/// Removes `fernet.key.old` (if present) durably: the rotation's last step.
pub fn remove_old_key(dir: &Path) -> Result<(), SaveError> {
    let path = dir.join(OLD_KEY_FILE);
    let err = |e: std::io::Error| SaveError::Write {
        path: path.clone(),
        error: Arc::new(e),
    };
    match std::fs::remove_file(&path) {
        Ok(()) => atomic_write::sync_dir(dir).map_err(err),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(err(e)),
    }
}
