//! Signals and the parent watch on Unix.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

/// SIGTERM and SIGINT, registered at the call.
pub fn stop_requested() -> io::Result<impl Future<Output = &'static str> + Send> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

/// Polls every 250 ms.
///
/// "Exists" means the same process, not just the same number: once the
/// shell is gone its pid may be handed to an unrelated process, which would
/// keep an orphan daemon alive forever. So the parent's start time (from
/// `/proc/<pid>/stat`) is read once, at the first poll, and a process under
/// that pid with another start time counts as gone. Where `/proc` is not
/// available, existence alone is checked.
pub async fn parent_gone(pid: u32) {
    let started = start_time(pid);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        if !same_process_alive(pid, started) {
            return;
        }
    }
}

/// Whether `pid` exists and, when its start time was known at start, still
/// has that start time (i.e. was not reused).
fn same_process_alive(pid: u32, started: Option<u64>) -> bool {
    if !process_alive(pid) {
        return false;
    }
    match (started, start_time(pid)) {
        (Some(then), Some(now)) => then == now,
        // Gone between the two checks, or /proc unreadable now: trust the
        // existence check rather than shut down on a read error.
        _ => true,
    }
}

/// The process's start time in clock ticks since boot: field 22 of
/// `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may
/// itself contain spaces and `)`, so fields are counted after the last `)`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_time(&stat)
}

fn parse_start_time(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state) onwards: field 22 is the 20th.
    after_comm.split_whitespace().nth(19)?.parse().ok()
}

/// Signal 0 checks existence; `EPERM` means it exists but belongs to
/// someone else.
pub fn process_alive(pid: u32) -> bool {
    use nix::errno::Errno;
    use nix::sys::signal::kill;
    use nix::unistd::Pid;
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    !matches!(kill(Pid::from_raw(raw), None), Err(Errno::ESRCH))
}

/// Like [`process_alive`], but a zombie (exited, not yet reaped by its
/// parent) is gone: `taskflowd stop` must see a stopped daemon as stopped
/// even when its parent is slow to reap it.
pub fn process_exists(pid: u32) -> bool {
    if !process_alive(pid) {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the command name's `)`.
        Ok(stat) => stat
            .rfind(')')
            .and_then(|at| stat[at + 1..].split_whitespace().next())
            .is_none_or(|state| state != "Z"),
        Err(_) => true,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_field_22_even_with_a_hostile_command_name() {
        let fields: Vec<String> = (3..=52).map(|n| n.to_string()).collect();
        let stat = format!("1234 (a) b (c)) {}\n", fields.join(" "));
        assert_eq!(parse_start_time(&stat), Some(22));
        assert_eq!(parse_start_time("1234 (x) S 1 2"), None);
        assert_eq!(parse_start_time("garbage"), None);
    }

    #[test]
    fn own_process_is_alive_only_with_its_own_start_time() {
        let me = std::process::id();
        let started = start_time(me);
        assert!(started.is_some(), "/proc/self/stat is readable on Linux");
        assert!(same_process_alive(me, started));
        // The same pid with another start time: a reused pid, so gone.
        assert!(!same_process_alive(me, started.map(|t| t + 1)));
        assert!(same_process_alive(me, None));
    }
}
