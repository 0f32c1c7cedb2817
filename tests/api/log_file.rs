//! `taskflowd.log` (DESIGN.md "Operators"): where it appears, its modes, its
//! lines, rotation by size, and that no secret reaches it at `trace`.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

#[cfg(unix)]
use crate::helpers::wine::{self, daemon_path, skip_on_windows_run};
use crate::helpers::{TestDaemon, pg};

/// The rotated names the folder may hold: the file and its three old copies.
const KEPT: [&str; 4] = [
    "taskflowd.log",
    "taskflowd.log.1",
    "taskflowd.log.2",
    "taskflowd.log.3",
];

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
#[tokio::test]
async fn the_log_file_is_in_the_per_user_state_folder_owner_only_with_the_listening_line() {
    if skip_on_windows_run(
        "log_file::the_log_file_is_in_the_per_user_state_folder…: the default folder under Wine is %LOCALAPPDATA% in the prefix, and Wine derives file modes from DACLs",
    ) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // $XDG_STATE_HOME when set, else ~/.local/state.
    let state = home.path().join("state");
    for (xdg, expected) in [
        (
            Some(&state),
            state.join("TaskFlow").join("logs").join("taskflowd.log"),
        ),
        (
            None,
            home.path().join(".local/state/TaskFlow/logs/taskflowd.log"),
        ),
    ] {
        let folder = expected.parent().unwrap().to_owned();
        let mut builder = TestDaemon::builder()
            .env("HOME", home.path())
            .default_log_dir(folder.clone());
        if let Some(xdg) = xdg {
            builder = builder.env("XDG_STATE_HOME", xdg);
        }
        let d = builder.start().await;
        // `taskflowd paths` names it (same environment as the daemon).
        let mut paths = wine::command();
        paths.arg("paths").env("HOME", home.path());
        if let Some(xdg) = xdg {
            paths.env("XDG_STATE_HOME", xdg);
        }
        let out = paths
            .env("TASKFLOW_CONFIG_DIR", daemon_path(d.config_dir()))
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&out.stdout);
        assert!(
            listed.contains(&format!(
                "log file:          {} (exists, mode 0600)",
                expected.display()
            )),
            "{listed}"
        );
        assert!(d.terminate().await.success());

        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
        assert_eq!(mode(&expected), 0o600, "{}", expected.display());
        let text = std::fs::read_to_string(&expected).unwrap();
        assert!(
            text.lines()
                .any(|l| l.contains("INFO taskflowd::startup: listening addr=127.0.0.1:")),
            "{text}"
        );
        // The same lines as stderr (no colour codes in either: not a
        // terminal), but for the time stamp, which each writer takes itself.
        let stderr = d.stderr();
        for line in text.lines().filter(|l| l.contains("taskflowd::startup")) {
            let (_time, rest) = line.split_once(' ').unwrap();
            assert!(stderr.contains(rest), "{line} not on stderr");
        }
    }
}

#[tokio::test]
async fn writing_past_the_size_rotates_and_the_folder_stays_bounded() {
    const MAX: u64 = 16 * 1024;
    let d = TestDaemon::builder()
        .env("TASKFLOW_LOG_MAX_BYTES", MAX.to_string())
        .start()
        .await;
    let dir = d.log_file_dir().unwrap().to_owned();
    // Every request at `trace` is a dozen lines or more (hyper, warp, the
    // access line): a few hundred write several times 4 × MAX.
    for i in 0..400 {
        let r = d.get(&format!("/health/live?n={i}")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert!(d.terminate().await.success());
    let found = names(&dir);
    assert_eq!(
        found, KEPT,
        "rotated three times at least, nothing else kept"
    );
    let total: u64 = found
        .iter()
        .map(|n| std::fs::metadata(dir.join(n)).unwrap().len())
        .sum();
    // Each file ends with the line that crossed MAX; no line is near 4 KiB.
    assert!(total <= 4 * (MAX + 4096), "{total} bytes in {found:?}");
    // What was written was really more than what is kept: the first lines
    // (the start-up's) are gone, the last (the shutdown's) are there.
    let text = d.log_file_text();
    assert!(d.stderr().contains("listening addr="));
    assert!(
        !text.contains("listening addr="),
        "the oldest lines should be rotated out"
    );
    assert!(
        text.contains("shutting down"),
        "the shutdown line is flushed at exit: {}",
        &text[text.len().saturating_sub(2000)..]
    );
    #[cfg(unix)]
    if !crate::helpers::wine::skip_on_windows_run(
        "log_file: rotated files' modes (Wine derives modes from DACLs)",
    ) {
        for n in &found {
            assert_eq!(mode(&dir.join(n)), 0o600, "{n}");
        }
    }
}

#[tokio::test]
async fn no_secret_reaches_the_file_at_trace() {
    let db = pg::shared().create_database().await;
    let token = "tf-log-file-token-7c1e9a";
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    let auth = format!("Bearer {token}");
    let save = d
        .request(Method::POST, "/api/v1/settings/save-connection")
        .header("authorization", &auth)
        .json(&db.credentials_json());
    d.add_secret(&db.password);
    assert_eq!(d.send(save).await.status, StatusCode::OK);
    d.wait_until_healthy(Duration::from_secs(30)).await;
    // A failing probe with another password, and a request with a wrong token.
    let wrong = "wrong-pass-4d2b-log-file";
    let mut body = db.credentials_json();
    body["password"] = json!(wrong);
    let probe = d
        .request(Method::POST, "/api/v1/settings/test-connection")
        .header("authorization", &auth)
        .json(&body);
    let r = d.send(probe).await;
    assert!(
        r.text.contains("password authentication failed"),
        "{}",
        r.text
    );
    let bad = d
        .request(Method::GET, "/api/v1/members")
        .header("authorization", "Bearer not-the-token-91f3");
    assert_eq!(d.send(bad).await.status, StatusCode::UNAUTHORIZED);
    assert!(d.terminate().await.success());

    let text = d.log_file_text();
    assert!(
        text.contains("connection settings saved") && text.contains(" TRACE "),
        "the file has the trace-level story"
    );
    for secret in [
        db.password.as_str(),
        db.url.as_str(),
        token,
        wrong,
        "not-the-token-91f3",
    ] {
        assert!(!text.contains(secret), "a secret is in taskflowd.log");
    }
}

#[tokio::test]
async fn an_unusable_log_folder_is_a_warning_and_the_daemon_serves() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let d = TestDaemon::builder()
        .env("TASKFLOW_LOG_DIR", file.join("logs"))
        .start()
        .await;
    assert_eq!(d.get("/health/live").await.status, StatusCode::OK);
    let stderr = d.stderr();
    assert!(
        stderr.contains("WARN")
            && stderr.contains("cannot write the log file; logging to stderr only"),
        "{stderr}"
    );
    assert!(stderr.contains("listening"), "{stderr}");
}

#[cfg(unix)]
#[tokio::test]
async fn none_turns_the_file_off() {
    if skip_on_windows_run("log_file::none_turns_the_file_off: HOME means nothing to the exe") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let d = TestDaemon::builder()
        .env("HOME", home.path())
        .env("TASKFLOW_LOG_DIR", "none")
        .start()
        .await;
    assert_eq!(d.get("/health/live").await.status, StatusCode::OK);
    assert!(d.terminate().await.success());
    // Not in the default folder either: nothing at all under the home.
    assert!(names(home.path()).is_empty(), "{:?}", names(home.path()));
    assert!(d.stderr().contains("listening"));
}
