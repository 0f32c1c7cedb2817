//! The discovery file `taskflowd.json` in the config folder: which process
//! serves this folder and where, so that `TASKFLOW_PORT=0` (a free port) is
//! practical for a shell and the CLI.
//!
//! `{"pid", "port", "host", "url", "version", "started_at"}`, written
//! atomically and owner-only ([`crate::security::atomic_write`]: a 0600
//! temporary file, fsync, rename) as soon as the port listens, removed at a
//! clean stop. After a crash the file stays behind; the next start replaces
//! it, and [`read_live`] treats a file whose pid is gone as absent. It holds
//! no secret (the token is never in it): what it tells is where to connect,
//! and the same-user rule decides who may.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::platform;
use crate::security::atomic_write;

/// The file's name in the config folder.
pub const DISCOVERY_FILE: &str = "taskflowd.json";

/// The file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// The daemon's process id.
    pub pid: u32,
    /// The port it listens on (the real one with `TASKFLOW_PORT=0`).
    pub port: u16,
    /// The address it is bound to (`127.0.0.1`).
    pub host: String,
    /// Where a client on this machine connects: `http://127.0.0.1:<port>`
    /// (a wildcard bind is reached through loopback).
    pub url: String,
    /// taskflowd's version.
    pub version: String,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
}

impl Discovery {
    /// This process, listening at `local`.
    pub fn for_this_process(local: SocketAddr) -> Self {
        let reach = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let started_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            pid: std::process::id(),
            port: local.port(),
            host: local.ip().to_string(),
            url: format!("http://{}", SocketAddr::new(reach, local.port())),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at,
        }
    }

    /// The address in [`Self::url`] (`http://<ip>:<port>`), if it is one.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.url.strip_prefix("http://")?.parse().ok()
    }

    /// Writes it to `dir`, replacing what a crashed daemon left.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let mut text = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        text.push(b'\n');
        atomic_write::replace(dir, DISCOVERY_FILE, &text)
    }
}

/// The file in `dir`, if any and readable (whatever its pid).
pub fn read(dir: &Path) -> Option<Discovery> {
    let text = std::fs::read(dir.join(DISCOVERY_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// The file in `dir` if the process it names still exists; a file left by a
/// crash (its pid gone) is absent.
pub fn read_live(dir: &Path) -> Option<Discovery> {
    read(dir).filter(|d| platform::process_exists(d.pid))
}

/// Removes the file at a clean stop, if it is still this process's (a
/// later daemon's file is never removed).
pub fn remove_own(dir: &Path) {
    if read(dir).is_some_and(|d| d.pid == std::process::id())
        && let Err(e) = std::fs::remove_file(dir.join(DISCOVERY_FILE))
    {
        tracing::warn!(error = %e, "cannot remove the discovery file");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_owner_only_read_back_and_removed_only_by_its_process() {
        let dir = tempfile::tempdir().unwrap();
        let d = Discovery::for_this_process("127.0.0.1:4321".parse().unwrap());
        assert_eq!(d.url, "http://127.0.0.1:4321");
        assert_eq!(d.addr(), Some("127.0.0.1:4321".parse().unwrap()));
        d.write(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DISCOVERY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(read_live(dir.path()), Some(d.clone()));

        // Another process's file stays; ours goes.
        let other = Discovery {
            pid: d.pid.wrapping_add(1),
            ..d.clone()
        };
        other.write(dir.path()).unwrap();
        remove_own(dir.path());
        assert_eq!(read(dir.path()), Some(other));
        d.write(dir.path()).unwrap();
        remove_own(dir.path());
        assert_eq!(read(dir.path()), None);
    }

    #[test]
    fn a_file_whose_pid_is_gone_is_absent() {
        let dir = tempfile::tempdir().unwrap();
        // A child that has exited and been reaped: its pid names nothing
        // (until reused, which a test run does not wait for).
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let d = Discovery {
            pid,
            ..Discovery::for_this_process("127.0.0.1:1".parse().unwrap())
        };
        d.write(dir.path()).unwrap();
        assert!(read(dir.path()).is_some());
        assert_eq!(read_live(dir.path()), None);
    }

    #[test]
    fn a_wildcard_bind_is_reached_through_loopback() {
        let d = Discovery::for_this_process("0.0.0.0:80".parse().unwrap());
        assert_eq!(
            (d.host.as_str(), d.url.as_str()),
            ("0.0.0.0", "http://127.0.0.1:80")
        );
        let d = Discovery::for_this_process("[::]:80".parse().unwrap());
        assert_eq!(d.url, "http://[::1]:80");
        assert_eq!(d.addr(), Some("[::1]:80".parse().unwrap()));
    }
}
