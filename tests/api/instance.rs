//! One daemon per config folder and its discovery file (DESIGN.md "One
//! user's daemon"), against the real binary: the file's content, mode and
//! life; a second daemon on the folder exits 4 naming the first; no stale
//! lock after kill -9; `TASKFLOW_PORT=0` found through the file.

use std::time::Duration;

use crate::helpers::TestDaemon;
use crate::helpers::files::{discovery, discovery_of};

#[tokio::test]
async fn the_discovery_file_names_the_daemon_while_it_runs() {
    if crate::helpers::wine::skip_on_windows_run(
        "the discovery file holds the exe's Windows pid, which the Linux harness (holding the wine64 process) does not know",
    ) {
        return;
    }
    let d = TestDaemon::start().await;
    let pid = d.pid().unwrap();
    let v = discovery_of(d.config_dir(), pid).await;
    let port = d.port();
    assert_eq!(v["port"], port);
    assert_eq!(v["host"], "127.0.0.1");
    assert_eq!(v["url"], format!("http://127.0.0.1:{port}"));
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let started = v["started_at"].as_str().unwrap();
    time::OffsetDateTime::parse(started, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("started_at {started}: {e}"));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "{v}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.config_dir().join("taskflowd.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let status = d.terminate().await;
    assert_eq!(status.code(), Some(0));
    assert!(
        !d.config_dir().join("taskflowd.json").exists(),
        "a clean stop removes the discovery file"
    );
}

#[tokio::test]
async fn a_second_daemon_on_the_folder_exits_4_naming_the_first() {
    if crate::helpers::wine::skip_on_windows_run(
        "the discovery file holds the exe's Windows pid, which the Linux harness (holding the wine64 process) does not know",
    ) {
        return;
    }
    let first = TestDaemon::start().await;
    let pid = first.pid().unwrap();
    discovery_of(first.config_dir(), pid).await;

    // Another port, the same folder.
    let second = TestDaemon::builder()
        .config_dir(first.config_dir_handle())
        .spawn();
    let status = second
        .wait_exit(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("second daemon still running\n{}", second.log_tail(20)));
    assert_eq!(status.code(), Some(4), "{}", second.log_tail(20));
    let needle = format!(
        "another taskflowd (pid {pid}) already serves this config folder at http://127.0.0.1:{}",
        first.port()
    );
    let stderr = second.stderr();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&needle)).collect();
    assert_eq!(lines.len(), 1, "stderr:\n{stderr}");

    // The first is unaffected, its file still its own.
    assert_eq!(first.get("/health/live").await.status, 200);
    assert_eq!(discovery(first.config_dir()).unwrap()["pid"], pid);
}

#[tokio::test]
async fn after_kill_9_the_next_daemon_starts_and_replaces_the_file() {
    if crate::helpers::wine::skip_on_windows_run(
        "the discovery file holds the exe's Windows pid, which the Linux harness (holding the wine64 process) does not know",
    ) {
        return;
    }
    let first = TestDaemon::start().await;
    let old_pid = first.pid().unwrap();
    discovery_of(first.config_dir(), old_pid).await;
    first.kill9();
    // What a crash leaves: the file, naming a pid that is gone.
    assert_eq!(discovery(first.config_dir()).unwrap()["pid"], old_pid);

    let next = TestDaemon::builder()
        .config_dir(first.config_dir_handle())
        .start()
        .await;
    assert_eq!(next.get("/health/live").await.status, 200);
    let v = discovery_of(next.config_dir(), next.pid().unwrap()).await;
    assert_eq!(v["port"], next.port());
}

/// How a shell uses it: start with `TASKFLOW_PORT=0`, read the url from
/// the file, talk to the daemon there.
#[tokio::test]
async fn with_port_0_the_file_tells_where_the_daemon_listens() {
    if crate::helpers::wine::skip_on_windows_run(
        "the discovery file holds the exe's Windows pid, which the Linux harness (holding the wine64 process) does not know",
    ) {
        return;
    }
    let d = TestDaemon::builder()
        .no_port_env()
        .env("TASKFLOW_PORT", "0")
        .spawn();
    let pid = d.pid().unwrap();
    let v = discovery_of(d.config_dir(), pid).await;
    let port = v["port"].as_u64().unwrap();
    assert_ne!(port, 0);
    let url = v["url"].as_str().unwrap();
    let r = reqwest::get(format!("{url}/health/live")).await.unwrap();
    assert_eq!(r.status(), 200);
}
