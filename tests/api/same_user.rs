//! Same user only (DESIGN.md "One user's daemon"): a client process of
//! another OS user gets 403 on everything but the health checks, token or
//! not; the owner is served; `TASKFLOW_SAME_USER_ONLY=false` serves all.
//!
//! The tests and the daemon run as root, so `nobody` (through `runuser`
//! and curl, real processes of that user) is "another user".
#![cfg(unix)]

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestDaemon;

const ANOTHER_USER: &str = "This TaskFlow service belongs to another user";

/// Whether this run can act as another user (root, with `runuser`).
fn can_switch_user() -> bool {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: only root can run a client as another user");
        return false;
    }
    true
}

/// `curl` run as `user`: the status and the JSON body (`Null` if none).
fn curl_as(user: &str, method: &str, url: &str, headers: &[&str]) -> (u16, Value) {
    let mut cmd = Command::new("runuser");
    cmd.args([
        "-u",
        user,
        "--",
        "curl",
        "-s",
        "-X",
        method,
        "-w",
        "\n%{http_code}",
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().expect("run curl as another user");
    assert!(out.status.success(), "curl failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').expect("curl prints the status last");
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    (code.trim().parse().expect("a status code"), body)
}

/// Every kind of route another user could use: reads, writes, the
/// document, a preflight, an unknown path, and the health checks' own
/// paths with another method or a trailing slash.
const REFUSED: &[(&str, &str)] = &[
    ("GET", "/api/v1/settings/status"),
    ("GET", "/api/v1/settings/connection"),
    ("POST", "/api/v1/settings/test-connection"),
    ("POST", "/api/v1/settings/save-connection"),
    ("GET", "/api/v1/members"),
    ("POST", "/api/v1/members"),
    (
        "DELETE",
        "/api/v1/members/00000000-0000-0000-0000-000000000000",
    ),
    ("GET", "/api/v1/tasks"),
    ("POST", "/api/v1/shutdown"),
    ("GET", "/openapi.json"),
    ("GET", "/metrics"),
    ("OPTIONS", "/api/v1/members"),
    ("GET", "/nope"),
    ("POST", "/health"),
    ("GET", "/health/"),
];

#[tokio::test]
async fn another_users_process_is_refused_everywhere_but_health() {
    if crate::helpers::wine::skip_on_windows_run(
        "the Windows run turns the same-user check off: Wine's GetExtendedTcpTable reports owner pid 0, so no peer's owner can be known",
    ) {
        return;
    }
    if !can_switch_user() {
        return;
    }
    let token = "tf-same-user-test-token";
    let d = TestDaemon::builder()
        .env("TASKFLOW_API_TOKEN", token)
        .secret(token)
        .start()
        .await;
    let bearer = format!("Authorization: Bearer {token}");
    for (method, path) in REFUSED {
        // With the right token, and with a JSON body's header: still refused.
        let (code, body) = curl_as(
            "nobody",
            method,
            &d.url(path),
            &[
                &bearer,
                "Content-Type: application/json",
                "Origin: http://localhost:5173",
            ],
        );
        assert_eq!(code, 403, "{method} {path}: {body}");
        assert_eq!(body, json!({"error": ANOTHER_USER}), "{method} {path}");
    }
    // The health checks still answer (503 until a database is configured).
    let (code, body) = curl_as("nobody", "GET", &d.url("/health"), &[]);
    assert!(code == 200 || code == 503, "/health: {code} {body}");
    assert!(body.get("status").is_some(), "{body}");
    let (code, body) = curl_as("nobody", "GET", &d.url("/health/live"), &[]);
    assert_eq!((code, body), (200, json!({"status": "alive"})));

    // The owner (this process, root like the daemon) is served, on a
    // connection of its own and through curl alike.
    let r = d
        .send(
            d.request(reqwest::Method::GET, "/api/v1/settings/status")
                .bearer_auth(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (code, _) = curl_as("root", "GET", &d.url("/openapi.json"), &[]);
    assert_eq!(code, 200);
    let (code, body) = curl_as("root", "GET", &d.url("/api/v1/members"), &[]);
    assert_eq!(
        code, 401,
        "the owner meets the token rule, not the user rule: {body}"
    );
}

#[tokio::test]
async fn the_rule_can_be_turned_off() {
    if !can_switch_user() {
        return;
    }
    let d = TestDaemon::builder()
        .env("TASKFLOW_SAME_USER_ONLY", "false")
        .start()
        .await;
    let (code, body) = curl_as("nobody", "GET", &d.url("/api/v1/settings/status"), &[]);
    assert_eq!(code, 200, "{body}");
    let (code, _) = curl_as("nobody", "GET", &d.url("/openapi.json"), &[]);
    assert_eq!(code, 200);
}
