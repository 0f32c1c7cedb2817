//! The TLS relay's private channel on Unix: a Unix socket in a fresh 0700
//! folder.
//!
//! Why: sqlx connects only to TCP or to a Unix socket path; a loopback TCP
//! port would be open to every local user, while the folder (under
//! `$XDG_RUNTIME_DIR`, else the temp folder) admits only this user, and its
//! random name is known only to this process. The driver is told
//! `socket(<folder>)` (sqlx then connects to `<folder>/.s.PGSQL.<port>`,
//! libpq's naming).

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sea_orm::sqlx::postgres::PgConnectOptions;
use tokio::net::{UnixListener, UnixStream};

/// A connection from the driver.
pub type RelayStream = UnixStream;

/// Relay folders are `<DIR_PREFIX><pid>-<random>`.
const DIR_PREFIX: &str = "taskflowd-tls-";

/// Where the driver connects; dropping it removes the folder and socket.
#[derive(Debug)]
pub struct RelayEndpoint {
    dir: tempfile::TempDir,
}

impl RelayEndpoint {
    /// `opts` pointed at this channel (`socket(<folder>)`); the host stays
    /// in them for messages only.
    pub fn driver_options(&self, opts: PgConnectOptions) -> PgConnectOptions {
        opts.socket(self.dir.path())
    }
}

/// The listening side, owned by the accept loop.
#[derive(Debug)]
pub struct RelayAcceptor {
    listener: UnixListener,
}

impl RelayAcceptor {
    /// The next connection (only this user can reach the folder).
    pub async fn accept(&self) -> io::Result<RelayStream> {
        self.listener.accept().await.map(|(stream, _)| stream)
    }

    /// The driver's startup message, as it is forwarded: the folder already
    /// admitted only this user, so it is unchanged.
    pub fn admit(&self, startup: Vec<u8>) -> Option<Vec<u8>> {
        Some(startup)
    }
}

pub fn relay_channel(port: u16) -> io::Result<(RelayEndpoint, RelayAcceptor)> {
    let parent = socket_parent();
    sweep_stale(&parent);
    // The mode is given at creation (tempfile's default would be 0777 less
    // the umask), so the folder is never open to others.
    let dir = tempfile::Builder::new()
        .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(&parent)?;
    let listener = UnixListener::bind(dir.path().join(format!(".s.PGSQL.{port}")))?;
    Ok((RelayEndpoint { dir }, RelayAcceptor { listener }))
}

/// Removes relay folders of ours left by a daemon that is gone (`kill -9`,
/// a crash: no destructor ran). Best effort; a live process's, or another
/// user's, folder is never touched.
fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let me = nix::unistd::geteuid().as_raw();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
            .filter(|pid| *pid > 0 && i32::try_from(*pid).is_ok())
        else {
            continue;
        };
        let gone = !super::process::process_alive(pid);
        let path = entry.path();
        let ours = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && m.uid() == me);
        if gone && ours {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// `$XDG_RUNTIME_DIR` (per user, memory-backed, cleaned at logout) when set,
/// else the temp folder. Socket paths must stay under ~108 bytes.
fn socket_parent() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn folders_of_gone_daemons_are_swept_and_others_kept() {
        let parent = tempfile::tempdir().unwrap();
        // No process has pid 2^22 + 1 (above Linux's pid_max limit).
        let stale = parent.path().join(format!("{DIR_PREFIX}4194305-abc123"));
        let live = parent
            .path()
            .join(format!("{DIR_PREFIX}{}-abc123", std::process::id()));
        let other = parent.path().join(format!("{DIR_PREFIX}abc123"));
        for d in [&stale, &live, &other] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join(".s.PGSQL.5432"), b"").unwrap();
        }
        sweep_stale(parent.path());
        assert!(!stale.exists());
        assert!(live.exists() && other.exists());
    }
}
