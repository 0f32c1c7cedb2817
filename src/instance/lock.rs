//! The instance lock: an exclusive OS lock (`flock` / `LockFileEx`, through
//! std's `File::try_lock`) on `.taskflowd-instance.lock` in the config
//! folder, held as long as the process lives.
//!
//! The kernel drops the lock when the process ends however it ends, so a
//! `kill -9` or a crash never leaves a stale lock behind (the file itself
//! stays, empty and harmless). It is not the save writer lock
//! ([`crate::security::credential_folder::LOCK_FILE`]): that one is taken
//! for each save and by `rotate-key` while a daemon runs, so holding it for
//! the daemon's life would lock out the rotation. Nothing is written to
//! this file: Windows locks are mandatory, so another process could not read
//! a pid from a locked file; the pid and url are the discovery file's.

use std::fs::{File, TryLockError};
use std::io;
use std::path::Path;

use crate::platform;

/// The lock file's name in the config folder.
pub const INSTANCE_LOCK_FILE: &str = ".taskflowd-instance.lock";

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// What [`InstanceLock::acquire`] found.
#[derive(Debug)]
pub enum Acquired {
    /// This process now holds the folder.
    Held(InstanceLock),
    /// Another live process holds it.
    Busy,
}

impl InstanceLock {
    /// Takes the lock of the (existing) folder `dir` without waiting.
    pub fn acquire(dir: &Path) -> io::Result<Acquired> {
        let file = platform::open_private_lock_file(&dir.join(INSTANCE_LOCK_FILE))?;
        match file.try_lock() {
            Ok(()) => Ok(Acquired::Held(Self { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(Acquired::Busy),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let Acquired::Held(first) = InstanceLock::acquire(dir.path()).unwrap() else {
            panic!("a fresh folder is free");
        };
        // A second open file description: the same process is refused too
        // (flock locks belong to the open file, not the process).
        assert!(matches!(
            InstanceLock::acquire(dir.path()).unwrap(),
            Acquired::Busy
        ));
        drop(first);
        assert!(matches!(
            InstanceLock::acquire(dir.path()).unwrap(),
            Acquired::Held(_)
        ));
    }
}
