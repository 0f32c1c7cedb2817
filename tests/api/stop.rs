//! Stop over the API and from the CLI (DESIGN.md "One user's daemon"):
//! `POST /api/v1/shutdown` → 202, then the graceful stop, exit 0;
//! `taskflowd stop` waits for the exit; no daemon → exit 1.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestDaemon;
use crate::helpers::daemon::bin;

const T: Duration = Duration::from_secs(15);

#[tokio::test]
async fn post_shutdown_answers_202_then_exits_0() {
    let token = "tf-stop-test-token";
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    // The token rule applies.
    let r = d.send(d.request(Method::POST, "/api/v1/shutdown")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Only POST.
    let r = d
        .send(
            d.request(Method::GET, "/api/v1/shutdown")
                .bearer_auth(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        d.try_exit_status().is_none(),
        "refused requests stop nothing"
    );

    let r = d
        .send(
            d.request(Method::POST, "/api/v1/shutdown")
                .bearer_auth(token),
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::ACCEPTED, json!({"status": "stopping"}))
    );
    let status = d
        .wait_exit(T)
        .await
        .unwrap_or_else(|| panic!("still running\n{}", d.log_tail(20)));
    assert_eq!(status.code(), Some(0), "{}", d.log_tail(20));
    assert!(!d.config_dir().join("taskflowd.json").exists());
}

#[tokio::test]
async fn taskflowd_stop_waits_for_the_exit_and_fails_without_a_daemon() {
    if crate::helpers::wine::skip_on_windows_run(
        "the CLI here is the Linux binary, which cannot see a Wine process's pid; the exe's own CLI under Wine is refused by its listener-owner check (Wine's GetExtendedTcpTable reports owner pid 0): `taskflowd stop` on Windows needs a real machine",
    ) {
        return;
    }
    let d = TestDaemon::start().await;
    let dir = d.config_dir().to_owned();
    let stop = || {
        tokio::process::Command::new(bin())
            .arg("--config-dir")
            .arg(&dir)
            .arg("stop")
            .env_remove("TASKFLOW_PORT")
            .output()
    };
    // The daemon is this test's child: it is reaped (by `wait_exit`) while
    // `stop` waits for it to be gone.
    let (out, status) = tokio::join!(stop(), d.wait_exit(T));
    let out = out.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", d.log_tail(20));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("stopped"),
        "{out:?}"
    );

    // Now nothing serves the folder.
    let out = stop().await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no taskflowd serves the config folder"),
        "{stderr}"
    );
}
