//! Rotating `fernet.key`: a new key, the credentials re-encrypted under it,
//! crash-safe at every step (`taskflowd rotate-key`, e.g. after a laptop
//! backup holding the folder leaked).
//!
//! Two files cannot be replaced in one atomic step, so for a moment the key
//! and the token on disk belong to different keys. The old key is therefore
//! kept beside the new one, as `fernet.key.old`, exactly as long as that
//! moment lasts — until the re-encrypted token is durable — and then removed.
//! Under the folder's exclusive lock:
//!
//! 1. `fernet.key.old` ← the current key (durable);
//! 2. `fernet.key` ← a new key (atomic replace, durable);
//! 3. `db_credentials.enc` ← the settings encrypted with the new key (atomic
//!    replace, durable);
//! 4. `fernet.key.old` removed (folder fsynced).
//!
//! A crash between any two steps leaves a folder that loads:
//! [`CredentialFolder::load`] tries `fernet.key` first and, when it does not
//! open the token and `fernet.key.old` does, the old key (after 1 the two
//! keys are equal; after 2 only the old one opens the token; after 3 the new
//! one does). The next writer — a save or another `rotate-key` — repairs
//! the folder first ([`interrupted_rotation::finish`], whose table says what
//! it does in every state a crash or an operator can leave). A rotation
//! never starts while `fernet.key.old` is still there afterwards (the
//! repair kept it because it may be the only key to something): step 1
//! would replace it. It refuses instead, changing nothing.
//!
//! A running daemon keeps working across a rotation: it holds the settings in
//! memory, its saves take the same lock and read the key from disk each time,
//! and its loads take the lock shared, so they see the folder before step 1
//! or after step 4 (or, past the bounded wait, one of the loadable states).

use std::sync::Arc;

use super::atomic_write;
use super::credential_folder::{CredentialFolder, LoadError, SaveError};
use super::credential_token::{self, CREDENTIALS_FILE};
use super::fernet_key::{FernetKey, KEY_FILE};
use super::interrupted_rotation::{self, KeepReason, OLD_KEY_FILE, Repair, remove_old_key};

/// Why a rotation did not happen (the folder is then unchanged, or in one of
/// the loadable intermediate states when the failure came mid-way).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RotateError {
    /// Nothing saved: there is no token to re-encrypt.
    #[error("no connection settings are saved in {0}; nothing to rotate")]
    NothingSaved(String),
    /// The stored files cannot be read; rotating would lose them.
    #[error(
        "the stored settings cannot be read ({0}); nothing was changed \
         (make the file usable again, or save connection settings again, then rotate)"
    )]
    Unreadable(LoadError),
    /// `fernet.key.old` is still there after the repair (see
    /// [`interrupted_rotation::decide`]); step 1 would replace it.
    #[error(
        "{OLD_KEY_FILE} was left in place: {0}; nothing was changed \
         (move it away by hand once you know it is not needed)"
    )]
    OldKeyKept(KeepReason),
    /// Locking or writing failed.
    #[error(transparent)]
    Save(#[from] SaveError),
}

/// Rotates the key of `folder`. Blocking; holds the folder's exclusive lock.
pub fn rotate(folder: &CredentialFolder) -> Result<(), RotateError> {
    let dir = folder.dir();
    if std::fs::symlink_metadata(dir).is_err() {
        return Err(RotateError::NothingSaved(dir.display().to_string()));
    }
    let _lock = folder.exclusive_lock()?;
    pause_point("locked");
    atomic_write::remove_stale_temps(dir);
    let repair = interrupted_rotation::finish(dir)?;
    let (old_key, creds) = match folder.load_unlocked() {
        Ok(Some(pair)) => pair,
        Ok(None) => return Err(RotateError::NothingSaved(dir.display().to_string())),
        Err(e) => return Err(RotateError::Unreadable(e)),
    };
    if std::fs::symlink_metadata(dir.join(OLD_KEY_FILE)).is_ok() {
        let why = match repair {
            Repair::Keep(why) => why,
            _ => KeepReason::NoKeyOpens,
        };
        return Err(RotateError::OldKeyKept(why));
    }
    let write = |name: &str| {
        let path = dir.join(name);
        move |e: std::io::Error| SaveError::Write {
            path,
            error: Arc::new(e),
        }
    };
    atomic_write::replace(dir, OLD_KEY_FILE, old_key.file_bytes()).map_err(write(OLD_KEY_FILE))?;
    pause_point("old-key-kept");
    let new_key = FernetKey::generate();
    let token = credential_token::encrypt(&new_key, &creds).map_err(SaveError::from)?;
    atomic_write::replace(dir, KEY_FILE, new_key.file_bytes()).map_err(write(KEY_FILE))?;
    pause_point("new-key-written");
    atomic_write::replace(dir, CREDENTIALS_FILE, token.as_bytes())
        .map_err(write(CREDENTIALS_FILE))?;
    pause_point("token-written");
    remove_old_key(dir)?;
    pause_point("done");
    tracing::info!(dir = %dir.display(), "fernet key rotated; credentials re-encrypted");
    Ok(())
}

/// Debug builds only: with `TASKFLOW_TEST_ROTATE_PAUSE=<step>`, announce the
/// step on stderr and stop there, so a test can `kill -9` the process at
/// exactly that point (tests/api/crash.rs).
#[cfg(debug_assertions)]
fn pause_point(step: &str) {
    if std::env::var("TASKFLOW_TEST_ROTATE_PAUSE").is_ok_and(|s| s == step) {
        eprintln!("rotate-key: paused at {step}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

#[cfg(not(debug_assertions))]
fn pause_point(_step: &str) {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::credentials::{DbCredentials, sample};

    fn creds() -> DbCredentials {
        sample("db", "p w")
    }

    fn fresh() -> (tempfile::TempDir, CredentialFolder) {
        let tmp = tempfile::tempdir().unwrap();
        let f = CredentialFolder::new(tmp.path().join("cfg"));
        (tmp, f)
    }

    fn key(f: &CredentialFolder) -> Vec<u8> {
        std::fs::read(f.dir().join(KEY_FILE)).unwrap()
    }

    #[test]
    fn rotation_changes_the_key_and_keeps_the_settings() {
        let (_t, f) = fresh();
        f.save(&creds()).unwrap();
        let before = key(&f);
        rotate(&f).unwrap();
        assert_ne!(key(&f), before);
        assert_eq!(f.load().unwrap(), Some(creds()));
        assert!(!f.dir().join(OLD_KEY_FILE).exists());
        let token = std::fs::read(f.dir().join(CREDENTIALS_FILE)).unwrap();
        let old = FernetKey::parse(&before).unwrap();
        assert!(credential_token::decrypt(&old, &token).is_err());
    }

    #[test]
    fn nothing_saved_or_unreadable_is_refused_and_changes_nothing() {
        let (_t, f) = fresh();
        assert!(matches!(rotate(&f), Err(RotateError::NothingSaved(_))));
        assert!(!f.dir().exists());
        f.save(&creds()).unwrap();
        std::fs::write(f.dir().join(CREDENTIALS_FILE), b"garbage").unwrap();
        let before = key(&f);
        assert!(matches!(rotate(&f), Err(RotateError::Unreadable(_))));
        assert_eq!(key(&f), before);
    }

    /// Every intermediate state loads, and the next writer completes it.
    #[test]
    fn every_intermediate_state_loads_and_is_completed() {
        for step in 1..=3 {
            let (_t, f) = fresh();
            f.save(&creds()).unwrap();
            let dir = f.dir().to_owned();
            let old = key(&f);
            std::fs::copy(dir.join(KEY_FILE), dir.join(OLD_KEY_FILE)).unwrap();
            let new = FernetKey::generate();
            if step >= 2 {
                atomic_write::replace(&dir, KEY_FILE, new.file_bytes()).unwrap();
            }
            if step >= 3 {
                let t = credential_token::encrypt(&new, &creds()).unwrap();
                atomic_write::replace(&dir, CREDENTIALS_FILE, t.as_bytes()).unwrap();
            }
            assert_eq!(f.load().unwrap(), Some(creds()), "step {step}");
            let lock = f.exclusive_lock().unwrap();
            interrupted_rotation::finish(f.dir()).unwrap();
            drop(lock);
            assert!(!dir.join(OLD_KEY_FILE).exists(), "step {step}");
            assert_eq!(f.load().unwrap(), Some(creds()), "step {step}");
            let expected = if step >= 2 {
                new.file_bytes().to_vec()
            } else {
                old.clone()
            };
            assert_eq!(key(&f), expected, "step {step}");
            // The token now opens with fernet.key alone.
            let token = std::fs::read(dir.join(CREDENTIALS_FILE)).unwrap();
            let k = FernetKey::parse(&key(&f)).unwrap();
            assert!(credential_token::decrypt(&k, &token).is_ok(), "step {step}");
        }
    }

    /// The issue-20 case: only `fernet.key.old` opens the token and
    /// `fernet.key` is missing or garbage. The folder loads, the rotation
    /// completes (the old key promoted first, a garbage key set aside), and
    /// the key that opened the token is never deleted on the way.
    #[test]
    fn only_the_old_key_left_loads_and_rotates() {
        for current in [None, Some(&b"garbage"[..])] {
            let (_t, f) = fresh();
            f.save(&creds()).unwrap();
            let dir = f.dir().to_owned();
            let only = key(&f);
            std::fs::rename(dir.join(KEY_FILE), dir.join(OLD_KEY_FILE)).unwrap();
            if let Some(bytes) = current {
                atomic_write::replace(&dir, KEY_FILE, bytes).unwrap();
            }
            assert_eq!(f.load().unwrap(), Some(creds()), "{current:?}");
            rotate(&f).unwrap();
            assert!(!dir.join(OLD_KEY_FILE).exists());
            assert_ne!(key(&f), only);
            assert_eq!(f.load().unwrap(), Some(creds()));
            let aside = crate::security::test_support::names(&dir)
                .into_iter()
                .filter(|n| n.starts_with("fernet.key.corrupt-"))
                .count();
            assert_eq!(aside, usize::from(current.is_some()), "{current:?}");
        }
    }

    /// No key opens the token: the old key is kept and nothing changes.
    #[test]
    fn an_old_key_that_may_matter_is_kept_and_the_rotation_refused() {
        let (_t, f) = fresh();
        f.save(&creds()).unwrap();
        let dir = f.dir().to_owned();
        let other = FernetKey::generate();
        atomic_write::replace(&dir, OLD_KEY_FILE, other.file_bytes()).unwrap();
        std::fs::write(dir.join(CREDENTIALS_FILE), b"gAAAAAtampered").unwrap();
        let before = crate::security::test_support::names(&dir);
        let e = rotate(&f).unwrap_err();
        assert!(matches!(e, RotateError::Unreadable(_)), "{e}");
        assert_eq!(crate::security::test_support::names(&dir), before);
        assert_eq!(
            std::fs::read(dir.join(OLD_KEY_FILE)).unwrap(),
            other.file_bytes()
        );
    }
}
