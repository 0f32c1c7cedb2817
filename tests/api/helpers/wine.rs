//! The Windows run: the same Linux test binary, with the daemon started as
//! `taskflowd.exe` under Wine instead of the Linux build (issue 24).
//!
//! Switched on by `TASKFLOWD_TEST_WINE=<path to taskflowd.exe>` (plus
//! `TASKFLOWD_TEST_WINEPREFIX`, a prefix made by `scripts/wine/build-shim.sh`;
//! `scripts/wine/test.sh` sets both). Everything else stays Linux: the
//! PostgreSQL clusters, the HTTP client, the file checks. What changes for the
//! daemon (see [`DaemonBuilder::spawn`](super::daemon::DaemonBuilder::spawn)):
//!
//! - it runs as `WINEDEBUG=-all WINEPREFIX=<prefix> wine64 taskflowd.exe`, in
//!   its own process group, so a kill reaches everything Wine started for it;
//! - no `TASKFLOW_PARENT_PID`: a Linux pid means nothing to Windows (the
//!   daemon would see its "parent" gone and stop at once); orphans are
//!   prevented instead by `Drop` and by `wineserver -k` at the end of the run
//!   (`scripts/wine/test.sh`), which ends every process of the prefix;
//! - absolute Linux paths it is given (environment values, flags, and the
//!   paths tests put in request bodies through [`daemon_path`]) become `Z:\…`,
//!   Wine's drive for `/`;
//! - the graceful stop is SIGINT to the Wine process, which Wine turns into
//!   Ctrl-C (exit 0); the same-user check is off (Wine reports no socket owners).
//!
//! Which tests apply is decided by each test that does not: it starts with
//! [`skip_on_windows_run`], which prints why, so the run's output lists every
//! skip with its reason. The README's "Windows" section lists the modules.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

/// The Windows run's parts, when it is on.
#[derive(Debug)]
pub struct WindowsRun {
    /// `taskflowd.exe` (a debug build: the tests use `/__test/*` hooks).
    pub exe: PathBuf,
    /// The private Wine prefix with the `ProcessPrng` shim.
    pub prefix: PathBuf,
    /// Wine's 64-bit loader.
    pub wine: PathBuf,
}

static RUN: LazyLock<Option<WindowsRun>> = LazyLock::new(|| {
    let exe = std::env::var_os("TASKFLOWD_TEST_WINE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)?;
    let exe = std::path::absolute(&exe).unwrap_or(exe);
    let prefix = std::env::var_os("TASKFLOWD_TEST_WINEPREFIX")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/wine-prefix"));
    let prefix = std::path::absolute(&prefix).unwrap_or(prefix);
    assert!(
        prefix
            .join("drive_c/windows/system32/bcryptprimitives.dll")
            .is_file(),
        "TASKFLOWD_TEST_WINE is set but {} has no ProcessPrng shim: run scripts/wine/build-shim.sh {0}",
        prefix.display()
    );
    let wine = std::env::var_os("WINE64")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/wine/wine64"));
    Some(WindowsRun { exe, prefix, wine })
});

/// The Windows run's parts, or `None` on the normal (Linux) run.
pub fn windows_run() -> Option<&'static WindowsRun> {
    RUN.as_ref()
}

/// `true` (after saying why) when this is the Windows run: a test of a
/// Unix rule (modes, signals, symlinks, ownership) or of something Wine
/// cannot stand in for returns early then. Use as the first line:
/// `if skip_on_windows_run("file modes") { return; }`.
pub fn skip_on_windows_run(reason: &str) -> bool {
    let on = windows_run().is_some();
    if on {
        say_skipped("skipped on the Windows run", reason);
    }
    on
}

/// `true` (after saying why) when this is NOT the Windows run: for the
/// tests of Windows defaults that only the exe under Wine can exercise.
pub fn skip_unless_windows_run(reason: &str) -> bool {
    let off = windows_run().is_none();
    if off {
        say_skipped("skipped outside the Windows run", reason);
    }
    off
}

/// One line on the real stderr: libtest captures `println!`/`eprintln!` of
/// a passing test, so a skip would otherwise be invisible (and counted as a
/// plain pass). `scripts/wine/test.sh` counts these lines.
fn say_skipped(what: &str, reason: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    let _ = writeln!(std::io::stderr().lock(), "{what}: {test}: {reason}");
}

/// `path` as the daemon under test names it: unchanged on the Linux run,
/// `Z:\…` on the Windows run when absolute (Wine maps drive Z: to `/`).
pub fn daemon_path(path: &Path) -> String {
    daemon_arg(path.as_os_str()).to_string_lossy().into_owned()
}

/// `Z:` plus the absolute Linux path with backslashes.
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.to_string_lossy().replace('/', "\\"))
}

/// An environment value or flag for the daemon: on the Windows run an
/// absolute Linux path becomes `Z:\…` (anything else is left alone).
pub(super) fn daemon_arg(value: &OsStr) -> OsString {
    match (windows_run(), value.to_str()) {
        (Some(_), Some(s)) if s.starts_with('/') => windows_path(Path::new(s)).into(),
        _ => value.to_owned(),
    }
}

/// A [`Command`] for the daemon binary with a clean environment (only
/// `PATH`, plus Wine's variables on the Windows run): the Linux build, or
/// `wine64 taskflowd.exe`. For the one-shot commands (`status`, `rotate-key`);
/// long-running daemons go through [`TestDaemon`](super::TestDaemon).
pub fn command() -> Command {
    let mut cmd = match windows_run() {
        None => Command::new(super::daemon::bin()),
        Some(run) => {
            let mut cmd = Command::new(&run.wine);
            cmd.arg(&run.exe);
            cmd
        }
    };
    cmd.env_clear().env(
        "PATH",
        std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
    );
    if let Some(run) = windows_run() {
        cmd.env("WINEPREFIX", &run.prefix)
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "bcryptprimitives=n")
            .env("TASKFLOW_SAME_USER_ONLY", "false");
    }
    cmd
}

/// The exe's default config folder, `%LOCALAPPDATA%\TaskFlow`, as a Linux
/// path inside the prefix (`drive_c/users/<user>/AppData/Local/TaskFlow`).
/// Wine names the profile after the Unix user when it makes the prefix; the
/// prefix is private to this run, so its one profile besides `Public` is it.
pub fn local_app_data_taskflow(run: &WindowsRun) -> PathBuf {
    let users = run.prefix.join("drive_c/users");
    let profiles: Vec<PathBuf> = std::fs::read_dir(&users)
        .unwrap_or_else(|e| panic!("read {}: {e}", users.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "Public" && e.path().is_dir())
        .map(|e| e.path())
        .collect();
    assert_eq!(
        profiles.len(),
        1,
        "one user profile expected in {}: {profiles:?}",
        users.display()
    );
    profiles[0].join("AppData/Local/TaskFlow")
}
