//! `taskflowd stop`: stops the daemon serving this config folder and waits
//! until its process has exited.
//!
//! The daemon is found through its discovery file (a file whose pid is gone
//! means no daemon), asked over `POST /api/v1/shutdown` (the graceful stop
//! SIGTERM does, and the one way that also works on Windows), then its pid
//! is watched until it is gone. Exit 0 once it has exited; 1 when no daemon
//! serves the folder, the request is refused, or it does not exit in time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::instance::discovery;
use crate::platform;
use crate::security::config_dir;

/// How long the process may take to exit after the 202: the grace for
/// in-flight requests plus the actors' stop, with room to spare.
fn exit_deadline(settings: &Settings) -> Duration {
    Duration::from_secs(settings.shutdown_grace_secs.saturating_mul(2) + 10)
}

/// The command; returns the exit code.
pub async fn stop(settings: &Settings) -> u8 {
    let dir = match config_dir::resolve(settings.config_dir.as_deref()) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("taskflowd: {e}");
            return 1;
        }
    };
    let Some(running) = discovery::read_live(&dir) else {
        eprintln!(
            "taskflowd: no taskflowd serves the config folder {}",
            dir.display()
        );
        return 1;
    };
    let Some(addr) = running
        .url
        .strip_prefix("http://")
        .and_then(|a| a.parse::<SocketAddr>().ok())
    else {
        eprintln!(
            "taskflowd: the discovery file names no address I can use: {}",
            running.url
        );
        return 1;
    };
    // The same client (and token) as the other commands, at that address.
    let mut at = settings.clone();
    at.host = addr.ip().to_string();
    at.port = addr.port();
    let client = super::commands::daemon_client(&at);
    match client.send("POST", "/api/v1/shutdown", None).await {
        Ok((202, _)) => {}
        Ok((code, body)) => {
            let why = body["error"].as_str().unwrap_or("no reason given");
            eprintln!("taskflowd: stop refused ({code}): {why}");
            return 1;
        }
        Err(e) => {
            eprintln!("taskflowd: {e}");
            return 1;
        }
    }
    let deadline = Instant::now() + exit_deadline(settings);
    while platform::process_exists(running.pid) {
        if Instant::now() > deadline {
            eprintln!(
                "taskflowd: pid {} is still running {} s after the stop request",
                running.pid,
                exit_deadline(settings).as_secs()
            );
            return 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("taskflowd (pid {}) stopped", running.pid);
    0
}
