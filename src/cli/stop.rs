//! `taskflowd stop`: stops the daemon serving this config folder and waits
//! until its process has exited.
//!
//! The daemon is found as every command finds it ([`super::find`]: the
//! discovery file, a file whose pid is gone meaning no daemon, unless an
//! address is given on the command line), asked over `POST
//! /api/v1/shutdown` (the graceful stop SIGTERM does, and the one way that
//! also works on Windows), then its pid is watched until it is gone — or,
//! for an address given by hand that the discovery file does not name, its
//! port until it no longer accepts connections. Exit 0 once it has exited;
//! 1 when no daemon serves the folder, the request is refused, or it does
//! not exit in time; 2 for a refused token file.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::platform;

/// How long the process may take to exit after the 202: the grace for
/// in-flight requests plus the actors' stop, with room to spare.
fn exit_deadline(settings: &Settings) -> Duration {
    Duration::from_secs(settings.shutdown_grace_secs.saturating_mul(2) + 10)
}

/// The command; returns the exit code.
pub async fn stop(settings: &Settings, explicit: bool) -> u8 {
    let found = match super::find::daemon(settings, explicit) {
        Ok(found) => found,
        Err(e) => return e.report(),
    };
    match found.client.send("POST", "/api/v1/shutdown", None).await {
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
    let addr = found.client.addr();
    while still_there(found.pid, addr).await {
        if Instant::now() > deadline {
            eprintln!(
                "taskflowd: the daemon at {addr} is still running {} s after the stop request",
                exit_deadline(settings).as_secs()
            );
            return 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    match found.pid {
        Some(pid) => println!("taskflowd (pid {pid}) stopped"),
        None => println!("taskflowd at {addr} stopped"),
    }
    0
}

/// Whether the daemon still runs: its pid when known, else whether its
/// port still accepts connections.
async fn still_there(pid: Option<u32>, addr: SocketAddr) -> bool {
    match pid {
        Some(pid) => platform::process_exists(pid),
        None => tokio::net::TcpStream::connect(addr).await.is_ok(),
    }
}
