//! Where an operator command finds its daemon, and with what token.
//!
//! The daemon of the config folder is the one its discovery file
//! (`taskflowd.json`, [`crate::instance::discovery`]) names — with
//! `TASKFLOW_PORT=0` nothing else knows the port, and a configured port
//! may be served by anything, another user's listener included. Only an
//! address given on the command line (`--host` / `--port` before the
//! command) overrides it. Whichever it is, [`super::client::Client`] then
//! checks that the listener is this user's before sending a byte
//! ([`super::trust`]).
//!
//! The token comes from the one reader the daemon uses
//! ([`crate::security::api_token`]): a token file the daemon would refuse
//! (symlink, another owner, group/other bits) is refused here too, exit 2
//! naming the file, before anything is sent.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::client::Client;
use crate::config::Settings;
use crate::instance::discovery;
use crate::security::{api_token, config_dir};

/// The daemon to talk to.
#[derive(Debug)]
pub struct Found {
    /// A client for its address, with the configured token.
    pub client: Client,
    /// Its pid, when the discovery file named it at that address.
    pub pid: Option<u32>,
}

/// Why there is no daemon to talk to: the exit code and the message
/// (without the `taskflowd: ` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    /// 2 for a configuration error (the token file), 1 otherwise.
    pub code: u8,
    /// What to print.
    pub message: String,
}

impl NotFound {
    /// Prints the message on stderr and returns the exit code.
    pub fn report(&self) -> u8 {
        eprintln!("taskflowd: {}", self.message);
        self.code
    }
}

/// The daemon for `settings`: at the address given on the command line
/// when `explicit`, else the one the config folder's discovery file names.
pub fn daemon(settings: &Settings, explicit: bool) -> Result<Found, NotFound> {
    let token = api_token::configured(
        settings.api_token.as_ref(),
        settings.api_token_file.as_deref(),
    )
    .map_err(|e| NotFound {
        code: 2,
        message: format!("cannot use the API token file: {e}"),
    })?;
    let token = token.map(|t| t.expose().to_owned());
    let not_found = |message: String| NotFound { code: 1, message };
    let dir = config_dir::resolve(settings.config_dir.as_deref());
    let running = dir.as_ref().ok().and_then(|d| discovery::read_live(d));
    if explicit {
        let addr = configured_addr(settings);
        let pid = running.filter(|r| r.addr() == Some(addr)).map(|r| r.pid);
        return Ok(Found {
            client: Client::new(addr, token),
            pid,
        });
    }
    let dir = dir.map_err(|e| not_found(e.to_string()))?;
    let Some(running) = running else {
        return Err(not_found(format!(
            "no taskflowd serves the config folder {} (no taskflowd.json of a running process); \
             give --port before the command to reach a daemon elsewhere",
            dir.display()
        )));
    };
    let Some(addr) = running.addr() else {
        return Err(not_found(format!(
            "the discovery file names no address I can use: {}",
            running.url
        )));
    };
    Ok(Found {
        client: Client::new(addr, token),
        pid: Some(running.pid),
    })
}

/// The address from the configuration and flags, on loopback for an
/// unspecified bind address (0.0.0.0 is reached via 127.0.0.1).
fn configured_addr(settings: &Settings) -> SocketAddr {
    let ip = match settings.bind_ip() {
        Ok(ip) if !ip.is_unspecified() => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    SocketAddr::new(ip, settings.port)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::instance::discovery::Discovery;

    fn settings(dir: &std::path::Path) -> Settings {
        Settings {
            config_dir: Some(dir.to_path_buf()),
            port: 8123,
            ..Settings::default()
        }
    }

    #[test]
    fn the_discovery_file_unless_an_address_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        let e = daemon(&s, false).unwrap_err();
        assert_eq!(e.code, 1);
        assert!(
            e.message.starts_with(&format!(
                "no taskflowd serves the config folder {}",
                dir.path().display()
            )),
            "{e:?}"
        );
        // This process, as if it were the daemon, on another port.
        Discovery::for_this_process("127.0.0.1:4321".parse().unwrap())
            .write(dir.path())
            .unwrap();
        let found = daemon(&s, false).unwrap();
        assert_eq!(found.client.addr(), "127.0.0.1:4321".parse().unwrap());
        assert_eq!(found.pid, Some(std::process::id()));
        // Given on the command line: that address, and no pid (the file
        // names another).
        let found = daemon(&s, true).unwrap();
        assert_eq!(found.client.addr(), "127.0.0.1:8123".parse().unwrap());
        assert_eq!(found.pid, None);
    }

    #[test]
    fn a_refused_token_file_is_exit_2_before_anything_else() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings {
            api_token_file: Some(dir.path().join("missing")),
            ..settings(dir.path())
        };
        let e = daemon(&s, true).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.contains("missing: no such file"), "{e:?}");
    }
}
