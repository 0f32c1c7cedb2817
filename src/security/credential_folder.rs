//! [`CredentialFolder`]: the config folder's key and credential files as one
//! unit — the blocking load/save that the CredentialStore actor runs.
//!
//! Owns the rules that tie the two files together:
//!
//! - **Load** returns `Ok(None)` when no credentials were saved, the settings
//!   when both files are good, and otherwise a [`LoadError`] whose `Display`
//!   is the `<why>` of `Stored connection settings cannot be read: <why>. Save
//!   connection settings again.` It never creates or changes anything. Files
//!   that are symlinks, owned by another user or open to group/others are
//!   refused (not repaired; see [`super::owner_only`]), and so is a folder
//!   owned by another user (see [`config_dir::check`]).
//! - Every writer (save, `rotate-key`) first secures the folder: another
//!   user's is refused, ours is tightened to 0700 if it was looser (see
//!   [`config_dir::secure`]).
//! - **Save** runs under an exclusive lock (std's `File::lock`: `flock` on
//!   Unix, `LockFileEx` on Windows) on `<dir>/.taskflowd.lock`, held
//!   for the whole save (reading the old files, creating the key, replacing
//!   the token), so two daemons pointed at one folder cannot interleave. Loads
//!   take the same lock shared (when the lock file exists; waiting at most
//!   2 s, so a hung writer cannot hang loads), so they never see
//!   a key and a token from two different saves.
//! - A good existing key is always reused. A key is generated only when there
//!   is none usable, and then no readable token can exist (a token is useless
//!   without its key). Unreadable or corrupt files are never deleted or
//!   silently overwritten: they are renamed to `<name>.corrupt-<UTC time>`
//!   beside the new ones and a warning is logged.
//! - The key is written with no-clobber semantics and is durable before the
//!   token; the token replaces the old one atomically. If the save fails, the
//!   files previously in place are unchanged (only files that were already
//!   unreadable may have been moved aside).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::atomic_write;
use super::config_dir;
use super::credential_token::{self, CREDENTIALS_FILE};
use super::fernet_key::{FernetKey, KEY_FILE};
pub use super::folder_errors::{LoadError, SaveError};
use super::interrupted_rotation::{self, OLD_KEY_FILE};
use super::owner_only;
use super::set_aside;
use crate::domain::credentials::DbCredentials;
use crate::platform::{self, Opened};

/// Name of the lock file that serialises writers on one folder.
pub const LOCK_FILE: &str = ".taskflowd.lock";

/// How long a load waits for a concurrent save to finish before reading anyway.
const SHARED_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The key and credential files of one config folder.
#[derive(Debug, Clone)]
pub struct CredentialFolder {
    /// The config folder; created (0700) by the first save only.
    dir: PathBuf,
}

impl CredentialFolder {
    /// Files in `dir`. Nothing is touched until [`load`](Self::load) or
    /// [`save`](Self::save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The config folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// At the daemon's start: tightens a folder of ours that is open to
    /// group or others (see [`config_dir::secure`]). Blocking. A refused
    /// folder is only logged here; every load and save reports it.
    pub fn secure_at_start(&self) {
        if let Err(e) = config_dir::secure(&self.dir) {
            tracing::warn!(reason = %e, "config folder refused");
        }
    }

    /// Reads the saved settings: `Ok(None)` when none were saved. Blocking.
    pub fn load(&self) -> Result<Option<DbCredentials>, LoadError> {
        let _shared = self.shared_lock();
        Ok(self.load_unlocked()?.map(|(_, creds)| creds))
    }

    /// [`load`](Self::load) without taking the lock (the caller holds it),
    /// also returning the key that opened the token. When `fernet.key` does
    /// not open it — missing, unusable, or the wrong key — `fernet.key.old`
    /// is tried (what a rotation cut short, or an operator, leaves; see
    /// [`super::interrupted_rotation`]), so the settings load whenever a key
    /// on disk opens them; otherwise the reason is `fernet.key`'s.
    pub(crate) fn load_unlocked(&self) -> Result<Option<(FernetKey, DbCredentials)>, LoadError> {
        config_dir::check(&self.dir)?;
        let token = match owner_only::read(&self.dir.join(CREDENTIALS_FILE)) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(reason) => {
                return Err(LoadError::Refused {
                    file: CREDENTIALS_FILE,
                    reason,
                });
            }
        };
        let key = match owner_only::read(&self.dir.join(KEY_FILE)) {
            Ok(Some(bytes)) => FernetKey::parse(&bytes).map_err(LoadError::from),
            Ok(None) => Err(LoadError::KeyMissing),
            Err(reason) => Err(LoadError::Refused {
                file: KEY_FILE,
                reason,
            }),
        };
        let why = match key {
            Ok(key) => match credential_token::decrypt(&key, &token) {
                Ok(creds) => return Ok(Some((key, creds))),
                Err(e) => LoadError::from(e),
            },
            Err(e) => e,
        };
        // fernet.key is missing, unusable or the wrong key: a rotation cut
        // short (or an operator) may have left the one that opens the token.
        // Otherwise the reason is fernet.key's.
        interrupted_rotation::open_with_old_key(&self.dir, &token)
            .map(Some)
            .ok_or(why)
    }

    /// Encrypts and stores `creds`, creating the folder and key if needed.
    /// Blocking; holds the folder's exclusive lock throughout.
    pub fn save(&self, creds: &DbCredentials) -> Result<(), SaveError> {
        config_dir::ensure_exists(&self.dir).map_err(|e| SaveError::CreateFolder {
            path: self.dir.clone(),
            error: Arc::new(e),
        })?;
        let _exclusive = self.exclusive_lock()?;
        // Under the lock no other writer is live, so any temp file is a
        // crash leftover (ciphertext or key bytes): remove it.
        atomic_write::remove_stale_temps(&self.dir);
        interrupted_rotation::finish(&self.dir)?;
        let key = self.key_for_save()?;
        let token = credential_token::encrypt(&key, creds)?;
        atomic_write::replace(&self.dir, CREDENTIALS_FILE, token.as_bytes())
            .map_err(|e| self.write_error(CREDENTIALS_FILE, e))
    }

    /// The key to encrypt with: the existing one if usable, else a new one,
    /// durable on disk before this returns. Unusable files are set aside.
    fn key_for_save(&self) -> Result<FernetKey, SaveError> {
        match owner_only::read(&self.dir.join(KEY_FILE)) {
            Ok(Some(bytes)) => match FernetKey::parse(&bytes) {
                Ok(key) => {
                    self.set_aside_token_unless_readable(&key)?;
                    return Ok(key);
                }
                Err(e) => self.set_aside(KEY_FILE, &e)?,
            },
            Ok(None) => {}
            Err(reason) => self.set_aside(KEY_FILE, &reason)?,
        }
        // No usable key: whatever token exists cannot be decrypted any more.
        if std::fs::symlink_metadata(self.dir.join(CREDENTIALS_FILE)).is_ok() {
            self.set_aside(CREDENTIALS_FILE, &LoadError::KeyMissing)?;
        }
        let key = FernetKey::generate();
        let created = atomic_write::create_new(&self.dir, KEY_FILE, key.file_bytes())
            .map_err(|e| self.write_error(KEY_FILE, e))?;
        if created {
            return Ok(key);
        }
        // Another writer (one not using our lock, e.g. the Python backend)
        // created the key first: use theirs.
        let foreign = |e: LoadError| SaveError::ForeignKey(Box::new(e));
        match owner_only::read(&self.dir.join(KEY_FILE)) {
            Ok(Some(bytes)) => FernetKey::parse(&bytes).map_err(|e| foreign(e.into())),
            Ok(None) => Err(foreign(LoadError::KeyMissing)),
            Err(reason) => Err(foreign(LoadError::Refused {
                file: KEY_FILE,
                reason,
            })),
        }
    }

    /// With a good key, an existing token that cannot be read is set aside
    /// (it is about to be replaced and must not be lost).
    fn set_aside_token_unless_readable(&self, key: &FernetKey) -> Result<(), SaveError> {
        match owner_only::read(&self.dir.join(CREDENTIALS_FILE)) {
            Ok(None) => Ok(()),
            Ok(Some(bytes)) => match credential_token::decrypt(key, &bytes) {
                Ok(_) => Ok(()),
                Err(e) => self.set_aside(CREDENTIALS_FILE, &e),
            },
            Err(reason) => self.set_aside(CREDENTIALS_FILE, &reason),
        }
    }

    /// Renames `name` aside (see [`super::set_aside`]). A token goes
    /// together with `fernet.key.old`, if one is left (see
    /// [`interrupted_rotation::decide`]): it may be the key that opens it.
    fn set_aside(&self, name: &'static str, why: &dyn std::fmt::Display) -> Result<(), SaveError> {
        set_aside::set_aside(&self.dir, name, why)?;
        if name == CREDENTIALS_FILE
            && std::fs::symlink_metadata(self.dir.join(OLD_KEY_FILE)).is_ok()
        {
            set_aside::set_aside(
                &self.dir,
                OLD_KEY_FILE,
                &"it may open the token set aside with it",
            )?;
        }
        Ok(())
    }

    fn write_error(&self, name: &str, e: io::Error) -> SaveError {
        SaveError::Write {
            path: self.dir.join(name),
            error: Arc::new(e),
        }
    }

    /// Secures the folder (see [`config_dir::secure`]), then opens (creating
    /// owner-only if needed, never through a symlink) and exclusively locks
    /// the lock file. Every writer
    /// comes through here. The lock is released when the returned file is
    /// dropped.
    pub(crate) fn exclusive_lock(&self) -> Result<File, SaveError> {
        config_dir::secure(&self.dir)?;
        let path = self.dir.join(LOCK_FILE);
        let err = |e: io::Error| SaveError::Lock {
            path: path.clone(),
            error: Arc::new(e),
        };
        let file = platform::open_private_lock_file(&path).map_err(err)?;
        file.lock().map_err(err)?;
        Ok(file)
    }

    /// Shared lock for a load, if a save ever created the lock file. Loads
    /// never create anything, and a lock that cannot be taken only loses the
    /// cross-file consistency guarantee, so failures are ignored. A writer
    /// that holds the lock longer than [`SHARED_LOCK_WAIT`] (a hung process)
    /// must not hang loads, so the wait is bounded.
    fn shared_lock(&self) -> Option<File> {
        let Ok(Opened::File(file)) = platform::open_nofollow(&self.dir.join(LOCK_FILE)) else {
            return None;
        };
        let deadline = std::time::Instant::now() + SHARED_LOCK_WAIT;
        loop {
            match file.try_lock_shared() {
                Ok(()) => return Some(file),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(_) => {
                    tracing::warn!("config folder lock busy; reading without it");
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::security::credential_token::TokenError;
    use crate::security::test_support::names;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures");

    use crate::domain::credentials::sample as creds;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// Sets the mode on Unix; elsewhere files keep the access they were
    /// created with (the tests that need a mode are Unix-only).
    fn set_mode(p: &Path, m: u32) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = (p, m);
    }

    fn corrupt_names(dir: &Path, prefix: &str) -> Vec<String> {
        names(dir)
            .into_iter()
            .filter(|n| n.starts_with(&format!("{prefix}.corrupt-")))
            .collect()
    }

    /// A folder inside a temp dir, not yet created.
    fn fresh() -> (tempfile::TempDir, CredentialFolder) {
        let tmp = tempfile::tempdir().unwrap();
        let files = CredentialFolder::new(tmp.path().join("cfg"));
        (tmp, files)
    }

    #[test]
    fn load_without_folder_is_none_and_creates_nothing() {
        let (_tmp, files) = fresh();
        assert!(files.load().unwrap().is_none());
        assert!(!files.dir().exists());
    }

    #[test]
    fn save_creates_private_folder_and_files_then_loads() {
        let (_tmp, files) = fresh();
        let c = creds("db", "p w");
        files.save(&c).unwrap();
        #[cfg(unix)]
        {
            assert_eq!(mode(files.dir()), 0o700);
            assert_eq!(mode(&files.dir().join(KEY_FILE)), 0o600);
            assert_eq!(mode(&files.dir().join(CREDENTIALS_FILE)), 0o600);
            assert_eq!(mode(&files.dir().join(LOCK_FILE)), 0o600);
        }
        assert_eq!(names(files.dir()), [LOCK_FILE, CREDENTIALS_FILE, KEY_FILE]);
        assert_eq!(files.load().unwrap(), Some(c));
        let key = std::fs::read(files.dir().join(KEY_FILE)).unwrap();
        assert_eq!(key.len(), 44, "no trailing newline, as Python writes it");
    }

    #[test]
    fn key_is_reused_across_saves() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        let key = std::fs::read(files.dir().join(KEY_FILE)).unwrap();
        files.save(&creds("b", "2")).unwrap();
        files.save(&creds("c", "3")).unwrap();
        assert_eq!(std::fs::read(files.dir().join(KEY_FILE)).unwrap(), key);
        assert_eq!(files.load().unwrap(), Some(creds("c", "3")));
    }

    #[test]
    fn key_with_trailing_newline_loads_and_is_reused() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        let key_path = files.dir().join(KEY_FILE);
        let mut key = std::fs::read(&key_path).unwrap();
        key.push(b'\n');
        std::fs::write(&key_path, &key).unwrap();
        assert_eq!(files.load().unwrap(), Some(creds("a", "1")));
        files.save(&creds("b", "2")).unwrap();
        assert_eq!(std::fs::read(&key_path).unwrap(), key, "key not rewritten");
        assert!(corrupt_names(files.dir(), KEY_FILE).is_empty());
    }

    #[test]
    fn python_fixture_files_load() {
        let (_tmp, files) = fresh();
        std::fs::create_dir(files.dir()).unwrap();
        for name in [KEY_FILE, CREDENTIALS_FILE] {
            let to = files.dir().join(name);
            std::fs::copy(format!("{FIXTURES}/python-fernet/{name}"), &to).unwrap();
            set_mode(&to, 0o600);
        }
        let c = files.load().unwrap().unwrap();
        let expected: serde_json::Value = serde_json::from_slice(
            &std::fs::read(format!("{FIXTURES}/python-fernet/expected.json")).unwrap(),
        )
        .unwrap();
        let got = serde_json::json!({
            "host": c.host, "port": c.port, "database": c.database,
            "username": c.username, "password": c.password.expose(),
        });
        assert_eq!(got, expected);
        // A save keeps the Python key.
        files.save(&c).unwrap();
        let key = std::fs::read(files.dir().join(KEY_FILE)).unwrap();
        assert_eq!(
            key,
            std::fs::read(format!("{FIXTURES}/python-fernet/fernet.key")).unwrap()
        );
    }

    #[test]
    fn corrupt_key_is_reported_then_preserved_on_next_save() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        let key_path = files.dir().join(KEY_FILE);
        std::fs::write(&key_path, b"garbage").unwrap();
        let e = files.load().unwrap_err();
        assert_eq!(
            e.to_string(),
            "the key file fernet.key is not a valid Fernet key"
        );
        let old_token = std::fs::read(files.dir().join(CREDENTIALS_FILE)).unwrap();

        files.save(&creds("b", "2")).unwrap();
        assert_eq!(files.load().unwrap(), Some(creds("b", "2")));
        let keys = corrupt_names(files.dir(), KEY_FILE);
        let tokens = corrupt_names(files.dir(), CREDENTIALS_FILE);
        assert_eq!(keys.len(), 1, "{:?}", names(files.dir()));
        assert_eq!(
            tokens.len(),
            1,
            "the old token is useless without its key but kept"
        );
        assert_eq!(
            std::fs::read(files.dir().join(&keys[0])).unwrap(),
            b"garbage"
        );
        assert_eq!(
            std::fs::read(files.dir().join(&tokens[0])).unwrap(),
            old_token
        );
        // `fernet.key.corrupt-20261129T101500Z`
        let stamp = keys[0].trim_start_matches("fernet.key.corrupt-");
        assert_eq!(stamp.len(), 16, "{stamp}");
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T',
            "{stamp}"
        );
    }

    #[test]
    fn corrupt_token_is_reported_then_preserved_and_key_kept() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        let key = std::fs::read(files.dir().join(KEY_FILE)).unwrap();
        let tok_path = files.dir().join(CREDENTIALS_FILE);
        std::fs::write(&tok_path, b"gAAAAAtampered").unwrap();
        assert_eq!(
            files.load().unwrap_err().to_string(),
            "db_credentials.enc cannot be decrypted with fernet.key"
        );
        files.save(&creds("b", "2")).unwrap();
        assert_eq!(files.load().unwrap(), Some(creds("b", "2")));
        assert_eq!(std::fs::read(files.dir().join(KEY_FILE)).unwrap(), key);
        let tokens = corrupt_names(files.dir(), CREDENTIALS_FILE);
        assert_eq!(tokens.len(), 1);
        assert_eq!(
            std::fs::read(files.dir().join(&tokens[0])).unwrap(),
            b"gAAAAAtampered"
        );
        assert!(corrupt_names(files.dir(), KEY_FILE).is_empty());
    }

    #[test]
    fn token_from_another_key_is_undecryptable() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        std::fs::write(
            files.dir().join(KEY_FILE),
            FernetKey::generate().file_bytes(),
        )
        .unwrap();
        assert!(matches!(
            files.load(),
            Err(LoadError::Token(TokenError::Undecryptable))
        ));
    }

    #[test]
    fn missing_key_with_token_is_reported_and_key_not_silently_regenerated_by_load() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        std::fs::remove_file(files.dir().join(KEY_FILE)).unwrap();
        let e = files.load().unwrap_err();
        assert_eq!(
            e.to_string(),
            "db_credentials.enc exists but the key file fernet.key is missing"
        );
        assert!(!files.dir().join(KEY_FILE).exists());
        files.save(&creds("b", "2")).unwrap();
        assert_eq!(files.load().unwrap(), Some(creds("b", "2")));
        assert_eq!(corrupt_names(files.dir(), CREDENTIALS_FILE).len(), 1);
    }

    #[test]
    fn key_alone_is_no_credentials() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        std::fs::remove_file(files.dir().join(CREDENTIALS_FILE)).unwrap();
        assert_eq!(files.load().unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn group_or_other_readable_files_are_refused_not_repaired() {
        for name in [KEY_FILE, CREDENTIALS_FILE] {
            let (_tmp, files) = fresh();
            files.save(&creds("a", "1")).unwrap();
            let p = files.dir().join(name);
            set_mode(&p, 0o644);
            let e = files.load().unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{name} is accessible by group or others (mode 0644, expected 0600)")
            );
            assert_eq!(mode(&p), 0o644, "load must not chmod");
            // The next save sets the exposed file aside and writes fresh ones.
            files.save(&creds("b", "2")).unwrap();
            assert_eq!(files.load().unwrap(), Some(creds("b", "2")));
            assert_eq!(corrupt_names(files.dir(), name).len(), 1);
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_files_are_refused() {
        for name in [KEY_FILE, CREDENTIALS_FILE] {
            let (tmp, files) = fresh();
            files.save(&creds("a", "1")).unwrap();
            let p = files.dir().join(name);
            let elsewhere = tmp.path().join("elsewhere");
            std::fs::rename(&p, &elsewhere).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &p).unwrap();
            assert_eq!(
                files.load().unwrap_err().to_string(),
                format!("{name} is a symbolic link")
            );
            files.save(&creds("b", "2")).unwrap();
            assert_eq!(files.load().unwrap(), Some(creds("b", "2")));
            assert!(elsewhere.exists(), "the link target is never touched");
        }
    }

    #[test]
    fn save_failure_reports_folder_and_leaves_previous_files() {
        let tmp = tempfile::tempdir().unwrap();
        // A regular file where a parent folder should be: fails even as root.
        let blocker = tmp.path().join("blocker");
        std::fs::write(&blocker, b"").unwrap();
        let files = CredentialFolder::new(blocker.join("cfg"));
        let e = files.save(&creds("a", "1")).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "cannot create folder {}: ",
                blocker.join("cfg").display()
            )),
            "{e}"
        );

        // Folder exists with good files, then writing is impossible.
        let (_tmp2, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        let before: Vec<_> = [KEY_FILE, CREDENTIALS_FILE]
            .iter()
            .map(|n| std::fs::read(files.dir().join(n)).unwrap())
            .collect();
        std::fs::remove_file(files.dir().join(LOCK_FILE)).unwrap();
        std::fs::create_dir(files.dir().join(LOCK_FILE)).unwrap(); // cannot be opened as a file
        let e = files.save(&creds("b", "2")).unwrap_err();
        assert!(e.to_string().starts_with("cannot lock "), "{e}");
        let after: Vec<_> = [KEY_FILE, CREDENTIALS_FILE]
            .iter()
            .map(|n| std::fs::read(files.dir().join(n)).unwrap())
            .collect();
        assert_eq!(before, after);
        assert_eq!(files.load().unwrap(), Some(creds("a", "1")));
    }

    #[test]
    fn load_waits_only_boundedly_for_a_held_lock() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        let holder = files.exclusive_lock().unwrap();
        let started = std::time::Instant::now();
        assert_eq!(files.load().unwrap(), Some(creds("a", "1")));
        assert!(started.elapsed() >= SHARED_LOCK_WAIT);
        drop(holder);
    }

    #[test]
    fn stale_temp_files_are_cleaned_by_the_next_save() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "1")).unwrap();
        let stale = files.dir().join(format!(
            "{}db_credentials.enc.XYZ",
            atomic_write::TEMP_PREFIX
        ));
        std::fs::write(&stale, b"ciphertext").unwrap();
        files.save(&creds("b", "2")).unwrap();
        assert!(!stale.exists());
    }

    #[cfg(unix)]
    #[test]
    fn errors_never_contain_the_password() {
        let (_tmp, files) = fresh();
        files.save(&creds("a", "sekrit-pw")).unwrap();
        set_mode(&files.dir().join(CREDENTIALS_FILE), 0o666);
        let e = files.load().unwrap_err();
        assert!(!format!("{e} {e:?}").contains("sekrit-pw"));
    }

    /// A save over a folder where only `fernet.key.old` opens the token
    /// (`fernet.key` missing, garbage or too open) promotes the old key
    /// instead of losing it: the new settings are under that key, the
    /// unusable `fernet.key` is set aside, no old key is left.
    #[test]
    fn a_save_promotes_the_only_key_that_opens_the_token() {
        let mut cases: Vec<(&str, Option<&[u8]>, u32)> = vec![
            ("missing", None, 0o600),
            ("garbage", Some(b"garbage"), 0o600),
        ];
        if cfg!(unix) {
            cases.push(("too open", Some(b"x"), 0o644)); // modes are a Unix rule
        }
        for (case, current, current_mode) in cases {
            let (_tmp, files) = fresh();
            files.save(&creds("a", "1")).unwrap();
            let dir = files.dir().to_owned();
            let only = std::fs::read(dir.join(KEY_FILE)).unwrap();
            std::fs::rename(dir.join(KEY_FILE), dir.join(OLD_KEY_FILE)).unwrap();
            if let Some(bytes) = current {
                let bytes = if case == "too open" {
                    FernetKey::generate().file_bytes().to_vec()
                } else {
                    bytes.to_vec()
                };
                atomic_write::replace(&dir, KEY_FILE, &bytes).unwrap();
                set_mode(&dir.join(KEY_FILE), current_mode);
            }
            files.save(&creds("b", "2")).unwrap();
            assert_eq!(files.load().unwrap(), Some(creds("b", "2")), "{case}");
            assert_eq!(std::fs::read(dir.join(KEY_FILE)).unwrap(), only, "{case}");
            assert!(!dir.join(OLD_KEY_FILE).exists(), "{case}");
            let aside = corrupt_names(&dir, KEY_FILE).len();
            assert_eq!(aside, usize::from(current.is_some()), "{case}");
            assert!(corrupt_names(&dir, CREDENTIALS_FILE).is_empty(), "{case}");
        }
    }
}
