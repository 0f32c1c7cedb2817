//! Stop requests (console control events) and the parent watch on Windows.
#![allow(unsafe_code)]

use std::future::Future;
use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::time::Duration;

use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_shutdown};
use windows_sys::Win32::Foundation::{ERROR_INVALID_PARAMETER, WAIT_OBJECT_0};
use windows_sys::Win32::System::Threading::{
    OpenProcess, PROCESS_SYNCHRONIZE, WaitForSingleObject,
};

/// Ctrl-C, Ctrl-Break (what a shell can send a console process group with
/// `GenerateConsoleCtrlEvent`), the console window being closed, and the
/// system shutting down, registered at the call. For the last two Windows
/// ends the process a few seconds after the event whatever happens, so the
/// graceful stop (bounded by `shutdown_grace_secs`) must be short there.
pub fn stop_requested() -> io::Result<impl Future<Output = &'static str> + Send> {
    let mut c = ctrl_c()?;
    let mut brk = ctrl_break()?;
    let mut close = ctrl_close()?;
    let mut shutdown = ctrl_shutdown()?;
    Ok(async move {
        tokio::select! {
            _ = c.recv() => "Ctrl-C",
            _ = brk.recv() => "Ctrl-Break",
            _ = close.recv() => "CTRL_CLOSE_EVENT",
            _ = shutdown.recv() => "CTRL_SHUTDOWN_EVENT",
        }
    })
}

/// A handle opened with `SYNCHRONIZE` at the first poll keeps naming that
/// process — a pid reused later is another process, whose exit this handle
/// does not see — and becomes signalled when it exits. Polled every 250 ms
/// (a blocking wait would hold a thread the runtime waits for at exit).
/// A pid that names no process is gone at once; one we may not open
/// (another user's) cannot be watched, which is logged.
pub async fn parent_gone(pid: u32) {
    // SAFETY: OpenProcess has no preconditions; the handle is owned below.
    let raw = unsafe { OpenProcess(PROCESS_SYNCHRONIZE, 0, pid) };
    if raw.is_null() {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(ERROR_INVALID_PARAMETER as i32) {
            return; // no such process
        }
        tracing::warn!(pid, error = %e, "cannot watch the parent process");
        return std::future::pending().await;
    }
    // SAFETY: a valid handle just opened for us, closed once by OwnedHandle.
    let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        // SAFETY: `handle` is valid; a zero timeout only polls.
        if unsafe { WaitForSingleObject(handle.as_raw_handle(), 0) } == WAIT_OBJECT_0 {
            return;
        }
    }
}

/// A pid that names no process fails to open with `ERROR_INVALID_PARAMETER`;
/// one we may not open (another user's) exists; an opened handle that is
/// already signalled is a process that has exited but is still referenced.
pub fn process_exists(pid: u32) -> bool {
    // SAFETY: OpenProcess has no preconditions; the handle is owned below.
    let raw = unsafe { OpenProcess(PROCESS_SYNCHRONIZE, 0, pid) };
    if raw.is_null() {
        let e = io::Error::last_os_error();
        return e.raw_os_error() != Some(ERROR_INVALID_PARAMETER as i32);
    }
    // SAFETY: a valid handle just opened for us, closed once by OwnedHandle.
    let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
    // SAFETY: `handle` is valid; a zero timeout only polls.
    unsafe { WaitForSingleObject(handle.as_raw_handle(), 0) != WAIT_OBJECT_0 }
}
