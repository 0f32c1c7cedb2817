//! What a `rotate-key` cut short, or an operator, can leave beside the key
//! — `fernet.key.old` (kept beside the new key only while a rotation is in
//! flight, see [`super::key_rotation`]) — and how a writer gets the folder
//! back to one key without ever losing the key that opens the credentials.
//!
//! The rule ("keys are never lost"): no writer deletes or replaces a key
//! file while `db_credentials.enc` opens only with that key. The one key
//! file ever deleted is `fernet.key.old`, and only once `fernet.key` opens
//! the credentials; `fernet.key` is written only where there is none (the
//! old key promoted, no-clobber) or by the rotation once the old key is
//! durable beside it; a key file in the way is renamed aside
//! ([`super::set_aside`]), never deleted. Everything else is left as found.
//!
//! [`decide`] is that rule as a pure function of what the three files are
//! (the table in its tests, and in the README's "Keys are never lost");
//! [`finish`] reads the folder, decides and applies. Its own module, below
//! both [`super::credential_folder`] (whose loads and saves apply it) and
//! [`super::key_rotation`] (which creates the old key), so neither imports
//! the other's internals.

use std::path::Path;
use std::sync::Arc;

use super::atomic_write;
use super::credential_token::{self, CREDENTIALS_FILE};
use super::fernet_key::{FernetKey, KEY_FILE};
use super::folder_errors::SaveError;
use super::owner_only;
use super::set_aside::set_aside;
use crate::domain::credentials::DbCredentials;

/// The previous key, beside the new one only while a rotation is in flight.
pub const OLD_KEY_FILE: &str = "fernet.key.old";

/// What one key file is, as far as [`decide`] needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// No such file.
    Missing,
    /// Present but not usable: refused by the owner-only rules (symlink,
    /// another owner, group/other access) or not a Fernet key.
    Unusable,
    /// A good key that opens `db_credentials.enc`.
    Opens,
    /// A good key that does not open it (or there is no readable token).
    Closed,
}

/// What `db_credentials.enc` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// No such file: no settings are saved.
    Missing,
    /// Refused by the owner-only rules or unreadable: which key opens it
    /// cannot be told.
    Unreadable,
    /// Read (whether any key opens it is in the [`KeyState`]s).
    Present,
}

/// Why [`Repair::Keep`] leaves `fernet.key.old` where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeepReason {
    /// No token: nothing tells whether the old key still matters (it may
    /// open a token set aside earlier).
    #[error(
        "{CREDENTIALS_FILE} is missing, so nothing tells whether {OLD_KEY_FILE} is still needed"
    )]
    NoCredentials,
    /// The token cannot be read: it may open only with the old key.
    #[error("{CREDENTIALS_FILE} cannot be read, so nothing tells which key opens it")]
    CredentialsUnreadable,
    /// Neither key opens the token (a refused `fernet.key` might).
    #[error("neither {KEY_FILE} nor {OLD_KEY_FILE} opens {CREDENTIALS_FILE}")]
    NoKeyOpens,
}

/// What a writer does about `fernet.key.old` before its own work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// No old key: nothing was interrupted.
    Nothing,
    /// `fernet.key` opens the credentials: the old key protects nothing on
    /// disk (the rotation got past its step 3, or never changed the key);
    /// remove it.
    RemoveOld,
    /// Only the old key opens them and `fernet.key` is a good key (a crash
    /// after the rotation's step 2): re-encrypt with `fernet.key`, then
    /// remove the old key.
    Reencrypt,
    /// Only the old key opens them and there is no `fernet.key` (removed by
    /// hand): the old key becomes `fernet.key` (no-clobber), then the old
    /// file is removed.
    PromoteOld,
    /// Only the old key opens them and `fernet.key` is unusable (garbage,
    /// a symlink, `chmod`-ed, another user's): it is set aside, then the old
    /// key is promoted as in [`Repair::PromoteOld`].
    SetAsideAndPromote,
    /// Anything else: nothing is touched, since the old key may be the only
    /// one to open something.
    Keep(KeepReason),
}

/// The rule (see the module docs), as a pure function.
pub fn decide(current: KeyState, old: KeyState, token: TokenState) -> Repair {
    if old == KeyState::Missing {
        return Repair::Nothing;
    }
    match token {
        TokenState::Missing => return Repair::Keep(KeepReason::NoCredentials),
        TokenState::Unreadable => return Repair::Keep(KeepReason::CredentialsUnreadable),
        TokenState::Present => {}
    }
    if current == KeyState::Opens {
        return Repair::RemoveOld;
    }
    if old != KeyState::Opens {
        return Repair::Keep(KeepReason::NoKeyOpens);
    }
    match current {
        KeyState::Closed => Repair::Reencrypt,
        KeyState::Missing => Repair::PromoteOld,
        KeyState::Unusable | KeyState::Opens => Repair::SetAsideAndPromote,
    }
}

/// The settings in `token` opened with `fernet.key.old`, when one is in
/// `dir` and opens it (after the rotation's step 2 only the old key does;
/// an operator can leave it as the only key). Logged, since the next writer
/// should repair the folder.
pub fn open_with_old_key(dir: &Path, token: &[u8]) -> Option<(FernetKey, DbCredentials)> {
    let old = read_key(dir, OLD_KEY_FILE)?;
    let creds = credential_token::decrypt(&old, token).ok()?;
    tracing::warn!(
        "{KEY_FILE} does not open {CREDENTIALS_FILE}; loaded with {OLD_KEY_FILE} \
         (a key rotation was interrupted, or {KEY_FILE} was changed by hand; \
         the next save or rotate-key repairs it)"
    );
    Some((old, creds))
}

/// Reads the folder, [`decide`]s and applies the repair; returns it.
/// Call only under the folder's exclusive lock.
pub fn finish(dir: &Path) -> Result<Repair, SaveError> {
    if std::fs::symlink_metadata(dir.join(OLD_KEY_FILE)).is_err() {
        return Ok(Repair::Nothing);
    }
    let token = match owner_only::read(&dir.join(CREDENTIALS_FILE)) {
        Ok(Some(bytes)) => Some(bytes),
        Ok(None) => None,
        Err(_) => {
            return apply_keep(dir, KeepReason::CredentialsUnreadable);
        }
    };
    let state = |name: &str| -> (KeyState, Option<(FernetKey, Option<DbCredentials>)>) {
        if std::fs::symlink_metadata(dir.join(name)).is_err() {
            return (KeyState::Missing, None);
        }
        let Some(key) = read_key(dir, name) else {
            return (KeyState::Unusable, None);
        };
        let creds = token
            .as_deref()
            .and_then(|t| credential_token::decrypt(&key, t).ok());
        let state = if creds.is_some() {
            KeyState::Opens
        } else {
            KeyState::Closed
        };
        (state, Some((key, creds)))
    };
    let (current, current_key) = state(KEY_FILE);
    let (old, old_key) = state(OLD_KEY_FILE);
    let token_state = if token.is_some() {
        TokenState::Present
    } else {
        TokenState::Missing
    };
    let repair = decide(current, old, token_state);
    match repair {
        Repair::Nothing => {}
        Repair::RemoveOld => remove_old_key(dir)?,
        Repair::Reencrypt => {
            let (Some((key, _)), Some((_, Some(creds)))) = (current_key, old_key) else {
                return Ok(repair); // `decide` said both are good keys and the old one opens
            };
            let fresh = credential_token::encrypt(&key, &creds)?;
            atomic_write::replace(dir, CREDENTIALS_FILE, fresh.as_bytes())
                .map_err(write_error(dir, CREDENTIALS_FILE))?;
            tracing::warn!(dir = %dir.display(), "completed an interrupted key rotation");
            remove_old_key(dir)?;
        }
        Repair::PromoteOld | Repair::SetAsideAndPromote => {
            let Some((old_key, _)) = old_key else {
                return Ok(repair); // `decide` said the old key is good
            };
            if repair == Repair::SetAsideAndPromote {
                set_aside(
                    dir,
                    KEY_FILE,
                    &"it is unusable and fernet.key.old opens the credentials",
                )?;
            }
            promote(dir, &old_key)?;
        }
        Repair::Keep(reason) => return apply_keep(dir, reason),
    }
    Ok(repair)
}

/// The old key becomes `fernet.key` (no-clobber, durable), then the old
/// file goes. If another writer (not under our lock, e.g. the Python
/// backend) created `fernet.key` meanwhile, the old key stays.
fn promote(dir: &Path, old: &FernetKey) -> Result<(), SaveError> {
    let created = atomic_write::create_new(dir, KEY_FILE, old.file_bytes())
        .map_err(write_error(dir, KEY_FILE))?;
    if created {
        tracing::warn!(dir = %dir.display(), "{OLD_KEY_FILE} was the only key that opens the credentials; it is {KEY_FILE} again");
        remove_old_key(dir)
    } else {
        tracing::warn!(dir = %dir.display(), "{KEY_FILE} appeared while {OLD_KEY_FILE} was being restored; both kept");
        Ok(())
    }
}

fn apply_keep(dir: &Path, reason: KeepReason) -> Result<Repair, SaveError> {
    tracing::warn!(dir = %dir.display(), %reason, "{OLD_KEY_FILE} left in place");
    Ok(Repair::Keep(reason))
}

/// `name` in `dir` as a key, if it passes the owner-only rules and parses.
fn read_key(dir: &Path, name: &str) -> Option<FernetKey> {
    owner_only::read(&dir.join(name))
        .ok()
        .flatten()
        .and_then(|b| FernetKey::parse(&b).ok())
}

fn write_error(dir: &Path, name: &str) -> impl Fn(std::io::Error) -> SaveError {
    let path = dir.join(name);
    move |e| SaveError::Write {
        path: path.clone(),
        error: Arc::new(e),
    }
}

/// Removes `fernet.key.old` (if present) durably: the rotation's last step.
/// Only [`finish`] (after [`decide`]) and the rotation itself, once the
/// re-encrypted token is durable, call it.
pub fn remove_old_key(dir: &Path) -> Result<(), SaveError> {
    let path = dir.join(OLD_KEY_FILE);
    let err = write_error(dir, OLD_KEY_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => atomic_write::sync_dir(dir).map_err(err),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(err(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::KeepReason::*;
    use super::KeyState::*;
    use super::Repair::*;
    use super::*;

    /// Every combination: (fernet.key, fernet.key.old, db_credentials.enc)
    /// → what a writer does. A key can only open a token that is present.
    #[test]
    fn the_decision_table() {
        use TokenState::{Missing as NoToken, Present, Unreadable};
        #[rustfmt::skip]
        let table: &[(KeyState, KeyState, TokenState, Repair)] = &[
            // No old key: nothing to repair, whatever the rest.
            (Missing,  Missing,  NoToken,    Nothing),
            (Opens,    Missing,  Present,    Nothing),
            (Closed,   Missing,  Present,    Nothing),
            (Unusable, Missing,  Present,    Nothing),
            (Missing,  Missing,  Present,    Nothing),
            (Closed,   Missing,  Unreadable, Nothing),
            // The current key opens the token: the old one goes.
            (Opens,    Opens,    Present,    RemoveOld), // after step 1 (same key)
            (Opens,    Closed,   Present,    RemoveOld), // after step 3
            (Opens,    Unusable, Present,    RemoveOld),
            // Only the old key opens it.
            (Closed,   Opens,    Present,    Reencrypt), // after step 2
            (Missing,  Opens,    Present,    PromoteOld),
            (Unusable, Opens,    Present,    SetAsideAndPromote),
            // No key opens it: nothing touched.
            (Closed,   Closed,   Present,    Keep(NoKeyOpens)),
            (Closed,   Unusable, Present,    Keep(NoKeyOpens)),
            (Missing,  Closed,   Present,    Keep(NoKeyOpens)),
            (Missing,  Unusable, Present,    Keep(NoKeyOpens)),
            (Unusable, Closed,   Present,    Keep(NoKeyOpens)),
            (Unusable, Unusable, Present,    Keep(NoKeyOpens)),
            // The token is not there or not readable: nothing touched.
            (Closed,   Closed,   NoToken,    Keep(NoCredentials)),
            (Missing,  Closed,   NoToken,    Keep(NoCredentials)),
            (Unusable, Closed,   NoToken,    Keep(NoCredentials)),
            (Closed,   Unusable, NoToken,    Keep(NoCredentials)),
            (Closed,   Closed,   Unreadable, Keep(CredentialsUnreadable)),
            (Missing,  Closed,   Unreadable, Keep(CredentialsUnreadable)),
            (Unusable, Unusable, Unreadable, Keep(CredentialsUnreadable)),
        ];
        for &(current, old, token, want) in table {
            assert_eq!(
                decide(current, old, token),
                want,
                "{current:?} {old:?} {token:?}"
            );
        }
    }

    /// The rule itself, over every input: a key file that alone opens the
    /// token is never removed (the old one is removed only by `RemoveOld`,
    /// which needs the current key to open it; the current one is only set
    /// aside, by a rename, when the old one opens it).
    #[test]
    fn no_decision_drops_the_only_key() {
        let keys = [Missing, Unusable, Opens, Closed];
        let tokens = [
            TokenState::Missing,
            TokenState::Unreadable,
            TokenState::Present,
        ];
        for current in keys {
            for old in keys {
                for token in tokens {
                    let r = decide(current, old, token);
                    if r == RemoveOld {
                        assert_eq!(current, Opens, "{old:?} {token:?}");
                    }
                    if r == SetAsideAndPromote || r == PromoteOld || r == Reencrypt {
                        assert_eq!(old, Opens, "{current:?} {token:?}");
                    }
                }
            }
        }
    }
}
